-- id: window
-- title: lint case window
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host,
    row_number() OVER (PARTITION BY src_ip ORDER BY time) AS n,
    count(*) OVER w AS c
FROM network_events
WINDOW w AS (PARTITION BY dst_ip)
