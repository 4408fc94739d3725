-- id: comma-join
-- title: lint case comma-join
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT s.peer_ip AS host
FROM sightings AS s, indicators AS i
WHERE s.indicator_id = i.id
