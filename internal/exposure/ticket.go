package exposure

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/scan"
)

// Ticket is what an exposure alert holds: the eight fields of a ticket of
// seeds/000 (global IP, local IP, host name, log type, OS, scan time, open
// ports and the service of each), the endpoint's identity, the evidence, and
// what is known about each port.
type Ticket struct {
	ID        string     `json:"id"` // the alert's id: the same endpoint keeps one ticket
	Status    string     `json:"status"`
	GlobalIP  netip.Addr `json:"global_ip"`
	LocalIP   string     `json:"local_ip"`
	Hostname  string     `json:"hostname"`
	LogType   string     `json:"log_type"`
	OS        string     `json:"os"`
	ScanTime  time.Time  `json:"scan_time"`
	OpenPorts []Finding  `json:"open_ports"` // exposed: open and not intended
	DeviceID  string     `json:"device_id"`
	User      string     `json:"user"`
	Owner     string     `json:"owner"`   // the device's owner, from attribution
	Rules     []string   `json:"rules"`   // the suspect rules that raised it
	ScanID    string     `json:"scan_id"` // the scan it rests on
	// Intended are open ports the allowlist covers: shown, never ticketed.
	Intended []Finding `json:"intended"`
	// Mappings are the UPnP port mappings stored for the endpoint: which
	// inside client asked the router to open which port.
	Mappings []scan.PortMapping `json:"upnp_mappings"`
	// Note says why a ticket was resolved without a rescan.
	Note string `json:"note,omitempty"`
	// Identity is who was behind the endpoint, as its suspect alerts were
	// attributed: where User and Owner come from.
	Identity *identity.Answer `json:"identity,omitempty"`
	// DetectedScanID is the scan that opened the ticket, which every
	// rescan is compared with ("" in tickets opened before it was kept:
	// DetectionScan falls back to ScanID).
	DetectedScanID string `json:"detected_scan_id,omitempty"`
	// Rescans are the ticket's rescans ("exposure rescan"), oldest first,
	// each with what changed since detection.
	Rescans []Rescan `json:"rescans"`
}

// TicketDescription and TicketRunbook are what "alerts show" prints for
// an exposure ticket, as a rule's description and runbook.
const (
	TicketDescription = `A scan of the router behind a suspect endpoint found ports open to the
internet that nobody listed as intended. The endpoint was named by the
exposure rules (endpoint-public-ip, inbound-from-internet,
router-inbound-accepted); the scan ran from "homesoc exposure run", which
updates this ticket at every rescan and resolves it when a rescan finds
nothing exposed.`
	TicketRunbook = `1. Check each open port's service and why it matters (above). UPnP mappings
   name the inside device that asked the router for a port.
2. Reach the user: close forwards and mappings nobody needs, turn off UPnP
   and remote administration on the router, update its firmware.
3. A port opened on purpose: "homesoc exposure allow add" with the reason,
   and it stops counting.
4. Rescan ("homesoc exposure rescan" with this ticket's id): it shows what
   changed since detection, keeps it on the ticket, and resolves the
   ticket when nothing is exposed.`
)

// Finding is one open port in a ticket.
type Finding struct {
	Port     uint16 `json:"port"`
	Proto    string `json:"proto"`
	State    string `json:"state"`
	Service  string `json:"service"`
	Product  string `json:"product,omitempty"`
	Version  string `json:"version,omitempty"`
	Evidence string `json:"evidence,omitempty"` // banner, title or certificate, short
	Knowledge
	IntendedBy string `json:"intended_by,omitempty"` // the allowlist entry's reason, for Intended ports
	// NotRescanned marks a port an earlier scan found open that the latest
	// scan did not try: kept, as nothing says it closed.
	NotRescanned bool `json:"not_rescanned,omitempty"`
}

// Label is "23/tcp".
func (f Finding) Label() string { return fmt.Sprintf("%d/%s", f.Port, f.Proto) }

// ServiceText is "telnet BusyBox telnetd 1.36".
func (f Finding) ServiceText() string {
	return strings.Join(strings.Fields(f.Service+" "+f.Product+" "+f.Version), " ")
}

func finding(p scan.Port) Finding {
	f := Finding{Port: p.Port, Proto: p.Proto, State: p.State, Service: p.Service, Product: p.Product,
		Version: p.Version, Knowledge: About(p.Port, p.Proto, identified(p))}
	switch ev := p.Evidence; {
	case ev.HTTP != nil && ev.HTTP.Title != "":
		f.Evidence = "title: " + ev.HTTP.Title
	case ev.TLS != nil:
		f.Evidence = "certificate: " + ev.TLS.Subject
	case ev.Banner != "":
		f.Evidence = readable(ev.Banner)
	}
	if len(f.Evidence) > 120 {
		f.Evidence = f.Evidence[:120] + "..."
	}
	return f
}

// telnetOptions are escaped telnet option requests (IAC WILL/WONT/DO/DONT
// option) and escaped line breaks, which say nothing to a reader.
var telnetOptions = regexp.MustCompile(`\\xff\\xf[b-e]\\x[0-9a-f]{2}|\\r|\\n`)

// readable is an escaped banner without telnet negotiation and line breaks.
func readable(banner string) string {
	return strings.Join(strings.Fields(telnetOptions.ReplaceAllString(banner, " ")), " ")
}

// identified is the service a scan found on p, "" for a guess by port.
func identified(p scan.Port) string {
	if p.Guessed {
		return ""
	}
	return p.Service
}

// ticketGroup is the group_by of exposure tickets.
var ticketGroup = []string{"device_id", "target"}

// Alert is the ticket as the alert the store keeps: rule TicketRule, one per
// endpoint, its fields in the detail.
func (t *Ticket) Alert(firstSeen time.Time) alert.Alert {
	group := map[string]string{"device_id": t.DeviceID, "target": t.GlobalIP.String()}
	var ports, services []string
	for _, f := range t.OpenPorts {
		ports = append(ports, f.Label())
		services = append(services, f.Label()+" "+f.ServiceText())
	}
	var intended []string
	for _, f := range t.Intended {
		intended = append(intended, f.Label()+" ("+f.IntendedBy+")")
	}
	full, _ := json.Marshal(t) // nothing in a Ticket fails to marshal
	who := t.Hostname
	if who == "" {
		who = t.GlobalIP.String()
	}
	title := fmt.Sprintf("Router of %s exposes %d port(s) to the internet", who, len(t.OpenPorts))
	if t.Status == alert.StatusResolved {
		title = fmt.Sprintf("Router of %s: rescan found nothing exposed", who)
	}
	return alert.Alert{
		ID: t.ID, RuleID: TicketRule, Title: title, Severity: severity(t.OpenPorts), Group: group,
		FirstSeen: firstSeen, LastSeen: t.ScanTime, Events: int64(len(t.OpenPorts)), Status: t.Status,
		UpdatedAt: t.ScanTime, Identity: t.Identity,
		Detail: map[string]string{
			"global_ip": t.GlobalIP.String(), "local_ip": t.LocalIP, "hostname": t.Hostname,
			"log_type": t.LogType, "os": t.OS, "scan_time": t.ScanTime.Format(time.RFC3339),
			"open_ports": strings.Join(ports, ", "), "services": strings.Join(services, "; "),
			"device_id": t.DeviceID, "user": t.User, "owner": t.Owner, "rules": strings.Join(t.Rules, ", "),
			"scan_id": t.ScanID, "intended_ports": strings.Join(intended, ", "), "note": t.Note,
			"ticket": string(full),
		},
	}
}

// TicketOf reads the ticket back from an exposure alert.
func TicketOf(a alert.Alert) (Ticket, error) {
	var t Ticket
	if a.RuleID != TicketRule {
		return t, fmt.Errorf("alert %s is of rule %q, not an exposure ticket", a.ID, a.RuleID)
	}
	if err := json.Unmarshal([]byte(a.Detail["ticket"]), &t); err != nil {
		return t, fmt.Errorf("alert %s: ticket detail: %w", a.ID, err)
	}
	t.Status = a.Status
	t.Rescans = nonNil(t.Rescans)
	return t, nil
}

// critical services: a shell or a file share on the internet.
var critical = []string{"23/tcp", "2323/tcp", "445/tcp", "139/tcp", "3389/tcp", "5900/tcp", "6379/tcp", "5555/tcp"}

func severity(fs []Finding) string {
	if slices.ContainsFunc(fs, func(f Finding) bool { return slices.Contains(critical, f.Label()) }) {
		return "critical"
	}
	return "high"
}
