-- id: duplicate-key
-- title: Twice
-- title: Again
-- severity: low
-- window: 1h
-- group_by: [host, host]
SELECT src_ip AS host FROM network_events
