-- id: unknown-key
-- title: A rule with a misspelt key
-- severity: low
-- window: 1h
-- group_by: [host]
-- schedul: 5m
SELECT src_ip AS host FROM network_events
