-- id: untested
-- title: Has no tests
-- severity: info
-- window: 1h
-- group_by: [source]
SELECT src_ip AS source FROM network_events WHERE time >= {{window_start}} AND time <= {{now}}
