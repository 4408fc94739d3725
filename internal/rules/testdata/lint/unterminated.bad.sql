-- id: unterminated
-- title: lint case unterminated
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host
FROM network_events
WHERE (raw LIKE 'it''s
