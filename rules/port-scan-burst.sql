-- id: port-scan-burst
-- title: One source hit many of our ports or hosts in a short burst
-- severity: medium
-- window: 10m
-- group_by: [source]
-- tags: [scan, recon]
-- description: >
--   One source address reached at least 15 distinct destination ports, or at
--   least 10 distinct destination hosts, within 10 minutes: a port scan or a
--   host sweep. The thresholds sit above what ordinary clients do (a browser
--   or mail client uses a handful of ports, an update check a few hosts)
--   and below what the smallest scanner profiles send (nmap -F probes 100
--   ports). Attempts count whether the firewall allowed or dropped them:
--   a scan is reconnaissance either way.
-- runbook: |
--   1. Is the source ours? An internal scanner nobody runs means a
--      compromised or rogue device: find its owner (DHCP, EDR) and isolate it.
--   2. An outside source: check what answered - its events in
--      network_events with action = allow: those ports are exposed to the
--      internet; close or firewall what need not be.
--   3. Repeated scans from one network: block it at the router.
--   4. A known tool (monitoring, vulnerability scanner): note it with the
--      reason; alerts cannot be suppressed yet, so its scans keep
--      updating this alert.
SELECT
    e.src_ip AS source,
    count(DISTINCT e.dst_port) AS ports,
    count(DISTINCT e.dst_ip) AS hosts,
    count(*) AS events,
    min(e.time) AS first_seen,
    max(e.time) AS last_seen
FROM (
    SELECT src_ip, dst_port, dst_ip, time
    FROM network_events
    WHERE time >= {{window_start}}
        AND time <= {{now}}
        AND src_ip <> ''
) AS e
-- Only a source with 10 events can reach either threshold. Counting events
-- first keeps the distinct counts to those few sources, and is an aggregate
-- a store can spill to disk: a flood from spoofed addresses, a source an
-- event, stays cheap. (A join, not IN: on a ClickHouse cluster the outer
-- query of a subquery join runs once, where IN over a Distributed table
-- would be a double-distributed query.)
JOIN (
    SELECT src_ip AS b_src
    FROM network_events
    WHERE time >= {{window_start}}
        AND time <= {{now}}
        AND src_ip <> ''
    GROUP BY src_ip
    HAVING count(*) >= 10
) AS b ON e.src_ip = b.b_src
GROUP BY e.src_ip
HAVING count(DISTINCT e.dst_port) >= 15 OR count(DISTINCT e.dst_ip) >= 10
