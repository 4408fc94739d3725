-- id: duckdb-only
-- title: lint case duckdb-only
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT DISTINCT ON (src_ip) src_ip AS host, dst_port::VARCHAR AS port,
    date_trunc('hour', time) AS h, strftime(time, '%H') AS hh, string_agg(dst_ip, ',') AS dsts
FROM (SELECT * EXCLUDE (raw) FROM network_events) AS e
WHERE hostname ILIKE '%nas%'
QUALIFY port <> ''
