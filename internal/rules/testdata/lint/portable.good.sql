-- id: portable
-- title: lint case portable
-- severity: low
-- window: 1h
-- group_by: [host]

-- Words in comments never count: WITH x AS, UNION, OVER (, now(), QUALIFY, a::b
/* nor in block comments: JOIN JOIN JOIN ; SELECT 2 */
SELECT
    t.host,
    count(*) AS events,
    min(t.first) AS first_seen,
    'UNION now() OR :: ; WITH -- /*' AS note,
    "over" AS "JOIN",
    t.final AS final
FROM (
    SELECT s.peer_ip AS host, s.time AS first, i.feed AS final
    FROM sightings AS s
    JOIN indicators AS i ON s.indicator_id = i.id
    WHERE s.matched_ip = i.value AND s.time >= {{window_start}} AND s.time <= {{now}}
) AS t
JOIN (
    SELECT src_ip, min({{hour time}}) AS h
    FROM network_events
    WHERE time >= {{since "7d"}} AND src_ip IN (SELECT peer_ip FROM sightings)
    GROUP BY src_ip
    UNION ALL
    SELECT dst_ip, min({{day "time"}}) FROM network_events GROUP BY dst_ip
) AS e ON t.host = e.src_ip
WHERE CAST(t.host AS VARCHAR) <> '' AND t.host NOT IN ('10.0.0.1', '10.0.0.2')
GROUP BY t.host, t.final
HAVING count(*) > 1 OR min(t.first) < {{now}}
ORDER BY events DESC
LIMIT 10;
