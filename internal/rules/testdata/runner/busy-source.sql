-- id: busy-source
-- title: A source sent at least two events within the hour
-- severity: low
-- window: 1h
-- group_by: [source]
SELECT src_ip AS source, count(*) AS events, max(time) AS last_seen
FROM network_events
WHERE time >= {{window_start}} AND time <= {{now}}
GROUP BY src_ip
HAVING count(*) >= 2
