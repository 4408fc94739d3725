-- id: vpn-device-off-vpn
-- title: A device on the VPN also reached the internet directly
-- severity: medium
-- window: 24h
-- group_by: [user, device_id, hostname]
-- tags: [vpn, edr, identity, split-tunnel]
-- description: >
--   While a device's VPN session was up, its EDR saw it reach the internet
--   from the device's own public address - the very address its VPN tunnel
--   comes from (vpn_intervals.remote_ip, a global address) - rather than
--   through the tunnel. A device on a full tunnel reaches the internet from
--   the VPN's egress address; from its home or hotel address it is off the
--   VPN beside its session: split tunnelling, a bypass of the VPN client,
--   or a second interface. The EDR's evidence is its cloud's view of the
--   device's public address: endpoint_states rows of kind public_ip
--   (CrowdStrike aip, Defender PublicIP) and the agent public address
--   (nat_ip) of its network_events of kind endpoint, observed from the
--   session's start to its end. Session and EDR are the same device when
--   the session names a device_id equal to the EDR's, or a host name equal
--   to the EDR's ignoring case. The VPN's egress addresses are unknown
--   here, so an EDR address that is neither the VPN's nor the
--   session's remote address (a third network) is not reported: it may be
--   the egress. On a VPN that splits tunnels by design every device matches:
--   do not enable the rule there. evidence says which EDR view saw it:
--   public_ip, connection, or both; events counts the EDR observations.
-- runbook: |
--   1. Check the VPN profile the session used (group): is it meant to be a
--      full tunnel? If split tunnelling is intended, silence this rule.
--   2. Look at the device's connections (network_events with its device_id)
--      during the session: which went direct, to what destinations.
--   3. Ask the user: a second network adapter (phone tether), a disabled or
--      crashed VPN client, or a tool that bypasses it.
--   4. Fix the client configuration (always-on VPN, block non-tunnel
--      traffic) through device management; reimage if a bypass tool is found.
SELECT
    x.v_user AS user,
    x.v_device AS device_id,
    x.v_host AS hostname,
    min(x.v_remote) AS remote_ip,
    min(x.e_type) AS log_type,
    CASE WHEN min(x.e_seen) = max(x.e_seen) THEN min(x.e_seen) ELSE concat(min(x.e_seen), '+', max(x.e_seen)) END AS evidence,
    min(x.e_time) AS first_seen,
    max(x.e_time) AS last_seen,
    count(DISTINCT x.e_id) AS events
FROM (
    SELECT v.v_user AS v_user, v.v_device AS v_device, v.v_host AS v_host, v.v_remote AS v_remote,
        v.v_start AS v_start, v.v_end AS v_end,
        e.e_id AS e_id, e.e_time AS e_time, e.e_public AS e_public, e.e_type AS e_type, e.e_seen AS e_seen
    FROM (
        SELECT user_name AS v_user, device_id AS v_device, hostname AS v_host, remote_ip AS v_remote,
            start_time AS v_start, end_time AS v_end
        FROM vpn_intervals
        WHERE device_id <> '' AND remote_scope = 'global'
            AND start_time <= {{now}} AND end_time >= {{window_start}}
    ) AS v
    JOIN (
        SELECT id AS e_id, time AS e_time, device_id AS e_device, address AS e_public, "format" AS e_type, 'public_ip' AS e_seen
        FROM endpoint_states
        WHERE kind = 'public_ip' AND device_id <> ''
            AND time >= {{window_start}} AND time <= {{now}}
        UNION ALL
        SELECT event_id AS e_id, time AS e_time, device_id AS e_device, nat_ip AS e_public, "format" AS e_type, 'connection' AS e_seen
        FROM network_events
        WHERE kind = 'endpoint' AND nat_ip <> '' AND device_id <> ''
            AND time >= {{window_start}} AND time <= {{now}}
    ) AS e ON v.v_device = e.e_device
    UNION ALL
    SELECT v.v_user AS v_user, v.v_device AS v_device, v.v_host AS v_host, v.v_remote AS v_remote,
        v.v_start AS v_start, v.v_end AS v_end,
        e.e_id AS e_id, e.e_time AS e_time, e.e_public AS e_public, e.e_type AS e_type, e.e_seen AS e_seen
    FROM (
        SELECT user_name AS v_user, device_id AS v_device, hostname AS v_host, lower(hostname) AS v_lhost,
            remote_ip AS v_remote, start_time AS v_start, end_time AS v_end
        FROM vpn_intervals
        WHERE hostname <> '' AND remote_scope = 'global'
            AND start_time <= {{now}} AND end_time >= {{window_start}}
    ) AS v
    JOIN (
        SELECT id AS e_id, time AS e_time, lower(hostname) AS e_lhost, address AS e_public, "format" AS e_type, 'public_ip' AS e_seen
        FROM endpoint_states
        WHERE kind = 'public_ip' AND hostname <> ''
            AND time >= {{window_start}} AND time <= {{now}}
        UNION ALL
        SELECT event_id AS e_id, time AS e_time, lower(hostname) AS e_lhost, nat_ip AS e_public, "format" AS e_type, 'connection' AS e_seen
        FROM network_events
        WHERE kind = 'endpoint' AND nat_ip <> '' AND hostname <> ''
            AND time >= {{window_start}} AND time <= {{now}}
    ) AS e ON v.v_lhost = e.e_lhost
) AS x
WHERE x.e_public = x.v_remote
    AND x.e_time >= x.v_start
    AND x.e_time <= x.v_end
GROUP BY x.v_user, x.v_device, x.v_host
