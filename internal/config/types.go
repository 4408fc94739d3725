package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// typeErr reports a bad value at n's line the way yaml.v3 collects its own
// type errors, so that decoding goes on and every bad value is reported.
func typeErr(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
}

// Duration is a length of time written as Alertmanager writes it: a
// sequence of numbers with units ms, s, m, h, d, w, y (d is 24h, w 7d, y
// 365d), e.g. "30s", "4h", "1d12h". JSON prints it in seconds.
type Duration time.Duration

var durationRE = regexp.MustCompile(`^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$`)

// ParseDuration reads a Duration; "0" is zero.
func ParseDuration(s string) (Duration, error) {
	if s == "0" {
		return 0, nil
	}
	m := durationRE.FindStringSubmatch(s)
	if s == "" || m == nil {
		return 0, fmt.Errorf("bad duration %q: want a number and a unit (ms, s, m, h, d, w, y), e.g. 30s or 4h", s)
	}
	units := []time.Duration{365 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second, time.Millisecond}
	var d time.Duration
	for i, u := range units {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil || n > int64((1<<63-1)/u) || d > time.Duration(1<<63-1)-time.Duration(n)*u {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		d += time.Duration(n) * u
	}
	return Duration(d), nil
}

// String writes d in the largest units that are exact, e.g. "1d12h".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	rest := time.Duration(d)
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if n := rest / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			rest -= n * u.d
		}
	}
	if rest > 0 { // below a millisecond: only from code, never from a file
		return time.Duration(d).String()
	}
	return b.String()
}

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return typeErr(n, "%v", err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration as ParseDuration reads it.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration in seconds (the *_s keys).
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(time.Duration(d).Seconds(), 'f', -1, 64)), nil
}

// UnmarshalYAML reads a URL and checks it.
func (u *URL) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if msg := checkURL(s); msg != "" {
		return typeErr(n, "URL %q %s", s, msg)
	}
	*u = URL(s)
	return nil
}

// UnmarshalYAML reads a URL that holds a secret and checks it, without
// quoting it in the error.
func (u *SecretURL) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if msg := checkURL(s); msg != "" {
		return typeErr(n, "URL <secret> %s", msg)
	}
	u.Secret = Secret(s)
	return nil
}

// UnmarshalYAML reads a matcher.
func (m *Matcher) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := ParseMatcher(s)
	if err != nil {
		return typeErr(n, "%v", err)
	}
	*m = v
	return nil
}

// MarshalYAML writes the matcher as ParseMatcher reads it.
func (m Matcher) MarshalYAML() (any, error) { return m.String(), nil }

// MarshalText writes the matcher as ParseMatcher reads it (JSON too).
func (m Matcher) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalYAML reads an address range and checks it.
func (r *Prefix) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if _, err := netip.ParsePrefix(s); err != nil {
		return typeErr(n, "bad range %q: want an address range like 127.0.0.0/8", s)
	}
	*r = Prefix(s)
	return nil
}
