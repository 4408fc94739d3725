// Package intended holds the intended-port allowlist: ports an operator says
// are meant to be reachable on an address, a device or a user's router, with
// a reason, an author and an optional expiry. Allowed ports raise no tickets
// but stay visible in scans and diffs. Stores persist allowances; this
// package owns their shape, their validation and what they cover.
package intended

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Protocols an allowance may name.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Allowance is one entry of the allowlist: Port/Proto is intended on the
// target it names, which is exactly one of Address, DeviceID or User.
type Allowance struct {
	ID       string     `json:"id"` // assigned by NewID when added
	Address  netip.Addr `json:"address,omitzero"`
	DeviceID string     `json:"device_id,omitempty"`
	User     string     `json:"user,omitempty"`
	Port     uint16     `json:"port"`
	Proto    string     `json:"proto"` // TCP or UDP
	Reason   string     `json:"reason"`
	Author   string     `json:"author"`
	Created  time.Time  `json:"created"`
	// Expires is when the allowance stops hiding its port; zero: never.
	Expires time.Time `json:"expires,omitzero"`
}

// Target is what a finding is about: the scanned address and, where a
// detection knows them, the device and user behind it.
type Target struct {
	Address  netip.Addr
	DeviceID string
	User     string
}

// Validate reports what is wrong with a, naming the field: it must name
// exactly one target, a port above 0, tcp or udp, and a reason.
func (a Allowance) Validate() error {
	n := 0
	if a.Address.IsValid() {
		n++
	}
	if a.DeviceID != "" {
		n++
	}
	if a.User != "" {
		n++
	}
	var errs []error
	if n != 1 {
		errs = append(errs, fmt.Errorf("name exactly one of address, device or user (got %d)", n))
	}
	if a.Port == 0 {
		errs = append(errs, errors.New("port: want 1 to 65535"))
	}
	if a.Proto != TCP && a.Proto != UDP {
		errs = append(errs, fmt.Errorf("proto %q: want tcp or udp", a.Proto))
	}
	if strings.TrimSpace(a.Reason) == "" {
		errs = append(errs, errors.New("reason: say why the port is meant to be open"))
	}
	if !a.Expires.IsZero() && !a.Created.IsZero() && !a.Expires.After(a.Created) {
		errs = append(errs, fmt.Errorf("expires %s: not after created %s", a.Expires.Format(time.RFC3339), a.Created.Format(time.RFC3339)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("allowance %s: %w", a.describe(), err)
	}
	return nil
}

// describe names a for an error: its id if it has one, else its port.
func (a Allowance) describe() string {
	if a.ID != "" {
		return a.ID
	}
	return fmt.Sprintf("%d/%s", a.Port, a.Proto)
}

// Expired reports whether a has stopped hiding its port at now.
func (a Allowance) Expired(now time.Time) bool {
	return !a.Expires.IsZero() && !now.Before(a.Expires)
}

// Covers reports whether a allows port/proto on target at now: the port
// and protocol match, a's one target matches the target's (an address
// compared unmapped; a device or user exactly), and a has not expired.
func Covers(a Allowance, target Target, port uint16, proto string, now time.Time) bool {
	if a.Port != port || a.Proto != strings.ToLower(proto) || a.Expired(now) {
		return false
	}
	switch {
	case a.Address.IsValid():
		return target.Address.IsValid() && a.Address.Unmap() == target.Address.Unmap()
	case a.DeviceID != "":
		return a.DeviceID == target.DeviceID
	case a.User != "":
		return a.User == target.User
	}
	return false
}

// Allowed returns the first of as that covers port/proto on target at now,
// and whether there is one.
func Allowed(as []Allowance, target Target, port uint16, proto string, now time.Time) (Allowance, bool) {
	for _, a := range as {
		if Covers(a, target, port, proto, now) {
			return a, true
		}
	}
	return Allowance{}, false
}

// ParsePort parses a port as --port takes it: "8443/tcp", "53/udp"; a bare
// number is TCP.
func ParsePort(s string) (uint16, string, error) {
	num, proto, found := strings.Cut(strings.TrimSpace(s), "/")
	proto = strings.ToLower(proto)
	if !found {
		proto = TCP
	}
	if proto != TCP && proto != UDP {
		return 0, "", fmt.Errorf("port %q: protocol %q: want tcp or udp, e.g. 8443/tcp", s, proto)
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return 0, "", fmt.Errorf("port %q: want a number from 1 to 65535 and a protocol, e.g. 8443/tcp", s)
	}
	return uint16(n), proto, nil
}

// NewID returns the id an allowance gets when added: a hash of what it
// allows, for whom, and when it was created, so the same entry added twice
// at once is one entry.
func NewID(a Allowance) string {
	addr := ""
	if a.Address.IsValid() {
		addr = a.Address.Unmap().String()
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d/%s\x00%d", addr, a.DeviceID, a.User, a.Port, a.Proto, a.Created.Unix()))
	return "al-" + hex.EncodeToString(h[:6])
}
