-- id: macros
-- title: lint case macros
-- severity: low
-- window: 1h
-- group_by: [host]
SELECT src_ip AS host
FROM network_events
WHERE time >= {{since "a while"}}
    AND time < {{later}}
    AND {{hour}} = {{day time}}
