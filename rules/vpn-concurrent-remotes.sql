-- id: vpn-concurrent-remotes
-- title: One VPN account used from two remote addresses at once
-- severity: high
-- window: 24h
-- group_by: [user, remote_ip, other_remote_ip]
-- tags: [vpn, identity, account-sharing]
-- description: >
--   Two VPN sessions of one user name overlapped in time and came from
--   different public (remote) addresses: the account, its password or its
--   certificate is used in two places at once - shared, or stolen and used
--   while its owner is connected. A session overlaps another when it started
--   before the other's end (vpn_intervals.end_time, whose end_kind says how
--   it is known: logged by the concentrator, or assumed - the address was
--   reassigned, or the maximum session length passed). An assumed end can
--   make a user who roams between networks without a logged disconnect look
--   concurrent: earlier_end shows which it was. remote_ip is the textually
--   smaller address of the pair, so one pair is one alert; first_seen and
--   last_seen are when the first and the last overlap began, events how many
--   pairs of sessions overlapped.
-- runbook: |
--   1. Look at both addresses: countries and networks (remote_country, the
--      ASN in vpn_intervals), and earlier_end: "logged" means the concentrator
--      itself saw both sessions up at once.
--   2. Ask the user whether they were connected from two devices or places
--      (a laptop and a phone, home and office). A known second device of
--      theirs is benign; note it on the alert.
--   3. Otherwise treat the credential as compromised: end both sessions,
--      reset the password, revoke the client certificate or token, and look
--      at what the unknown session reached (its assigned_ip's traffic).
SELECT
    a.user_name AS user,
    a.remote_ip AS remote_ip,
    b.b_remote AS other_remote_ip,
    min(a.remote_country) AS country,
    min(b.b_country) AS other_country,
    min(CASE WHEN a.start_time <= b.b_start THEN a.end_kind ELSE b.b_end_kind END) AS earlier_end,
    min(greatest(a.start_time, b.b_start)) AS first_seen,
    max(greatest(a.start_time, b.b_start)) AS last_seen,
    count(*) AS events
FROM (
    SELECT user_name, remote_ip, remote_country, start_time, end_time, end_kind
    FROM vpn_intervals
    WHERE user_name <> '' AND remote_ip <> ''
        AND start_time <= {{now}} AND end_time >= {{window_start}}
) AS a
JOIN (
    SELECT user_name AS b_user, remote_ip AS b_remote, remote_country AS b_country,
        start_time AS b_start, end_time AS b_end, end_kind AS b_end_kind
    FROM vpn_intervals
    WHERE user_name <> '' AND remote_ip <> ''
        AND start_time <= {{now}} AND end_time >= {{window_start}}
) AS b ON a.user_name = b.b_user
WHERE a.remote_ip < b.b_remote
    AND a.start_time < b.b_end
    AND b.b_start < a.end_time
    AND greatest(a.start_time, b.b_start) >= {{window_start}}
    AND greatest(a.start_time, b.b_start) <= {{now}}
GROUP BY a.user_name, a.remote_ip, b.b_remote
