-- id: statements
-- title: lint case statements
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host FROM network_events;
DELETE FROM alerts;
