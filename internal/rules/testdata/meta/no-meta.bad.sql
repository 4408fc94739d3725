SELECT src_ip AS host FROM network_events
