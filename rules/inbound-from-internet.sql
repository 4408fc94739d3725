-- id: inbound-from-internet
-- title: An endpoint behind NAT accepted a connection from the internet
-- severity: high
-- window: 24h
-- group_by: [target, device_id]
-- tags: [exposure, edr]
-- description: >
--   An EDR saw a device whose own address is not global (behind NAT: private,
--   CGNAT, ULA) accept an inbound connection from a global address. Behind
--   NAT that only happens through the router: a port forward, a UPnP mapping
--   an application asked for, or a DMZ host setting - a hole nobody may know
--   about. target is the router's global address to scan: the event's NAT
--   address (nat_ip) when the EDR recorded it, else the device's latest
--   public address from its endpoint states (CrowdStrike aip, Defender
--   PublicIP); empty when neither is known, which the exposure chain cannot
--   scan (the alert still stands). Evidence: the first remote address, how
--   many remote addresses and local ports, and the lowest local port.
-- runbook: |
--   1. Look at the local port (dst_port) and the process the EDR names for
--      the connection: remote desktop, SSH, a game or a NAS app?
--   2. Run "homesoc exposure run" (or "homesoc scan" of the target) to see what the
--      router exposes; "homesoc exposure upnp" on the home network lists the
--      UPnP mappings and which device asked for each.
--   3. Remove forwards and mappings nobody needs, turn UPnP off on the
--      router if nothing must use it, and allow the intended ports
--      ("homesoc exposure allow add") so they stop raising tickets.
--   4. Remote addresses that are not the user's: treat the device as
--      possibly compromised through that port (EDR triage).
SELECT
    target,
    device_id,
    max(e_host) AS hostname,
    min(e_local) AS local_ip,
    max(e_os) AS os,
    min(e_type) AS log_type,
    count(*) AS events,
    min(e_time) AS first_seen,
    max(e_time) AS last_seen,
    min(e_remote) AS remote_ip,
    count(DISTINCT e_remote) AS sources,
    min(e_port) AS dst_port,
    count(DISTINCT e_port) AS ports
FROM (
    SELECT
        CASE WHEN e.nat_ip <> '' THEN e.nat_ip ELSE coalesce(d.public_ip, '') END AS target,
        e.device_id AS device_id,
        e.hostname AS e_host,
        e.dst_ip AS e_local,
        coalesce(d.device_os, '') AS e_os,
        e.log_type AS e_type,
        e.time AS e_time,
        e.src_ip AS e_remote,
        e.dst_port AS e_port
    FROM (
        SELECT device_id, hostname, nat_ip, dst_ip, "format" AS log_type, time, src_ip, dst_port
        FROM network_events
        WHERE kind = 'endpoint' AND direction = 'inbound' AND action = 'allow'
            AND src_scope = 'global' AND dst_scope <> 'global' AND dst_scope <> ''
            AND time >= {{window_start}} AND time <= {{now}}
    ) AS e
    LEFT JOIN (
        -- Per device: its latest public address, and its OS.
        SELECT p_device, max(p_ip) AS public_ip, max(p_os) AS device_os
        FROM (
            SELECT s.device_id AS p_device, s.address AS p_ip, '' AS p_os
            FROM endpoint_states AS s
            JOIN (
                SELECT device_id AS l_device, max(time) AS l_time
                FROM endpoint_states
                WHERE kind = 'public_ip' AND address <> '' AND device_id <> '' AND time <= {{now}}
                GROUP BY device_id
            ) AS l ON s.device_id = l.l_device
            WHERE s.kind = 'public_ip' AND s.address <> '' AND s.time = l.l_time
            UNION ALL
            SELECT device_id AS p_device, '' AS p_ip, os AS p_os
            FROM endpoint_states
            WHERE os <> '' AND device_id <> '' AND time <= {{now}}
        ) AS pd
        GROUP BY p_device
    ) AS d ON e.device_id = d.p_device
) AS x
GROUP BY target, device_id
