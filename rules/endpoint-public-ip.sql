-- id: endpoint-public-ip
-- title: An endpoint holds a global address on one of its interfaces
-- severity: medium
-- window: 24h
-- group_by: [target, device_id]
-- tags: [exposure, edr]
-- description: >
--   An EDR reports that one of a device's interfaces holds a global unicast
--   address (IPv4 or IPv6), or the device's own connections show one as its
--   local side (the source of an outbound connection, the destination of an
--   inbound one). Such a device is not behind NAT: unless a firewall in
--   front of it (the home router's, for IPv6) drops unsolicited traffic,
--   every port it listens on is reachable from the internet. Scope comes
--   from the address_scope, src_scope and dst_scope columns that ingest
--   writes with homesoc's one classification (not RFC 1918, CGNAT, link-local,
--   ULA, loopback, documentation or other special ranges). target is the
--   global address to scan; the exposure chain scans it and opens a ticket
--   only for ports found open. evidence says where it was seen: interface
--   (the EDR's interface report), connection (a connection), or both.
-- runbook: |
--   1. Is the device meant to have a public address (a server, a lab box)?
--      If so, allow its intended ports ("homesoc exposure allow add") and stop.
--   2. Otherwise find why: a laptop tethered to a phone or plugged straight
--      into a modem, a VPN or IPv6 prefix without a firewall in front.
--   3. Run "homesoc exposure run" (or "homesoc scan" of the target) to see which ports
--      answer from outside; close or firewall those that need not be open.
--   4. With the user: move the device behind the router, or turn on the
--      host firewall for public networks.
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
    CASE WHEN min(e_seen) = max(e_seen) THEN min(e_seen) ELSE concat(min(e_seen), '+', max(e_seen)) END AS evidence
FROM (
    SELECT
        u.target AS target,
        u.device_id AS device_id,
        u.hostname AS e_host,
        u.local_ip AS e_local,
        coalesce(o.device_os, '') AS e_os,
        u.log_type AS e_type,
        u.time AS e_time,
        u.seen AS e_seen
    FROM (
        SELECT address AS target, device_id, hostname, address AS local_ip, "format" AS log_type, time, 'interface' AS seen
        FROM endpoint_states
        WHERE kind = 'interface' AND address_scope = 'global'
            AND time >= {{window_start}} AND time <= {{now}}
        UNION ALL
        SELECT src_ip AS target, device_id, hostname, src_ip AS local_ip, "format" AS log_type, time, 'connection' AS seen
        FROM network_events
        WHERE kind = 'endpoint' AND direction = 'outbound' AND src_scope = 'global'
            AND time >= {{window_start}} AND time <= {{now}}
        UNION ALL
        SELECT dst_ip AS target, device_id, hostname, dst_ip AS local_ip, "format" AS log_type, time, 'connection' AS seen
        FROM network_events
        WHERE kind = 'endpoint' AND direction = 'inbound' AND dst_scope = 'global'
            AND time >= {{window_start}} AND time <= {{now}}
    ) AS u
    LEFT JOIN (
        SELECT device_id AS os_device, max(os) AS device_os
        FROM endpoint_states
        WHERE os <> '' AND device_id <> '' AND time <= {{now}}
        GROUP BY device_id
    ) AS o ON u.device_id = o.os_device
) AS x
GROUP BY target, device_id
