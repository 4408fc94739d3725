package intel

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		typ, value        string
		wantType, wantVal string
		wantErr           string
	}{
		{"", " 203.0.113.5 ", "ip", "203.0.113.5", ""},
		{"", "2001:DB8::0:1", "ip", "2001:db8::1", ""},
		{"", "::ffff:192.0.2.1", "ip", "192.0.2.1", ""},
		{"", "fe80::1%eth0", "ip", "fe80::1", ""},
		{"", "203.0.113.77/24", "cidr", "203.0.113.0/24", ""},
		{"", "203.0.113.77/32", "ip", "203.0.113.77", ""},
		{"", "2001:db8::1/128", "ip", "2001:db8::1", ""},
		{"", "2001:db8:1::/48", "cidr", "2001:db8:1::/48", ""},
		{"", "::ffff:192.0.2.0/120", "cidr", "192.0.2.0/24", ""},
		{"", "203.0.113.0/40", "", "", `bad cidr "203.0.113.0/40"`},
		{"", "10.0.0.0/8", "cidr", "10.0.0.0/8", ""},
		{"", "0.0.0.0/0", "", "", `bad cidr "0.0.0.0/0": broader than /8`},
		{"cidr", "2001:db8::/15", "", "", `bad cidr "2000::/15": broader than /16`},
		{"", "D41D8CD98F00B204E9800998ECF8427E", "hash", "d41d8cd98f00b204e9800998ecf8427e", ""},
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"", "hxxp://example.com", "url", "hxxp://example.com", ""},
		{"", "https://Example.com/A?b=C", "url", "https://Example.com/A?b=C", ""},
		{"", "://example.com", "", "", `bad url "://example.com"`},
		{"", "http://exa mple.com", "", "", `bad url "http://exa mple.com"`},
		{"", "Evil.Example.COM.", "domain", "evil.example.com", ""},
		{"", "xn--80ak6aa92e.example", "domain", "xn--80ak6aa92e.example", ""},
		{"", "localhost", "", "", `cannot tell indicator type of "localhost"`},
		{"", "a..example.com", "", "", `cannot tell indicator type of "a..example.com"`},
		{"", "", "", "", "empty value"},
		{"IPv4", "203.0.113.5", "ip", "203.0.113.5", ""},
		{"ip", "203.0.113.0/24", "", "", `bad ip "203.0.113.0/24"`},
		{"cidr", "203.0.113.5", "ip", "203.0.113.5", ""},
		{"cidr", "example.com", "", "", `bad cidr "example.com"`},
		{"hostname", "EXAMPLE.org", "domain", "example.org", ""},
		{"url", "example.org/x", "", "", `bad url "example.org/x"`},
		{"md5", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "", "", `bad hash "da39a3ee5e6b4b0d3255bfef95601890afd80709": 40 hex digits, want 32`},
		{"sha256", "zz", "", "", `bad hash "zz": not hex`},
		{"email", "a@example.com", "", "", `unknown indicator type "email"`},
		{"", "0123456789012345678901234567890123456789012345678901234567890123456789", "", "",
			`cannot tell indicator type of "0123456789012345678901234567890123456789012345678901234567890123"...`},
	} {
		typ, val, err := Canonical(tc.typ, tc.value)
		if typ != tc.wantType || val != tc.wantVal || errText(err) != tc.wantErr {
			t.Errorf("Canonical(%q, %q) = %q, %q, %q; want %q, %q, %q",
				tc.typ, tc.value, typ, val, errText(err), tc.wantType, tc.wantVal, tc.wantErr)
		}
	}
}

func TestMergeIndicator(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		dst, src event.Indicator
		want     event.Indicator
	}{
		{
			name: "later entry describes",
			dst:  event.Indicator{Threat: "A", Confidence: 75, FirstSeen: day(2), LastSeen: day(3), Fields: "{1}"},
			src:  event.Indicator{Threat: "B", Confidence: 50, FirstSeen: day(1), LastSeen: day(4), Active: true, Fields: "{2}"},
			want: event.Indicator{Threat: "B", Confidence: 75, FirstSeen: day(1), LastSeen: day(4), Active: true, Fields: "{2}"},
		},
		{
			name: "earlier entry keeps its description, fills a missing threat",
			dst:  event.Indicator{Confidence: 50, FirstSeen: day(2), LastSeen: day(5), Active: true, Fields: "{1}"},
			src:  event.Indicator{Threat: "B", Confidence: 100, FirstSeen: day(3), LastSeen: day(5), Fields: "{2}"},
			want: event.Indicator{Threat: "B", Confidence: 100, FirstSeen: day(2), LastSeen: day(5), Active: true, Fields: "{1}"},
		},
	} {
		got := tc.dst
		mergeIndicator(&got, tc.src)
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}
