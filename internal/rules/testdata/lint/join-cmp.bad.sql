-- id: join-cmp
-- title: lint case join-cmp
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT s.peer_ip AS host
FROM sightings AS s
JOIN indicators AS i ON s.indicator_id = i.id AND s.time >= i.first_seen
WHERE i.active = 1
UNION ALL
SELECT s.peer_ip AS host
FROM sightings AS s
INNER JOIN indicators AS i ON s.indicator_id = i.id AND i.feed = 'feodo'
UNION ALL
SELECT s.peer_ip AS host
FROM sightings AS s
JOIN indicators AS i ON (s.indicator_id = i.id AND i.type IN ('ip', 'cidr'))
UNION ALL
SELECT s.peer_ip AS host
FROM sightings AS s
JOIN indicators AS i ON s.time BETWEEN i.first_seen AND i.last_seen
