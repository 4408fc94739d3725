-- id: union
-- title: lint case union
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host FROM network_events
UNION
SELECT dst_ip FROM network_events
INTERSECT
SELECT peer_ip FROM sightings
EXCEPT
SELECT value FROM indicators
WHERE value = ANY (SELECT peer_ip FROM sightings)
