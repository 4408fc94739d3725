// Package notifytest holds what receivers' tests share: sample
// notifications whose bodies golden files keep.
package notifytest

import (
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/notify"
)

// T0 is the sample messages' time.
var T0 = time.Date(2026, 11, 28, 2, 10, 0, 0, time.UTC)

// Ticket is a sample exposure ticket of anna's router, open, attributed.
func Ticket() notify.Alert {
	return notify.Alert{
		ID: "3f1c2a9e-7b4d-5e60-8a1f-0c2d3e4f5a6b", Rule: notify.TicketRule,
		Title: "Router of NAS-ANNA exposes 2 port(s) to the internet", Severity: "critical", State: alert.StatusOpen,
		Change: notify.ChangeNew,
		Labels: map[string]string{"rule": "exposure", "severity": "critical", "status": "open", "device_id": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
			"target": "203.0.113.7", "host": "203.0.113.7", "user": "anna", "device": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "hostname": "NAS-ANNA"},
		Group:     map[string]string{"device_id": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "target": "203.0.113.7"},
		FirstSeen: T0.Add(-2 * time.Hour), LastSeen: T0.Add(-5 * time.Minute), Count: 1, Events: 2,
		Detail: map[string]string{"global_ip": "203.0.113.7", "local_ip": "192.168.1.10", "hostname": "NAS-ANNA",
			"log_type": "netfilter", "os": "Windows 10", "scan_time": "2026-11-28T02:05:00Z",
			"open_ports": "23/tcp, 8443/tcp", "services": "23/tcp telnet BusyBox telnetd; 8443/tcp https lighttpd 1.4.59",
			"device_id": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "user": "anna", "owner": "anna", "rules": "inbound-from-internet",
			"scan_id": "scan-1", "intended_ports": "", "note": "", "ticket": `{"id":"3f1c2a9e-7b4d-5e60-8a1f-0c2d3e4f5a6b"}`},
		Identity: &identity.Answer{Addr: netip.MustParseAddr("192.168.1.10"), From: T0.Add(-2 * time.Hour), To: T0.Add(-5 * time.Minute),
			Status: identity.Resolved, Candidates: []identity.Candidate{{Source: "edr", User: "anna", DeviceID: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
				Hostname: "NAS-ANNA", Owner: "anna", From: T0.Add(-2 * time.Hour), To: T0.Add(-5 * time.Minute),
				Evidence: "crowdstrike aidmaster record of NAS-ANNA"}}},
		Description: "A scan of the router behind a suspect endpoint found ports open to the internet.",
		Runbook:     "1. Check each open port.\n2. Rescan: homesoc exposure rescan 3f1c2a9e-7b4d-5e60-8a1f-0c2d3e4f5a6b",
		Rescan:      "homesoc exposure rescan 3f1c2a9e-7b4d-5e60-8a1f-0c2d3e4f5a6b",
	}
}

// Contact is a sample ioc-contact alert of kimura's VPN address, open.
func Contact() notify.Alert {
	return notify.Alert{
		ID: "9d8c7b6a-5f4e-5d3c-9b2a-1f0e9d8c7b6a", Rule: "ioc-contact",
		Title: "Contact with a known-bad address", Severity: "high", State: alert.StatusOpen, Change: notify.ChangeNew,
		Labels:    map[string]string{"rule": "ioc-contact", "severity": "high", "status": "open", "host": "172.16.1.10", "user": "kimura"},
		Group:     map[string]string{"host": "172.16.1.10"},
		FirstSeen: T0.Add(-40 * time.Minute), LastSeen: T0.Add(-8 * time.Minute), Count: 3, Events: 5,
		Detail: map[string]string{"host": "172.16.1.10", "indicator": "198.51.100.23", "source": "feodo", "first_seen": "2026-11-28T01:30:00Z",
			"last_seen": "2026-11-28T02:02:00Z", "events": "5"},
		Identity: &identity.Answer{Addr: netip.MustParseAddr("172.16.1.10"), From: T0.Add(-40 * time.Minute), To: T0.Add(-8 * time.Minute),
			Status: identity.Resolved, Candidates: []identity.Candidate{{Source: "vpn", User: "kimura", From: T0.Add(-40 * time.Minute),
				To: T0.Add(-8 * time.Minute), Evidence: "cisco-asa session of kimura on asa-edge", RemoteIP: "203.0.113.45"}}},
		Description: "An internal address exchanged traffic with an address a threat-intel feed lists.",
		Runbook:     "1. Find the device.\n2. Isolate it.",
	}
}

// Notification is a sample notification for integration of a message of
// alerts (Ticket and Contact when none are given), firing unless every alert
// is resolved, with a console link.
func Notification(integration string, alerts ...notify.Alert) *notify.Notification {
	if len(alerts) == 0 {
		alerts = []notify.Alert{Ticket(), Contact()}
	}
	status := notify.StatusResolved
	var ids []string
	for i := range alerts {
		if alerts[i].Firing() {
			status = notify.StatusFiring
		}
		ids = append(ids, alerts[i].ID)
	}
	m := notify.Message{
		ID: "msg-0001", Receiver: "soc", Route: "route 1", GroupKey: `route 1/soc/{user="anna"}`,
		GroupLabels: map[string]string{"user": "anna"}, Status: status, Alerts: alerts,
		ConsoleURL: "https://soc.example.org/", CreatedAt: T0,
	}
	return &notify.Notification{
		ID: notify.NotificationID(m.ID, integration), Integration: integration, Receiver: m.Receiver,
		GroupKey: m.GroupKey, AlertIDs: ids, Message: m, Seq: 1, State: notify.StatePending, CreatedAt: T0, UpdatedAt: T0,
	}
}
