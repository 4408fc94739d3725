-- id: not-select
-- title: lint case not-select
-- severity: low
-- window: 1h
-- group_by: [host]
DELETE FROM alerts
