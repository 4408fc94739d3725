-- id: join-or
-- title: lint case join-or
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT e.src_ip AS host
FROM network_events AS e
JOIN indicators AS i ON e.dst_ip = i.value
    OR e.src_ip = i.value
