-- id: ioc-contact
-- title: Internal host contacted an active threat-intel indicator
-- severity: high
-- window: 24h
-- group_by: [host, indicator]
-- tags: [intel, c2]
-- description: >
--   A host of ours contacted an address covered by an active threat-intel
--   indicator (an IP, or a CIDR range) within the last 24 hours: it opened
--   the connection (even one the firewall blocked: an infected host trying
--   to reach its C2 is the signal), or it let the indicator's connection
--   in. Inbound probes that were dropped are no contact and stay silent.
--   Proxy requests (Squid, Zeek http) count too: the client asked for a
--   server address under an ip/cidr indicator, a host under a domain
--   indicator (or a subdomain of it) or a URL equal to a url indicator,
--   and the client is the host, whether the proxy let the request through
--   or denied it.
--   Sightings come from matching events against indicators in Go, at ingest
--   and by the retro-hunt that runs when a feed brings new indicators, so a
--   contact is found even when the indicator arrived after the traffic.
--   One alert per host and indicator; feed and threat name the source.
-- runbook: |
--   1. Look up the indicator and its threat (feed page, e.g. Feodo Tracker):
--      a botnet C2 contacted repeatedly means the host is likely infected.
--   2. Find the host's owner and device (DHCP lease, EDR, VPN session).
--   3. List the host's connections to the indicator around first_seen
--      (network_events with the host and the indicator's address, or
--      http_events with the host as src_ip for a proxy request: sightings
--      with protocol 'http'): regular intervals (beaconing) and bytes sent
--      out point to an infection.
--   4. If infected: isolate the host, collect its EDR triage, block the
--      indicator at the router, then reimage or clean and reset credentials.
--   5. A false positive (shared hosting, sinkhole, stale indicator): note
--      it with the reason; alerts cannot be suppressed yet, so further
--      contacts keep updating this alert while the indicator is active.
SELECT
    s.peer_ip AS host,
    i.value AS indicator,
    min(i.feed) AS feed,
    min(i.threat) AS threat,
    min(s.time) AS first_seen,
    max(s.time) AS last_seen,
    count(DISTINCT s.event_id) AS events
FROM sightings AS s
JOIN indicators AS i ON s.indicator_id = i.id
WHERE i.active = 1
    AND (s.peer_is_src = 1 OR s.action = 'allow')
    AND s.time >= {{window_start}}
    AND s.time <= {{now}}
GROUP BY s.peer_ip, i.value
