-- id: missing
-- title: Keys left out
SELECT src_ip AS host FROM network_events
