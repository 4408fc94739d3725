-- id: cte
-- title: lint case cte
-- severity: low
-- window: 1h
-- group_by: [host]
WITH recent AS (
    SELECT src_ip FROM network_events WHERE time >= {{window_start}} AND time <= {{now}}
)
SELECT src_ip AS host FROM recent
