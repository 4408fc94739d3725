-- id: Meaning_Rule
-- title: ""
-- severity: urgent
-- window: soon
-- group_by: []
SELECT src_ip AS host FROM network_events
