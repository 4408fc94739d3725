
-- id: types
-- title: Wrong types
-- severity: low
-- window: 1h
-- schedule: -5m
-- group_by: host
-- tags: {a: b}
SELECT src_ip AS host FROM network_events
