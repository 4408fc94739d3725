-- id: clock
-- title: lint case clock
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host
FROM network_events
WHERE time >= now() - INTERVAL 1 HOUR
    AND time < current_timestamp
    AND toDate(time) = today()
