-- id: wall-clock
-- title: Reads the wall clock
-- severity: info
-- window: 1h
-- group_by: [source]
SELECT src_ip AS source
FROM network_events
WHERE time >= now() - INTERVAL 1 HOUR
