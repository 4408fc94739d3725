-- id: vpn-user-ioc-contact
-- title: A VPN user's traffic reached an active threat-intel indicator
-- severity: high
-- window: 24h
-- group_by: [user, indicator]
-- tags: [vpn, intel, c2, identity]
-- description: >
--   Traffic from a VPN pool address touched an active threat-intel indicator
--   while that address was assigned to a user's session: the sighting's own
--   side (peer_ip) is the session's assigned_ip, at a time within the
--   session (from its start to its end; at the very second a reassigned
--   address passed to the next session, only the next one). The user is
--   named through the session of that moment, never through another session
--   that held the address before or after. Which contacts count is what
--   ioc-contact counts: our side opened the connection (even one the
--   firewall blocked), or the indicator's connection was let in. group,
--   remote_ip and assigned_ip are the session's (the smallest, if contacts
--   of one user and indicator came through several sessions).
-- runbook: |
--   1. Look up the indicator and its threat (feed page): a C2 contacted
--      repeatedly means the user's device is likely infected.
--   2. Identify the device behind the session (device_id or hostname in
--      vpn_intervals, the user's EDR hosts); the whois command answers who
--      held assigned_ip at first_seen, with its evidence.
--   3. Contact the user; isolate the device through the EDR, collect its
--      triage, block the indicator at the VPN concentrator and firewall.
--   4. Reset the user's credentials if the device is infected: the VPN
--      credentials on it must be considered stolen.
SELECT
    v.v_user AS user,
    min(v.v_group) AS "group",
    min(v.v_remote) AS remote_ip,
    min(c.peer) AS assigned_ip,
    c.indicator AS indicator,
    min(c.feed) AS feed,
    min(c.threat) AS threat,
    min(c.s_time) AS first_seen,
    max(c.s_time) AS last_seen,
    count(DISTINCT c.s_event) AS events
FROM (
    SELECT s.peer_ip AS peer, s.time AS s_time, s.event_id AS s_event,
        i.value AS indicator, i.feed AS feed, i.threat AS threat
    FROM sightings AS s
    JOIN indicators AS i ON s.indicator_id = i.id
    WHERE i.active = 1
        AND (s.peer_is_src = 1 OR s.action = 'allow')
        AND s.time >= {{window_start}}
        AND s.time <= {{now}}
) AS c
JOIN (
    SELECT assigned_ip AS v_ip, user_name AS v_user, group_name AS v_group, remote_ip AS v_remote,
        start_time AS v_start, end_time AS v_end, end_kind AS v_end_kind
    FROM vpn_intervals
    WHERE assigned_ip <> '' AND user_name <> ''
        AND start_time <= {{now}} AND end_time >= {{window_start}}
) AS v ON c.peer = v.v_ip
WHERE c.s_time >= v.v_start
    AND (c.s_time < v.v_end OR (c.s_time = v.v_end AND v.v_end_kind <> 'reassigned'))
GROUP BY v.v_user, c.indicator
