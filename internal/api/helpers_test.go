package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

const testToken = "s3cret-t0ken"

// testNow is the service's clock in tests: the stores check silences'
// ends against the real clock.
var testNow = time.Now().UTC().Truncate(time.Second)

// apiEnv is an API over a real DuckDB store on a real loopback server,
// with what its callbacks were called with.
type apiEnv struct {
	t     testing.TB
	st    store.Store
	srv   *httptest.Server
	mu    sync.Mutex
	moved [][]alert.Alert // AlertsChanged calls
	intel int             // IntelLoaded calls
}

// newEnv starts the API; edit may change its options.
func newEnv(t testing.TB, edit func(*Options)) *apiEnv {
	t.Helper()
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "homesoc.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &apiEnv{t: t, st: st}
	o := Options{
		Store: st,
		Token: testToken,
		Ingest: func(ctx context.Context, source, format string, r io.Reader) (pipeline.Stats, error) {
			return pipeline.Run(ctx, st, pipeline.Source{Name: source, R: r}, pipeline.Config{Format: format, Now: func() time.Time { return testNow }})
		},
		IntelLoaded: func(context.Context) { e.mu.Lock(); e.intel++; e.mu.Unlock() },
		AlertsChanged: func(_ context.Context, as []alert.Alert) {
			e.mu.Lock()
			e.moved = append(e.moved, as)
			e.mu.Unlock()
		},
		Now: func() time.Time { return testNow },
	}
	if edit != nil {
		edit(&o)
	}
	e.srv = httptest.NewServer(New(o))
	t.Cleanup(e.srv.Close)
	return e
}

// reply is a response read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the reply's body into v, failing the test if it cannot.
func (r reply) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("reply %d %q: %v", r.status, r.body, err)
	}
}

// errText is the reply's {"error": ...}.
func (r reply) errText(t testing.TB) string {
	t.Helper()
	var e apiError
	r.json(t, &e)
	return e.Error
}

// do sends a request with the token and checks the reply against
// docs/openapi.yaml.
func (e *apiEnv) do(method, path string, body io.Reader, header ...string) reply {
	e.t.Helper()
	return e.doToken(testToken, method, path, body, header...)
}

// doToken is do with another token ("" for none).
func (e *apiEnv) doToken(token, method, path string, body io.Reader, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := reply{resp.StatusCode, resp.Header, b}
	checkSpec(e.t, req, r)
	return r
}

// jsonBody is v as a request body.
func jsonBody(v any) io.Reader {
	if s, ok := v.(string); ok {
		return strings.NewReader(s)
	}
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// gz is b gzip-compressed.
func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// netfilterLines are n netfilter lines, sec seconds past 16:05:00 on
// 2026-04-06, each from its own source address (first, first+1, ...).
func netfilterLines(n, first int, sec func(i int) int) string {
	var b strings.Builder
	for i := range n {
		k := first + i
		fmt.Fprintf(&b, "2026-04-06T16:%02d:%02d router kernel: DROP IN=ppp0 OUT= MAC= SRC=10.%d.%d.%d DST=203.0.113.7 PROTO=TCP SPT=40000 DPT=23\n",
			5+sec(i)/60, sec(i)%60, k>>16&255, k>>8&255, k&255)
	}
	return b.String()
}

// counts is what the store holds, table by table, with its silences and
// the state of each alert: what a refused request must leave as it was.
func (e *apiEnv) counts() string {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.st.Counts(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	ss, err := e.st.Silences(ctx, store.SilencesAll)
	if err != nil {
		e.t.Fatal(err)
	}
	as, err := e.st.Alerts(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var st []string
	for _, a := range as {
		st = append(st, a.ID[:8]+"="+a.Status+fmt.Sprint(len(a.History)))
	}
	var ex []string
	for _, s := range ss {
		ex = append(ex, s.ID+"@"+s.EndsAt.String())
	}
	return fmt.Sprintf("%v silences=%v alerts=%v", c, ex, st)
}

// testAlerts are three alerts of two rules, stored in e.
func (e *apiEnv) addAlerts() []alert.Alert {
	e.t.Helper()
	t0 := testNow.Add(-4 * time.Hour)
	mk := func(rule, sev, host string, last time.Time) alert.Alert {
		g := map[string]string{"src_ip": host}
		return alert.Alert{ID: alert.Identity(rule, []string{"src_ip"}, g), RuleID: rule, Title: rule + " from " + host, Severity: sev,
			Group: g, FirstSeen: t0, LastSeen: last, Count: 1, Events: 3, Detail: map[string]string{"src_ip": host, "ports": "40"},
			Status: alert.StatusOpen, UpdatedAt: last}
	}
	as := []alert.Alert{mk("port-scan-burst", "medium", "198.51.100.1", t0), mk("port-scan-burst", "high", "198.51.100.2", t0.Add(time.Hour)),
		mk("ioc-contact", "high", "192.168.1.10", t0.Add(2*time.Hour))}
	if _, err := e.st.UpsertAlerts(context.Background(), as); err != nil {
		e.t.Fatal(err)
	}
	return as
}
