-- id: router-inbound-accepted
-- title: The router let a connection from the internet in to one of our ports
-- severity: medium
-- window: 24h
-- group_by: [target, device_id, dst_port]
-- tags: [exposure, firewall]
-- description: >
--   The router's own firewall log (netfilter, later others) shows a
--   connection from a global address accepted inbound: a port forward or a
--   UPnP mapping that nobody may know about. It needs no EDR. Accepted
--   replies of our own connections are not openings: TCP lines must carry
--   SYN without ACK when the log gives flags; lines the router logged as
--   outbound (its own traffic) do not count. A router logs a forwarded
--   connection after DNAT, so its destination is the private address of
--   the device behind the port forward; only a connection to the router
--   itself shows the router's global address. target is therefore the
--   destination when it is global, else the global address the same router
--   (sensor) logged as destination of inbound lines on the same interface
--   within the window, allowed or dropped - on a home router, its WAN
--   address; empty when the log never shows it (the exposure chain cannot
--   scan that; the alert still stands). device_id and hostname name the
--   router (the log's sensor); local_ip is the destination as logged. One
--   alert per router address and port: a new forwarded port is a new
--   finding.
-- runbook: |
--   1. Which device does local_ip name, and what listens on dst_port there?
--   2. Does the router's configuration hold this port forward, or did a
--      device ask for it over UPnP (exposure upnp on the home
--      network lists the mappings and who asked)?
--   3. Run "homesoc exposure run" (or "homesoc scan" of the target) to see what
--      answers from outside, and which service.
--   4. Remove what nobody needs; allow the intended ports (exposure
--      allow add) so they stop raising tickets; turn UPnP off if no device
--      must use it.
SELECT
    target,
    device_id,
    max(e_host) AS hostname,
    min(e_local) AS local_ip,
    '' AS os,
    min(e_type) AS log_type,
    count(*) AS events,
    min(e_time) AS first_seen,
    max(e_time) AS last_seen,
    dst_port,
    min(e_proto) AS protocol,
    min(e_remote) AS remote_ip,
    count(DISTINCT e_remote) AS sources,
    min(e_iface) AS in_iface
FROM (
    SELECT
        CASE WHEN a.dst_scope = 'global' THEN a.dst_ip ELSE coalesce(w.wan_ip, '') END AS target,
        a.sensor AS device_id,
        a.sensor AS e_host,
        a.dst_ip AS e_local,
        a.log_type AS e_type,
        a.time AS e_time,
        a.dst_port AS dst_port,
        a.protocol AS e_proto,
        a.src_ip AS e_remote,
        a.in_iface AS e_iface
    FROM (
        SELECT concat(sensor, ' ', in_iface) AS wan_key, sensor, in_iface, dst_ip, dst_scope, dst_port, protocol,
            src_ip, "format" AS log_type, time
        FROM network_events
        WHERE kind = 'firewall' AND action = 'allow' AND direction <> 'outbound'
            AND src_scope = 'global'
            AND (protocol <> 'tcp' OR tcp_flags = '' OR (tcp_flags LIKE '%SYN%' AND tcp_flags NOT LIKE '%ACK%'))
            AND time >= {{window_start}} AND time <= {{now}}
    ) AS a
    LEFT JOIN (
        -- Per router and interface: a global address it logged as the
        -- destination of traffic from the internet.
        SELECT concat(sensor, ' ', in_iface) AS w_key, max(dst_ip) AS wan_ip
        FROM network_events
        WHERE kind = 'firewall' AND direction <> 'outbound' AND src_scope = 'global' AND dst_scope = 'global'
            AND time >= {{window_start}} AND time <= {{now}}
        GROUP BY sensor, in_iface
    ) AS w ON a.wan_key = w.w_key
) AS x
GROUP BY target, device_id, dst_port
