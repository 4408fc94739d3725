-- id: vpn-impossible-travel
-- title: VPN logins of one user from two countries within an impossible travel time
-- severity: high
-- window: 24h
-- group_by: [user, remote_ip, other_remote_ip]
-- tags: [vpn, identity, geoip, impossible-travel]
-- requires: [geoip]
-- description: >
--   One user's two VPN sessions came from different countries (remote_country
--   of vpn_intervals, from the GeoIP database when the intervals were built)
--   closer together than anyone could travel: the gap - the later session's
--   start minus the earlier one's end, 0 when they overlap - is shorter than
--   the great-circle distance between the two locations at 900 km/h (an
--   airliner's cruise: 4 seconds a kilometre). The earlier session's end
--   counts only when the concentrator logged it (end_kind logged); an
--   assumed end (reassigned, max) may lie long after the user left, so the
--   gap is then measured from its start, the last moment the user is known
--   to have been there. Where the database gave either
--   address no location (a Country database, or an address it places only in
--   a country), the rule cannot measure and falls back to a fixed gap: two
--   countries within 1 hour. The later session started within the window;
--   the earlier one may be up to 24 hours older (the longest flight). The
--   distance ignores the locations' accuracy radius, so neighbouring
--   countries' addresses a few hundred km apart can look impossible within
--   minutes: check distance_km. Needs a GeoIP database (the --geoip-db flag,
--   see README "GeoIP"): without one, detect skips the rule and says so.
--   remote_ip is the earlier session's address, other_remote_ip the later's;
--   distance_km is 0 when it could not be measured, travel_s the time the
--   distance needs (3600, the fixed gap, without locations).
-- runbook: |
--   1. Compare the two addresses' networks (remote_asn, remote_as_org in
--      vpn_intervals): a mobile carrier, a cloud provider or a commercial
--      VPN/proxy often geolocates to another country than its user - the
--      usual false positive. A corporate egress the user chains through is
--      another.
--   2. Ask the user whether they travelled, or use a second device or a
--      personal VPN; note a benign answer on the alert.
--   3. Otherwise treat the account as compromised: end the sessions from
--      the unexpected country, reset the password and MFA, revoke the
--      client certificate, and review what that session's assigned_ip
--      reached (network_events, http_events, vpn-user-ioc-contact).
SELECT
    p.user_name AS user,
    p.remote_ip AS remote_ip,
    min(p.remote_country) AS country,
    p.b_remote AS other_remote_ip,
    min(p.b_country) AS other_country,
    max(p.km_rounded) AS distance_km,
    min(p.pair_gap_s) AS gap_s,
    max(p.pair_travel_s) AS travel_s,
    min(p.start_time) AS first_seen,
    max(p.b_start) AS last_seen,
    count(*) AS events
FROM (
    SELECT
        d.user_name AS user_name,
        d.remote_ip AS remote_ip,
        d.remote_country AS remote_country,
        d.b_remote AS b_remote,
        d.b_country AS b_country,
        d.start_time AS start_time,
        d.b_start AS b_start,
        d.gap AS pair_gap_s,
        CASE WHEN d.located = 1 THEN round(d.km) ELSE 0 END AS km_rounded,
        CASE WHEN d.located = 1 THEN round(d.km * 4) ELSE 3600 END AS pair_travel_s
    FROM (
        SELECT
            a.user_name AS user_name,
            a.remote_ip AS remote_ip,
            a.remote_country AS remote_country,
            b.b_remote AS b_remote,
            b.b_country AS b_country,
            a.start_time AS start_time,
            b.b_start AS b_start,
            greatest({{epoch b.b_start}} - {{epoch a.seen_until}}, 0) AS gap,
            CASE WHEN a.remote_located = 1 AND b.b_located = 1 THEN 1 ELSE 0 END AS located,
            12742 * asin(least(1, sqrt(
                pow(sin((b.b_lat - a.remote_lat) * 0.008726646259971648), 2)
                + cos(a.remote_lat * 0.017453292519943295) * cos(b.b_lat * 0.017453292519943295)
                * pow(sin((b.b_lon - a.remote_lon) * 0.008726646259971648), 2)
            ))) AS km
        FROM (
            SELECT user_name, remote_ip, remote_country, remote_lat, remote_lon, remote_located,
                start_time, CASE WHEN end_kind = 'logged' THEN end_time ELSE start_time END AS seen_until
            FROM vpn_intervals
            WHERE user_name <> '' AND remote_country <> ''
                AND start_time <= {{now}} AND end_time >= {{since "48h"}}
        ) AS a
        JOIN (
            SELECT user_name AS b_user, remote_ip AS b_remote, remote_country AS b_country,
                remote_lat AS b_lat, remote_lon AS b_lon, remote_located AS b_located,
                start_time AS b_start
            FROM vpn_intervals
            WHERE user_name <> '' AND remote_country <> ''
                AND start_time >= {{window_start}} AND start_time <= {{now}}
        ) AS b ON a.user_name = b.b_user
        WHERE a.remote_country <> b.b_country
            AND (a.start_time < b.b_start OR (a.start_time = b.b_start AND a.remote_country < b.b_country))
    ) AS d
) AS p
WHERE p.pair_gap_s < p.pair_travel_s
GROUP BY p.user_name, p.remote_ip, p.b_remote
