-- id: syntax
-- title: Broken YAML
-- severity: low
-- window: 1h
-- group_by: [host
SELECT src_ip AS host FROM network_events
