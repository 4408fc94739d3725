package alertmanager

import (
	"encoding/json"
	"flag"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const password = "am-pass-77"

func newReceiver(t *testing.T, base string, o notify.Options) (notify.Receiver, error) {
	// Basic auth in the URL: a secret that must not show in errors.
	return New(config.AlertmanagerConfig{URL: config.URL(strings.Replace(base, "http://", "http://am:"+password+"@", 1))}, "soc/alertmanager/0", o)
}

func TestConformance(t *testing.T) {
	notifytest.Conformance(t, notifytest.Case{
		Kind: "alertmanager", New: newReceiver, OK: notifytest.Step{Status: 200}, Secrets: []string{password}, Update: *update,
		Check: func(t *testing.T, name string, n *notify.Notification, reqs []notifytest.Request) {
			if len(reqs) != 1 || reqs[0].Path != "/api/v2/alerts" {
				t.Fatalf("%d requests (first to %s), want one to /api/v2/alerts", len(reqs), reqs[0].Path)
			}
			checkPostableAlerts(t, reqs[0].Body, len(n.Message.Alerts))
			var as []PostableAlert
			_ = json.Unmarshal(reqs[0].Body, &as)
			want := map[string][]string{ // endsAt of each alert
				"firing":       {"2026-11-29T02:10:00Z", "2026-11-29T02:10:00Z"}, // T0 + Horizon
				"acknowledged": {"2026-11-29T02:10:00Z"},
				"resolved":     {"2026-11-28T02:08:00Z"}, // the resolve's time
				"test":         {"2026-11-29T02:10:00Z"},
			}[name]
			for i, a := range as {
				if a.EndsAt != want[i] {
					t.Errorf("alert %d: endsAt %s, want %s", i, a.EndsAt, want[i])
				}
				if a.Labels["homesoc_id"] != n.Message.Alerts[i].ID || a.Labels["alertname"] != n.Message.Alerts[i].Rule {
					t.Errorf("alert %d: labels %v", i, a.Labels)
				}
				if _, ok := a.Labels["status"]; ok {
					t.Errorf("alert %d: a status label", i)
				}
				// Only what cannot change while the alert lasts.
				ma := &n.Message.Alerts[i]
				want := map[string]bool{"alertname": true, "homesoc_id": true, "rule": true, "severity": true}
				for k := range ma.Group {
					want[k] = true
				}
				for k := range a.Labels {
					if !want[k] {
						t.Errorf("alert %d: label %s is not alertname, homesoc_id, rule, severity or a group column", i, k)
					}
					delete(want, k)
				}
				if len(want) > 0 {
					t.Errorf("alert %d: labels %v lack %v", i, a.Labels, want)
				}
				for _, k := range []string{"host", "user", "device", "hostname"} {
					if _, isGroup := ma.Group[k]; !isGroup && ma.Labels[k] != "" && a.Annotations[k] != ma.Labels[k] {
						t.Errorf("alert %d: annotation %s %q, want %q", i, k, a.Annotations[k], ma.Labels[k])
					}
				}
			}
		},
	})
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// checkPostableAlerts checks body against postableAlerts of Alertmanager's
// api/v2/openapi.yaml: an array of objects with a required labels
// (LabelSet: string to string), optional annotations (LabelSet), startsAt
// and endsAt (date-time) and generatorURL (uri), and nothing else
// (postableAlert adds no other property to its allOf).
func checkPostableAlerts(t *testing.T, body []byte, n int) {
	t.Helper()
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("body is not an array of objects: %v", err)
	}
	if len(raw) != n {
		t.Fatalf("%d alerts, want %d", len(raw), n)
	}
	labelSet := func(i int, key string, v json.RawMessage) {
		var ls map[string]string
		if err := json.Unmarshal(v, &ls); err != nil {
			t.Errorf("alert %d: %s is no LabelSet: %v", i, key, err)
		}
		for k := range ls {
			if key == "labels" && !labelName.MatchString(k) {
				t.Errorf("alert %d: label name %q", i, k)
			}
		}
	}
	for i, a := range raw {
		if _, ok := a["labels"]; !ok {
			t.Errorf("alert %d: no labels (required)", i)
		}
		for k, v := range a {
			switch k {
			case "labels", "annotations":
				labelSet(i, k, v)
			case "startsAt", "endsAt":
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					t.Errorf("alert %d: %s is no string", i, k)
				} else if _, err := time.Parse(time.RFC3339, s); err != nil {
					t.Errorf("alert %d: %s %q is no date-time", i, k, s)
				}
			case "generatorURL":
				var s string
				_ = json.Unmarshal(v, &s)
				if u, err := url.Parse(s); err != nil || !u.IsAbs() {
					t.Errorf("alert %d: generatorURL %q is no uri", i, s)
				}
			default:
				t.Errorf("alert %d: %q is no property of postableAlert", i, k)
			}
		}
	}
}

func TestURLJoin(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://127.0.0.1:9093", "http://127.0.0.1:9093/api/v2/alerts"},
		{"http://127.0.0.1:9093/", "http://127.0.0.1:9093/api/v2/alerts"},
		{"https://am.example.org/prefix", "https://am.example.org/prefix/api/v2/alerts"},
		{"https://am.example.org/prefix/", "https://am.example.org/prefix/api/v2/alerts"},
	} {
		r, err := New(config.AlertmanagerConfig{URL: config.URL(tc.url)}, "soc/alertmanager/0", notify.Options{})
		if err != nil || r.url != tc.want {
			t.Errorf("New(%q): %v, url %q, want %q", tc.url, err, r.url, tc.want)
		}
	}
	if _, err := New(config.AlertmanagerConfig{URL: "127.0.0.1:9093"}, "soc/alertmanager/0", notify.Options{}); err == nil ||
		err.Error() != "alertmanager soc/alertmanager/0: url must be an http or https URL" {
		t.Errorf("New without a scheme: %v", err)
	}
}

func TestLabelName(t *testing.T) {
	for in, want := range map[string]string{
		"device_id": "device_id", "src.ip": "src_ip", "9lives": "_9lives", "": "_", "ünï": "_n_",
	} {
		if got := LabelName(in); got != want || !labelName.MatchString(got) {
			t.Errorf("LabelName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLabelsStable: enrichment that attributes an alert later (host, user,
// device, hostname filled in) leaves its labels, Alertmanager's identity of
// it, as they were; the identity shows in the annotations.
func TestLabelsStable(t *testing.T) {
	a := notifytest.Contact()
	before := a
	before.Labels = map[string]string{"rule": "ioc-contact", "severity": "high", "status": "open", "host": "172.16.1.10"}
	before.Identity = nil
	m := notifytest.Notification("soc/alertmanager/0", before).Message
	first := Alerts(&m)[0]
	m = notifytest.Notification("soc/alertmanager/0", a).Message
	later := Alerts(&m)[0]
	want := map[string]string{"alertname": "ioc-contact", "homesoc_id": "9d8c7b6a-5f4e-5d3c-9b2a-1f0e9d8c7b6a",
		"rule": "ioc-contact", "severity": "high", "host": "172.16.1.10"} // host is the rule's group column
	if !reflect.DeepEqual(first.Labels, want) || !reflect.DeepEqual(later.Labels, want) {
		t.Errorf("labels before %v, after enrichment %v; want both %v", first.Labels, later.Labels, want)
	}
	if first.Annotations["user"] != "" || later.Annotations["user"] != "kimura" {
		t.Errorf("user annotation before %q, after %q; want none, then kimura", first.Annotations["user"], later.Annotations["user"])
	}
	// A group column keeps its label, named as Prometheus allows; an
	// identity label outside the group is an annotation.
	b := notifytest.Contact()
	b.Group = map[string]string{"src.ip": "172.16.1.10", "empty": ""}
	got := Labels(&b)
	want = map[string]string{"alertname": "ioc-contact", "homesoc_id": b.ID, "rule": "ioc-contact", "severity": "high", "src_ip": "172.16.1.10"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Labels = %v, want %v", got, want)
	}
	m = notifytest.Notification("soc/alertmanager/0", b).Message
	if ann := Alerts(&m)[0].Annotations; ann["host"] != "172.16.1.10" || ann["user"] != "kimura" {
		t.Errorf("annotations %v, want host and user", ann)
	}
}
