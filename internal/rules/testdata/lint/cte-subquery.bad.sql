-- id: cte-subquery
-- title: lint case cte-subquery
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT host
FROM (
    WITH x AS (SELECT 1) SELECT src_ip AS host FROM network_events
) AS t
