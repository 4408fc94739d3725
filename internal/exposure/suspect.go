// Package exposure is the chain of seeds/000: suspects raised by the
// exposure rules (an endpoint with a global address, an endpoint behind NAT
// that accepted a connection from the internet, a router that let one in)
// -> one scan of each router address -> the ports nobody intended -> one
// ticket per exposed endpoint, updated by every rescan and resolved when a
// rescan finds it closed.
package exposure

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
)

// SuspectRules are the rules whose alerts name a router address to scan.
// Each returns the columns target, device_id, hostname, local_ip, os and
// log_type first.
var SuspectRules = []string{"endpoint-public-ip", "inbound-from-internet", "router-inbound-accepted"}

// TicketRule is the rule id of exposure tickets among the alerts.
const TicketRule = "exposure"

// Suspect is an endpoint whose router's address is to be scanned, and the
// alerts that made it one.
type Suspect struct {
	Target   netip.Addr `json:"target"` // the router's global address
	DeviceID string     `json:"device_id"`
	Hostname string     `json:"hostname"`
	LocalIP  string     `json:"local_ip"`
	OS       string     `json:"os"`
	LogType  string     `json:"log_type"`
	User     string     `json:"user"`
	Owner    string     `json:"owner"` // the device's owner, from attribution (the asset inventory)
	// Identity is the attribution of the newest of its alerts that has one.
	Identity  *identity.Answer `json:"identity,omitempty"`
	Rules     []string         `json:"rules"`  // the rules that raised it
	Alerts    []string         `json:"alerts"` // their alert ids
	FirstSeen time.Time        `json:"first_seen"`
	LastSeen  time.Time        `json:"last_seen"`
}

// key is the endpoint a ticket is about: the device behind the router, or
// the router alone when no EDR names a device.
func (s *Suspect) key() [2]string { return [2]string{s.DeviceID, s.Target.String()} }

// BadSuspect is an alert of a suspect rule that names no address to scan.
type BadSuspect struct {
	Alert  string `json:"alert"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Suspects picks the open alerts of the suspect rules last seen at or after
// since, one Suspect per endpoint (device and target), in the order of their
// targets then devices; alerts whose target is not an address are returned
// apart with the reason.
func Suspects(as []alert.Alert, since time.Time) ([]Suspect, []BadSuspect) {
	byKey := map[[2]string]*Suspect{}
	var out []*Suspect
	var bad []BadSuspect
	for _, a := range as {
		if !slices.Contains(SuspectRules, a.RuleID) || a.Status != alert.StatusOpen || a.LastSeen.Before(since) {
			continue
		}
		target, err := netip.ParseAddr(a.Detail["target"])
		if err != nil {
			bad = append(bad, BadSuspect{Alert: a.ID, Rule: a.RuleID,
				Reason: "target " + quoteEmpty(a.Detail["target"]) + " is not an IP address"})
			continue
		}
		s := Suspect{Target: target.Unmap(), DeviceID: a.Detail["device_id"]}
		p, ok := byKey[s.key()]
		if !ok {
			p = &s
			byKey[s.key()] = p
			out = append(out, p)
		}
		p.merge(a)
	}
	slices.SortFunc(out, func(a, b *Suspect) int {
		if c := a.Target.Compare(b.Target); c != 0 {
			return c
		}
		return strings.Compare(a.DeviceID, b.DeviceID)
	})
	res := make([]Suspect, len(out))
	for i, p := range out {
		res[i] = *p
	}
	return res, bad
}

// merge adds an alert's evidence to s: the newest alert's endpoint facts win
// where it has them.
func (s *Suspect) merge(a alert.Alert) {
	newest := len(s.Alerts) == 0 || a.LastSeen.After(s.LastSeen)
	if !slices.Contains(s.Rules, a.RuleID) {
		s.Rules = append(s.Rules, a.RuleID)
		slices.Sort(s.Rules)
	}
	s.Alerts = append(s.Alerts, a.ID)
	set := func(dst *string, col string) {
		if v := a.Detail[col]; v != "" && (newest || *dst == "") {
			*dst = v
		}
	}
	set(&s.Hostname, "hostname")
	set(&s.LocalIP, "local_ip")
	set(&s.OS, "os")
	set(&s.LogType, "log_type")
	set(&s.User, "user_name")
	if a.Identity != nil && (newest || s.Identity == nil) {
		s.Identity = a.Identity
	}
	user, owner := Attributed(a.Identity)
	if user != "" && (newest || s.User == "") {
		s.User = user
	}
	if owner != "" && (newest || s.Owner == "") {
		s.Owner = owner
	}
	if s.FirstSeen.IsZero() || a.FirstSeen.Before(s.FirstSeen) {
		s.FirstSeen = a.FirstSeen
	}
	if newest {
		s.LastSeen = a.LastSeen
	}
}

// Attributed is the user and the device owner an alert's identity
// resolved to: only a resolved answer names them, and only when its
// candidates agree; several or ambiguous ones name nobody (never a guess).
func Attributed(ans *identity.Answer) (user, owner string) {
	if ans == nil || ans.Status != identity.Resolved {
		return "", ""
	}
	for i, c := range ans.Candidates {
		if i > 0 && (c.User != user || c.Owner != owner) {
			return "", ""
		}
		user, owner = c.User, c.Owner
	}
	return user, owner
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return `"` + s + `"`
}
