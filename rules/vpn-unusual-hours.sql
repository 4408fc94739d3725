-- id: vpn-unusual-hours
-- title: VPN session started far outside the user's usual hours
-- severity: medium
-- window: 24h
-- group_by: [user]
-- tags: [vpn, identity, baseline]
-- description: >
--   A user's VPN session started at a time of day they never start at: the
--   baseline is their own sessions of the 30 days before it, at least 10 of
--   them (fewer is no habit yet: the rule stays silent), and none of those
--   started within 2 hours of this start's time of day - compared on the
--   24-hour clock, so 23:30 and 00:30 are one hour apart. Times of day are
--   UTC, as every stored time: the comparison is of the user with their own
--   history on one clock, so the zone cancels out, except that a daylight
--   saving change moves a local habit by an hour against UTC, which the
--   2-hour margin absorbs. A user who travels across time zones, or a new
--   on-call duty, changes their hours for real: see the runbook. One alert
--   per user; events counts the unusual sessions, first_seen and last_seen
--   their starts; remote_ip is one of their remote addresses (the smallest),
--   baseline_sessions the smallest baseline behind them.
-- runbook: |
--   1. Look at the session(s): remote address and country, device, what the
--      assigned address reached. A start from the user's usual network at an
--      odd hour is weaker evidence than one from a new country or ASN.
--   2. Ask the user (or their manager) whether they worked then: travel,
--      on-call and deadlines explain most; note it on the alert.
--   3. Unexplained: treat the credential as compromised - end the session,
--      reset the password and MFA, review what the session reached.
SELECT
    u.user_name AS user,
    min(u.remote_ip) AS remote_ip,
    min(u.baseline) AS baseline_sessions,
    min(u.start_time) AS first_seen,
    max(u.start_time) AS last_seen,
    count(*) AS events
FROM (
    SELECT
        s.user_name AS user_name,
        s.remote_ip AS remote_ip,
        s.start_time AS start_time,
        count(*) AS baseline
    FROM (
        SELECT user_name, remote_ip, start_time, {{epoch start_time}} AS s_epoch
        FROM vpn_intervals
        WHERE user_name <> ''
            AND start_time >= {{window_start}} AND start_time <= {{now}}
    ) AS s
    JOIN (
        SELECT user_name AS h_user, start_time AS h_start, {{epoch start_time}} AS h_epoch
        FROM vpn_intervals
        WHERE user_name <> ''
            AND start_time >= {{since "31d"}} AND start_time <= {{now}}
    ) AS h ON s.user_name = h.h_user
    WHERE h.h_start < s.start_time
        AND h.h_epoch >= s.s_epoch - 2592000
    GROUP BY s.user_name, s.remote_ip, s.start_time
    HAVING count(*) >= 10
        AND sum(CASE WHEN least(abs(s.s_epoch % 86400 - h.h_epoch % 86400),
                86400 - abs(s.s_epoch % 86400 - h.h_epoch % 86400)) <= 7200 THEN 1 ELSE 0 END) = 0
) AS u
GROUP BY u.user_name
