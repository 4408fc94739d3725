-- id: two-joins
-- title: lint case two-joins
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT s.peer_ip AS host
FROM sightings AS s
JOIN indicators AS i ON s.indicator_id = i.id
LEFT JOIN network_events AS e ON s.event_id = e.event_id
WHERE i.active = 1
