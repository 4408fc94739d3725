-- id: clickhouse-only
-- title: lint case clickhouse-only
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT e.src_ip AS host, `user_name`, uniq(e.dst_port) AS ports, toStartOfHour(e.time) AS h,
    countIf(e.action = 'drop') AS drops, quantile(0.9)(e.bytes_out) AS p90, any(i.feed) AS feed
FROM network_events AS e FINAL
ANY LEFT JOIN indicators AS i ON e.dst_ip = i.value
PREWHERE e.dst_port == 443
LIMIT 1 BY e.src_ip
SETTINGS max_threads = 1
FORMAT JSON
