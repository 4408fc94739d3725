package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name, yaml string
		want       map[string]time.Duration
		err        string // the whole error text; "" for none
	}{
		{name: "left out: only the outbox expires", yaml: "store: {url: duckdb}\n",
			want: map[string]time.Duration{"notifications": 30 * day}},
		{name: "empty section", yaml: "retention: {}\n",
			want: map[string]time.Duration{"notifications": 30 * day}},
		{name: "tables", yaml: "retention:\n  network_events: 90d\n  alerts: 1y\n  rejects: 2w\n  notifications: 7d\n",
			want: map[string]time.Duration{"network_events": 90 * day, "alerts": 365 * day, "rejects": 14 * day, "notifications": 7 * day}},
		{name: "0 keeps the outbox forever", yaml: "retention:\n  notifications: 0\n  sightings: 0\n",
			want: map[string]time.Duration{}},
		{name: "every table", yaml: "retention:\n  network_events: 1d\n  endpoint_states: 2d\n  vpn_sessions: 3d\n  http_events: 4d\n  rejects: 5d\n  sightings: 6d\n  scans: 7d\n  alerts: 8d\n  notifications: 9d\n",
			want: map[string]time.Duration{"network_events": day, "endpoint_states": 2 * day, "vpn_sessions": 3 * day, "http_events": 4 * day,
				"rejects": 5 * day, "sightings": 6 * day, "scans": 7 * day, "alerts": 8 * day, "notifications": 9 * day}},
		{name: "state is not history", yaml: "retention:\n  network_events: 90d\n  indicators: 30d\n  silences: 1d\n",
			err: "r.yaml:3: unknown key \"indicators\" in retention\nr.yaml:4: unknown key \"silences\" in retention"},
		{name: "unknown table", yaml: "retention:\n\n  network_event: 90d\n",
			err: "r.yaml:3: unknown key \"network_event\" in retention"},
		{name: "below a day", yaml: "retention:\n  alerts: 90d\n  network_events: 12h\n",
			err: "r.yaml:3: retention: network_events: 12h is below 1d (0 keeps the rows forever)"},
		{name: "bad duration", yaml: "retention:\n  sightings: forever\n",
			err: "r.yaml:2: bad duration \"forever\": want a number and a unit (ms, s, m, h, d, w, y), e.g. 30s or 4h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("r.yaml", []byte(tc.yaml), nil)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.Retention.Periods()
			if len(got) != len(tc.want) {
				t.Errorf("periods %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: %s, want %s", k, got[k], v)
				}
			}
		})
	}
}

func TestRetentionCutoffs(t *testing.T) {
	c, err := Parse("r.yaml", []byte("retention:\n  network_events: 90d\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 10, 12, 30, 15, 500, time.FixedZone("x", 3600))
	got := c.Retention.Cutoffs(now)
	want := map[string]time.Time{
		"network_events": time.Date(2026, 2, 9, 11, 30, 15, 0, time.UTC),
		"notifications":  time.Date(2026, 4, 10, 11, 30, 15, 0, time.UTC),
	}
	if len(got) != len(want) {
		t.Fatalf("cutoffs %v, want %v", got, want)
	}
	for k, v := range want {
		if !got[k].Equal(v) || got[k].Location() != time.UTC {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}

// TestRetentionTables: every table the section names is in RetentionTables,
// in the same order.
func TestRetentionTables(t *testing.T) {
	var r Retention
	var got []string
	for _, f := range r.fields() {
		got = append(got, f.table)
	}
	if strings.Join(got, ",") != strings.Join(RetentionTables, ",") {
		t.Errorf("fields %v, RetentionTables %v", got, RetentionTables)
	}
}

// TestRetentionJSON: JSON shows the retention in effect, the outbox's
// default included.
func TestRetentionJSON(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"store: {url: duckdb}\n", `"notifications_s":2592000`},
		{"retention:\n  notifications: 0\n", `"notifications_s":0`},
		{"retention:\n  network_events: 90d\n", `"network_events_s":7776000`},
	} {
		c, err := Parse("r.yaml", []byte(tc.yaml), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(c.Retention)
		if err != nil || !strings.Contains(string(b), tc.want) {
			t.Errorf("%q: %s, %v; want %s in it", tc.yaml, b, err, tc.want)
		}
	}
}
