package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store/storetest"
	"github.com/homesoc/homesoc/internal/view"
)

// TestTokenRequired: every /api/v1/ route of the table, with no token, a
// wrong one or another scheme, gets 401 with WWW-Authenticate and leaves
// the store as it was, even with a body that would otherwise succeed.
func TestTokenRequired(t *testing.T) {
	called := false
	e := newEnv(t, func(o *Options) {
		o.Command = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true })
	})
	as := e.addAlerts()
	sl, err := e.st.AddSilence(context.Background(), silence.Silence{Matchers: mustMatchers(t, "rule=port-scan-burst"), Author: "a", Comment: "c",
		StartsAt: testNow, EndsAt: testNow.Add(1e12)})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{
		"/api/v1/ingest":   netfilterLines(10, 0, func(i int) int { return i }),
		"/api/v1/intel":    "198.51.100.9\n",
		"/api/v1/query":    `{"sql": "SELECT 1"}`,
		"/api/v1/silences": `{"matchers": ["rule=x"], "comment": "c"}`,
	}
	before := e.counts()
	n := 0
	for _, rt := range routes {
		if rt.public {
			continue
		}
		n++
		path := strings.NewReplacer("{id}", as[0].ID).Replace(rt.pattern)
		if rt.pattern == "/api/v1/silences/{id}" {
			path = "/api/v1/silences/" + sl.ID
		}
		q := ""
		switch rt.pattern {
		case "/api/v1/ingest":
			q = "?format=netfilter"
		case "/api/v1/intel":
			q = "?feed=csv"
		case "/api/v1/whois":
			q = "?addr=192.0.2.1"
		}
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + testToken + "x", "Basic " + testToken, "Bearer"} {
			req, _ := http.NewRequest(rt.method, e.srv.URL+path+q, strings.NewReader(bodies[rt.pattern]))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			r := reply{resp.StatusCode, resp.Header, b}
			checkSpec(t, req, r)
			if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="homesoc"` || !strings.Contains(r.errText(t), "bearer token") {
				t.Errorf("%s %s with %q: %d %q %s", rt.method, path, auth, r.status, r.header.Get("WWW-Authenticate"), r.body)
			}
		}
	}
	if n < 15 {
		t.Errorf("%d token routes checked", n)
	}
	if after := e.counts(); after != before {
		t.Errorf("store changed by refused requests:\n%s\n%s", before, after)
	}
	if called || e.intel != 0 || len(e.moved) != 0 {
		t.Errorf("callbacks called: command %v, intel %d, moved %d", called, e.intel, len(e.moved))
	}
	// Unknown paths under /api/ are 401 too: no route is revealed.
	if r := e.doToken("", "GET", "/api/v2/nothing", nil); r.status != 401 {
		t.Errorf("unknown path without token: %d", r.status)
	}
	// The right token, case-insensitive scheme.
	if r := e.doToken("", "GET", "/api/v1/alerts", nil, "Authorization", "bearer "+testToken); r.status != 200 {
		t.Errorf("lower-case scheme: %d %s", r.status, r.body)
	}
}

// TestEmptyTokenRefusesAll: an API given no token is never open.
func TestEmptyTokenRefusesAll(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Token = "" })
	for _, tok := range []string{"", " "} {
		if r := e.doToken("", "GET", "/api/v1/alerts", nil, "Authorization", "Bearer "+tok); r.status != 401 {
			t.Errorf("token %q: %d", tok, r.status)
		}
	}
}

func mustMatchers(t *testing.T, s ...string) silence.Matchers {
	ms, err := silence.ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestPublicRoutes: healthz, readyz and metrics need no token; readyz
// and metrics follow their options; command is behind the token.
func TestPublicRoutes(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.doToken("", "GET", "/healthz", nil); r.status != 200 || string(r.body) != "ok\n" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
	if r := e.doToken("", "GET", "/readyz", nil); r.status != 200 {
		t.Errorf("readyz: %d %q", r.status, r.body)
	}
	if r := e.doToken("", "GET", "/metrics", nil); r.status != 404 {
		t.Errorf("metrics unset: %d %q", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/command", nil); r.status != 404 {
		t.Errorf("command unset: %d %q", r.status, r.body)
	}
	e = newEnv(t, func(o *Options) {
		o.Ready = func() error { return errors.New("store migrating") }
		o.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			io.WriteString(w, "homesoc_up 1\n")
		})
		o.Command = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.homesoc.command-stream") // as serve's
			io.WriteString(w, "ran")
		})
	})
	if r := e.doToken("", "GET", "/readyz", nil); r.status != 503 || r.errText(t) != "not ready: store migrating" {
		t.Errorf("readyz: %d %q", r.status, r.body)
	}
	if r := e.doToken("", "GET", "/metrics", nil); r.status != 200 || string(r.body) != "homesoc_up 1\n" {
		t.Errorf("metrics: %d %q", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/command", strings.NewReader(`{}`)); r.status != 200 || string(r.body) != "ran" {
		t.Errorf("command: %d %q", r.status, r.body)
	}
}

// TestNotFoundAndMethod: unknown paths are 404 and known paths with
// another method 405 with Allow, both as JSON errors.
func TestNotFoundAndMethod(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		method, path string
		status       int
		allow, err   string
	}{
		{"GET", "/api/v1/nothing", 404, "", "no route GET /api/v1/nothing"},
		{"GET", "/nothing", 404, "", "no route GET /nothing"},
		{"DELETE", "/api/v1/alerts", 405, "GET, HEAD", "method DELETE not allowed on /api/v1/alerts (allowed: GET, HEAD)"},
		{"GET", "/api/v1/ingest", 405, "POST", "method GET not allowed on /api/v1/ingest (allowed: POST)"},
		{"PUT", "/api/v1/silences/x", 405, "DELETE", ""},
		{"PATCH", "/api/v1/silences", 405, "GET, POST, HEAD", ""},
	} {
		r := e.do(c.method, c.path, nil)
		if r.status != c.status || r.header.Get("Allow") != c.allow || (c.err != "" && r.errText(t) != c.err) {
			t.Errorf("%s %s: %d Allow %q %s", c.method, c.path, r.status, r.header.Get("Allow"), r.body)
		}
	}
}

// TestAlerts: list with filters, show by prefix, ack/resolve/reopen with
// the callback, and the errors.
func TestAlerts(t *testing.T) {
	e := newEnv(t, nil)
	as := e.addAlerts()
	var list []view.ListedAlert
	e.do("GET", "/api/v1/alerts", nil).json(t, &list)
	if len(list) != 3 || list[0].ID != as[2].ID || list[0].Silenced == nil {
		t.Fatalf("list: %+v", list)
	}
	for q, want := range map[string]int{
		"?severity=high": 2, "?rule=port-scan-burst": 2, "?rule=port-scan-burst,ioc-contact&severity=medium": 1,
		"?state=ack": 0, "?state=open&state=resolved": 3, "?since=2h": 1, "?since=" + testNow.Add(-3*time.Hour).Format(time.RFC3339): 2,
	} {
		r := e.do("GET", "/api/v1/alerts"+q, nil)
		r.json(t, &list)
		if r.status != 200 || len(list) != want {
			t.Errorf("list %s: %d, %d alerts, want %d", q, r.status, len(list), want)
		}
	}
	for q, want := range map[string]string{
		"?state=closed":    `state "closed": want open, acknowledged or resolved`,
		"?severity=worst":  `severity "worst": want one of info, low, medium, high, critical`,
		"?since=yesterday": `since: "yesterday" is neither a time (2006-01-02T15:04:05Z, 2006-01-02 15:04:05, 2006-01-02) nor a duration ago (24h, 7d)`,
	} {
		if r := e.do("GET", "/api/v1/alerts"+q, nil); r.status != 400 || r.errText(t) != want {
			t.Errorf("list %s: %d %s", q, r.status, r.body)
		}
	}
	// A silence on port-scan marks those alerts in list and show.
	sl, err := e.st.AddSilence(context.Background(), silence.Silence{Matchers: mustMatchers(t, "rule=port-scan-burst"), Author: "a",
		Comment: "c", StartsAt: testNow.Add(-1e9), EndsAt: testNow.Add(3600e9)})
	if err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/api/v1/alerts?rule=port-scan-burst", nil).json(t, &list)
	if len(list) != 2 || len(list[0].Silenced) != 1 || list[0].Silenced[0] != sl.ID {
		t.Errorf("silenced: %+v", list)
	}
	var v view.ShownAlert
	r := e.do("GET", "/api/v1/alerts/"+as[0].ID[:8], nil)
	r.json(t, &v)
	if r.status != 200 || v.ID != as[0].ID || len(v.Silenced) != 1 || v.Description == "" || v.Runbook == "" {
		t.Errorf("show: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/alerts/ffffffffff", nil); r.status != 404 || !strings.Contains(r.errText(t), `no alert with id "ffffffffff"`) {
		t.Errorf("show unknown: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/alerts/"+commonPrefix(as), nil); commonPrefix(as) != "" && (r.status != 400 || !strings.Contains(r.errText(t), "give more of the id")) {
		t.Errorf("show ambiguous: %d %s", r.status, r.body)
	}

	// ack: the callback gets the alert, as it is now.
	var mv view.AlertMove
	r = e.do("POST", "/api/v1/alerts/"+as[1].ID[:8]+"/ack", jsonBody(`{"author": "anna", "comment": "on it"}`), "Content-Type", "application/json")
	r.json(t, &mv)
	h := mv.Alert.History
	if r.status != 200 || !mv.Changed || mv.Alert.Status != alert.StatusAcknowledged || len(h) != 1 || h[0].Author != "anna" ||
		h[0].Comment != "on it" || h[0].By != alert.ByOperator || !h[0].At.Equal(testNow) {
		t.Fatalf("ack: %d %s", r.status, r.body)
	}
	if len(e.moved) != 1 || len(e.moved[0]) != 1 || e.moved[0][0].ID != as[1].ID || e.moved[0][0].Status != alert.StatusAcknowledged {
		t.Fatalf("AlertsChanged: %+v", e.moved)
	}
	// Again: nothing changes, no callback.
	r = e.do("POST", "/api/v1/alerts/"+as[1].ID+"/ack", nil)
	r.json(t, &mv)
	if r.status != 200 || mv.Changed || len(e.moved) != 1 {
		t.Errorf("second ack: %d %s, %d calls", r.status, r.body, len(e.moved))
	}
	for verb, state := range map[string]string{"resolve": alert.StatusResolved, "reopen": alert.StatusOpen} {
		r = e.do("POST", "/api/v1/alerts/"+as[1].ID+"/"+verb, nil)
		r.json(t, &mv)
		if r.status != 200 || !mv.Changed || mv.Alert.Status != state || mv.Alert.History[len(mv.Alert.History)-1].Author != alert.DefaultAuthor {
			t.Errorf("%s: %d %s", verb, r.status, r.body)
		}
	}
	if len(e.moved) != 3 {
		t.Errorf("%d AlertsChanged calls, want 3", len(e.moved))
	}
	before := e.counts()
	for _, c := range []struct {
		path, body, ct string
		status         int
	}{
		{"/api/v1/alerts/ffff/ack", "", "", 404},
		{"/api/v1/alerts/" + as[0].ID + "/ack", `{"author": "x", "extra": 1}`, "application/json", 400},
		{"/api/v1/alerts/" + as[0].ID + "/ack", `{"author": `, "application/json", 400},
		{"/api/v1/alerts/" + as[0].ID + "/ack", `author=x`, "application/x-www-form-urlencoded", 415},
	} {
		if r := e.do("POST", c.path, strings.NewReader(c.body), "Content-Type", c.ct); r.status != c.status {
			t.Errorf("%s %q: %d %s", c.path, c.body, r.status, r.body)
		}
	}
	if after := e.counts(); after != before {
		t.Errorf("refused moves changed the store:\n%s\n%s", before, after)
	}
}

// commonPrefix is a prefix two of the alerts' ids share ("" if none do).
func commonPrefix(as []alert.Alert) string {
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			n := 0
			for n < len(as[i].ID) && as[i].ID[n] == as[j].ID[n] {
				n++
			}
			if n > 0 {
				return as[i].ID[:n]
			}
		}
	}
	return ""
}

// TestAlertAmbiguousPrefix: a prefix two alerts share is 400, naming both.
func TestAlertAmbiguousPrefix(t *testing.T) {
	e := newEnv(t, nil)
	mk := func(id string) alert.Alert {
		return alert.Alert{ID: id, RuleID: "r", Title: "t", Severity: "low", Group: map[string]string{}, FirstSeen: testNow,
			LastSeen: testNow, Detail: map[string]string{}, Status: alert.StatusOpen, UpdatedAt: testNow}
	}
	if _, err := e.st.UpsertAlerts(context.Background(), []alert.Alert{mk("abc1"), mk("abc2")}); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/v1/alerts/abc/resolve", nil)
	if r.status != 400 || r.errText(t) != `id prefix "abc" matches 2 alerts: abc1, abc2; give more of the id` && r.errText(t) != `id prefix "abc" matches 2 alerts: abc2, abc1; give more of the id` {
		t.Errorf("%d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/alerts/ABC1", nil); r.status != 200 {
		t.Errorf("upper case id: %d %s", r.status, r.body)
	}
}

// TestQuery: a SELECT with a macro; refused SQL is 422, bad requests 400,
// 415.
func TestQuery(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(netfilterLines(5, 0, func(i int) int { return i })))
	if r.status != 200 {
		t.Fatalf("ingest: %d %s", r.status, r.body)
	}
	var res view.Query
	r = e.do("POST", "/api/v1/query", jsonBody(map[string]string{"sql": `SELECT src_ip, time, 1.5 AS x, NULL AS n FROM network_events WHERE time < {{now}} ORDER BY src_ip LIMIT 2`}),
		"Content-Type", "application/json")
	r.json(t, &res)
	if r.status != 200 || strings.Join(res.Columns, ",") != "src_ip,time,x,n" || len(res.Rows) != 2 ||
		res.Rows[0][0] != "10.0.0.0" || res.Rows[0][1] != "2026-04-06T16:05:00Z" || res.Rows[0][3] != nil {
		t.Errorf("query: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/query", jsonBody(`{"sql": "SELECT 1 AS one WHERE false"}`))
	r.json(t, &res)
	if r.status != 200 || len(res.Rows) != 0 || res.Rows == nil {
		t.Errorf("no rows: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		body, ct string
		status   int
		err      string
	}{
		{`{"sql": "DELETE FROM network_events"}`, "", 422, "query: "},
		{`{"sql": "SELECT * FROM read_csv('/etc/passwd')"}`, "", 422, "query: "},
		{`{"sql": "SELEC 1"}`, "", 422, "query: "},
		{`{"sql": " "}`, "", 400, "sql: empty query"},
		{`{"sql": "SELECT 1", "timeout": "-1s"}`, "", 400, `timeout "-1s": want a positive duration such as 30s or 24h`},
		{`{"sql": "SELECT 1", "limit": 3}`, "", 400, `body: json: unknown field "limit"`},
		{``, "", 400, "empty body: want a JSON object"},
		{`{"sql": "SELECT 1"}`, "text/plain", 415, `Content-Type "text/plain": want application/json`},
	} {
		r := e.do("POST", "/api/v1/query", strings.NewReader(c.body), "Content-Type", c.ct)
		if r.status != c.status || !strings.HasPrefix(r.errText(t), c.err) {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	var n int64
	c, _ := e.st.Counts(context.Background())
	if n = c["network_events"]; n != 5 {
		t.Errorf("%d events after refused SQL", n)
	}
}

// TestScans: list and show stored scans; 404 for an unknown id.
func TestScans(t *testing.T) {
	e := newEnv(t, nil)
	var list []map[string]any
	if r := e.do("GET", "/api/v1/scans", nil); r.status != 200 || string(bytes.TrimSpace(r.body)) != "[]" {
		t.Errorf("no scans: %d %s", r.status, r.body)
	}
	id, err := e.st.WriteScan(context.Background(), storetest.TestScan(0))
	if err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/api/v1/scans?target=127.0.0.1&limit=0", nil).json(t, &list)
	if len(list) != 1 || list[0]["id"] != id {
		t.Errorf("list: %+v", list)
	}
	e.do("GET", "/api/v1/scans?target=192.0.2.99", nil).json(t, &list)
	if len(list) != 0 {
		t.Errorf("list other target: %+v", list)
	}
	var sc map[string]any
	r := e.do("GET", "/api/v1/scans/"+id, nil)
	r.json(t, &sc)
	if r.status != 200 || sc["id"] != id || len(sc["hosts"].([]any)) != 3 {
		t.Errorf("show: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/scans/20990101T000000Z-000000000000", nil); r.status != 404 {
		t.Errorf("unknown: %d %s", r.status, r.body)
	}
	for _, q := range []string{"?target=nope", "?limit=-1", "?since=x"} {
		if r := e.do("GET", "/api/v1/scans"+q, nil); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// TestSilences: add (text and object matchers), list, expire, and the
// refusals.
func TestSilences(t *testing.T) {
	e := newEnv(t, nil)
	e.addAlerts()
	var sl silence.Silence
	r := e.do("POST", "/api/v1/silences", jsonBody(`{"matchers": ["rule=port-scan-burst", {"name": "severity", "op": "=~", "value": "high|medium"}],
		"comment": "maintenance", "author": "anna", "duration": "2h"}`), "Content-Type", "application/json")
	r.json(t, &sl)
	if r.status != 201 || sl.ID == "" || len(sl.Matchers) != 2 || sl.Author != "anna" || !sl.StartsAt.Equal(testNow) || !sl.EndsAt.Equal(testNow.Add(2*3600e9)) {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	var vs []view.Silence
	e.do("GET", "/api/v1/silences", nil).json(t, &vs)
	if len(vs) != 1 || vs[0].ID != sl.ID || vs[0].State != silence.StateActive || vs[0].Alerts != 2 {
		t.Errorf("list: %+v", vs)
	}
	r = e.do("DELETE", "/api/v1/silences/"+sl.ID, nil)
	r.json(t, &sl)
	if r.status != 200 || sl.ExpiredAt == nil {
		t.Errorf("expire: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/silences/"+sl.ID, nil); r.status != 409 {
		t.Errorf("expire again: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/silences/0b6f3c2e-6a51-4c0e-9d7a-2f4a1e8b9c10", nil); r.status != 404 {
		t.Errorf("expire unknown: %d %s", r.status, r.body)
	}
	for q, want := range map[string]int{"": 0, "?expired=true": 1, "?all=1": 1} {
		e.do("GET", "/api/v1/silences"+q, nil).json(t, &vs)
		if len(vs) != want {
			t.Errorf("list %s: %d", q, len(vs))
		}
	}
	before := e.counts()
	for body, want := range map[string]string{
		`{"matchers": ["rule=~("], "comment": "c"}`:                                     "matchers[0]: ",
		`{"matchers": ["rule=x"]}`:                                                      "silence rule=\"x\": no comment: say why",
		`{"matchers": ["rule=~.*"], "comment": "c"}`:                                    "silence rule=~\".*\": its matchers match every alert",
		`{"matchers": [], "comment": "c"}`:                                              "silence: no matchers",
		`{"matchers": ["rule=x"], "comment": "c", "duration": "0s"}`:                    `duration "0s": want a positive duration`,
		`{"matchers": ["rule=x"], "comment": "c", "ends_at": "` + ago(time.Hour) + `"}`: "silence rule=\"x\": ends at " + ago(time.Hour) + ", not after its start",
		`{"matchers": ["rule=x"], "comment": "c", "starts_at": "` + ago(3*time.Hour) + `", "ends_at": "` + ago(2*time.Hour) + `"}`: "ends_at " + ago(2*time.Hour) + " is not in the future",
		`{"matchers": ["rule=x"], "comment": "c", "duration": "1h", "ends_at": "2026-04-07T00:00:00Z"}`:                            "ends_at and duration both given: give one",
	} {
		r := e.do("POST", "/api/v1/silences", strings.NewReader(body))
		if r.status != 400 || !strings.HasPrefix(r.errText(t), want) {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/silences?expired=true&all=true", nil); r.status != 400 {
		t.Errorf("expired and all: %d", r.status)
	}
	if after := e.counts(); after != before {
		t.Errorf("refused silences changed the store:\n%s\n%s", before, after)
	}
}

// ago is the time d before testNow, in RFC 3339.
func ago(d time.Duration) string { return testNow.Add(-d).Format(time.RFC3339) }

// TestWhois: an address with no evidence is unknown (200); bad input 400.
func TestWhois(t *testing.T) {
	e := newEnv(t, nil)
	var a map[string]any
	r := e.do("GET", "/api/v1/whois?addr=::ffff:192.168.1.10&at="+ago(time.Hour)+"&window=30m", nil)
	r.json(t, &a)
	if r.status != 200 || a["status"] != "unknown" || a["address"] != "192.168.1.10" || a["from"] != ago(time.Hour) {
		t.Errorf("whois: %d %s", r.status, r.body)
	}
	for _, q := range []string{"", "?addr=host", "?addr=fe80::1%25eth0", "?addr=192.0.2.1&at=soon", "?addr=192.0.2.1&window=-1m"} {
		if r := e.do("GET", "/api/v1/whois"+q, nil); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// TestIntelUpload: a CSV feed upload stores its indicators, keeps its
// rejects, retro-hunts stored events and tells the service.
func TestIntelUpload(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do("POST", "/api/v1/ingest?format=netfilter", strings.NewReader(netfilterLines(3, 0, func(i int) int { return i }))); r.status != 200 {
		t.Fatalf("ingest: %d %s", r.status, r.body)
	}
	feed := "# test feed\n10.0.0.1\n203.0.113.0/24\nnot an indicator at all!\n"
	var rep view.IntelLoad
	r := e.do("POST", "/api/v1/intel?feed=csv&name=mylist&source=upload.txt", bytes.NewReader(gz(t, []byte(feed))), "Content-Encoding", "gzip")
	r.json(t, &rep)
	if r.status != 200 || rep.Feed != "mylist" || rep.Added != 2 || rep.Rejected != 1 || rep.Skipped != 1 || rep.Entries != 3 ||
		len(rep.FirstRejects) != 1 || rep.FirstRejects[0].Source != "upload.txt" || rep.Hunt.Sightings != 4 {
		t.Errorf("upload: %d %s", r.status, r.body)
	}
	if e.intel != 1 {
		t.Errorf("IntelLoaded called %d times", e.intel)
	}
	// The same again: nothing new, no call.
	r = e.do("POST", "/api/v1/intel?feed=csv&name=mylist", strings.NewReader(feed))
	r.json(t, &rep)
	if r.status != 200 || rep.Added != 0 || rep.Unchanged != 2 || e.intel != 1 {
		t.Errorf("again: %d %s, %d calls", r.status, r.body, e.intel)
	}
	if r := e.do("POST", "/api/v1/intel?feed=nope", strings.NewReader(feed)); r.status != 400 ||
		r.errText(t) != `feed: unknown feed format "nope" (one of: csv, feodo, spamhaus, sslbl, threatfox, urlhaus)` {
		t.Errorf("unknown feed: %d %s", r.status, r.body)
	}
}

// TestIntelTooLarge: an upload past the limit is 413 and stores nothing.
func TestIntelTooLarge(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBody = 1000 })
	before := e.counts()
	feed := strings.Repeat("198.51.100.1\n", 1000)
	if r := e.do("POST", "/api/v1/intel?feed=csv", strings.NewReader(feed)); r.status != 413 || !strings.Contains(r.errText(t), "larger than 1000 bytes") {
		t.Errorf("%d %s", r.status, r.body)
	}
	if after := e.counts(); after != before || e.intel != 0 {
		t.Errorf("store changed:\n%s\n%s", before, after)
	}
}
