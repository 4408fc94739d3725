package store

// ColumnComment is what a column of a table means, as a migration records
// it for docs/schema.md and `homesoc schema`.
type ColumnComment struct {
	Table, Column, Comment string
}

// ScanComments are the comments of the scan, allowlist and UPnP tables'
// columns, which both engines' migrations record.
var ScanComments = []ColumnComment{
	{"scans", "id", "start time then a hash of the content (20260406T160529Z-3fa2b1c4d5e6): the same scan imported twice is stored once"},
	{"scans", "source", "homesoc (our scanner) or nmap (imported from nmap -oX)"},
	{"scans", "args", "what ran: our command line, or the nmaprun args attribute"},
	{"scans", "finished", "when the scan ended; 1970-01-01 if unknown"},
	{"scans", "hosts", "hosts in the scan"},
	{"scans", "hosts_up", "hosts whose status is up"},
	{"scans", "listed_ports", "ports listed in scan_ports, in any state; the closed or silent rest are counted in scan_hosts"},
	{"scans", "open_ports", "ports listed with state open"},
	{"scans", "stored_at", "when homesoc stored the scan"},
	{"scan_hosts", "host_index", "the host's position in the scan, from 0"},
	{"scan_hosts", "addr", "the target address, canonical text"},
	{"scan_hosts", "status", "up when anything answered, else down"},
	{"scan_hosts", "srtt_s", "smoothed round-trip time measured, seconds at ms resolution; 0 when nothing answered"},
	{"scan_hosts", "closed_tcp", "TCP ports found closed and not listed (nmap extraports)"},
	{"scan_hosts", "closed_udp", "UDP ports found closed and not listed"},
	{"scan_hosts", "filtered_tcp", "TCP ports that did not answer and are not listed"},
	{"scan_hosts", "filtered_udp", "UDP ports filtered or open|filtered and not listed"},
	{"scan_ports", "port_index", "the port's position in its host's list, from 0"},
	{"scan_ports", "host_status", "the host's status: up or down"},
	{"scan_ports", "proto", "tcp or udp"},
	{"scan_ports", "state", "open, closed, filtered or open|filtered, as nmap names them"},
	{"scan_ports", "reason", "why the state: syn-ack, conn-refused, reset, no-response, udp-response, ..."},
	{"scan_ports", "service", "the protocol found (ssh, http, upnp, ...), or the port's usual one when guessed"},
	{"scan_ports", "guessed", "1 when service is only the port's usual service, not a finding"},
	{"scan_ports", "product", "e.g. OpenSSH, lighttpd, MiniUPnPd"},
	{"scan_ports", "info", "extra detail the service gave, e.g. protocol 2.0"},
	{"scan_ports", "os", "an operating system the service named"},
	{"scan_ports", "evidence", "what the service said (banner, http, tls, fields), as a JSON object"},
	{"scan_ports", "rtt_s", "time to the port's first answer, seconds at ms resolution"},
	{"scan_ports", "probe_s", "time service detection took, seconds at ms resolution"},
	{"scan_ports", "scan_started", "the scan's start time"},
	{"allowances", "id", "al- and a hash of the target, port and creation time"},
	{"allowances", "address", "the address the port is intended on; '' when the entry names a device or user"},
	{"allowances", "device_id", "the EDR device id it is intended on; '' when it names an address or user"},
	{"allowances", "user_name", "the user it is intended for; '' when it names an address or device"},
	{"allowances", "proto", "tcp or udp"},
	{"allowances", "reason", "why the port is meant to be reachable"},
	{"allowances", "author", "who allowed it"},
	{"allowances", "expires", "when it stops hiding its port; 1970-01-01 for never"},
	{"upnp_listings", "igd", "the IGD control URL asked"},
	{"upnp_listings", "seen", "when the IGD's table was read; the latest listing per IGD is what it holds now"},
	{"upnp_listings", "mappings", "how many mappings the IGD listed"},
	{"upnp_mappings", "seen", "the listing's time (upnp_listings.seen)"},
	{"upnp_mappings", "remote_host", "the outside address the mapping is limited to; '' for any"},
	{"upnp_mappings", "external_port", "the port opened on the router's outside address"},
	{"upnp_mappings", "internal_client", "the inside device that asked the router to open the port"},
	{"upnp_mappings", "enabled", "1 when the mapping is enabled"},
	{"upnp_mappings", "description", "what the client called the mapping, e.g. its application"},
	{"upnp_mappings", "lease_s", "lease duration in seconds when read; 0 for permanent"},
}
