package clickhouse

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/storetest"
)

// withHTTP returns a server URL with an http_port: the shared server's, if
// its URL has one or $HOMESOC_TEST_CLICKHOUSE_HTTP_PORT gives it, else a
// server of the test's own.
func withHTTP(t testing.TB, server string) string {
	t.Helper()
	if u, err := url.Parse(server); err == nil && u.Query().Get("http_port") != "" {
		return server
	}
	if port := os.Getenv("HOMESOC_TEST_CLICKHOUSE_HTTP_PORT"); port != "" {
		return withParam(t, server, "http_port", port)
	}
	return httpURL(t, chtest.StartServer(t))
}

// httpURL returns the URL of a server with its http_port.
func httpURL(t testing.TB, s *chtest.Server) string {
	t.Helper()
	u, err := url.Parse(s.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	return withParam(t, s.URL(), "http_port", u.Port())
}

// withParam returns the server URL with a query parameter set.
func withParam(b testing.TB, server, key, value string) string {
	u, err := url.Parse(server)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// openTemp opens a store on a fresh database of the server, dropped
// when the test ends.
func openTemp(t testing.TB, server string) *Store {
	t.Helper()
	s, err := OpenTemp(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	server := chtest.URL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, server) })
}

// TestConformanceHTTP runs the suite with network events inserted over HTTP.
func TestConformanceHTTP(t *testing.T) {
	server := withHTTP(t, chtest.URL(t))
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openTemp(t, server)
		if s.http == nil {
			t.Fatal("the store inserts no events over HTTP")
		}
		return s
	})
	// A port without ClickHouse fails Open, not the first write.
	if _, err := OpenTemp(context.Background(), withParam(t, chtest.URL(t), "http_port", "1")); err == nil ||
		!strings.HasPrefix(err.Error(), "clickhouse http interface: ") {
		t.Errorf("Open with a wrong http_port: %v", err)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, db, cluster, err string
	}{
		{url: "clickhouse://u:p@h:9000/events?cluster=c1", db: "events", cluster: "c1"},
		{url: "clickhouse://h:9000", db: "default"},
		{url: "clickhouse://h:9000/?dial_timeout=1s", db: "default"},
		{url: "http://h:8123/x", err: `clickhouse url "http://h:8123/x": want clickhouse://host:port/db`},
		{url: "clickhouse://u:secret@h:9000/a-b", err: `clickhouse url "clickhouse://u:xxxxx@h:9000/a-b": database "a-b": want letters, digits and _`},
		{url: "clickhouse://h:9000/db?http_port=8123", db: "db"},
		{url: "clickhouse://h:9000/db?cluster=a-b", err: `clickhouse url "clickhouse://h:9000/db?cluster=a-b": cluster "a-b": want letters, digits and _`},
	}
	for _, tc := range tests {
		cfg, err := parseURL(tc.url)
		opts, cluster := cfg.opts, cfg.cluster
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %s", tc.url, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case opts.Auth.Database != tc.db || cluster != tc.cluster:
			t.Errorf("%s: database %q, cluster %q; want %q, %q", tc.url, opts.Auth.Database, cluster, tc.db, tc.cluster)
		case opts.Settings["cluster"] != nil || opts.Settings["http_port"] != nil:
			t.Errorf("%s: homesoc's parameters passed to the server as settings", tc.url)
		}
	}
}

// TestOpenExisting opens a database twice: the second Open finds the schema
// in place, and the data.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	s1 := openTemp(t, server)
	if _, err := s1.WriteNetwork(ctx, []event.Network{storetest.TestEvent(1)}); err != nil {
		t.Fatal(err)
	}
	u := withDatabase(t, server, s1.Database())
	s2, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if c, err := s2.Counts(ctx); err != nil || c["network_events"] != 1 {
		t.Fatalf("counts %v, %v", c, err)
	}
	if got := queryRows(t, s2, `SELECT max(version), count() FROM schema_migrations`); got != fmt.Sprintf("[[%d %[1]d]]", len(migrations)) {
		t.Errorf("schema_migrations: %s", got)
	}
	if err := s2.insertColumns(ctx, "schema_migrations", "version", []uint32{99}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, u); err == nil || err.Error() != fmt.Sprintf("migrate clickhouse database %s: database schema version 99 is newer than this homesoc (%d): upgrade homesoc", s1.Database(), len(migrations)) {
		t.Errorf("newer schema: %v", err)
	}
}

// TestTempDropped checks that closing a temporary store drops its database.
func TestTempDropped(t *testing.T) {
	ctx := context.Background()
	server := chtest.URL(t)
	s, err := OpenTemp(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	db := s.Database()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	other := openTemp(t, server)
	if other.Database() == db {
		t.Fatal("two temporary stores share a database")
	}
	if got := queryRows(t, other, `SELECT count() FROM system.databases WHERE name = '`+db+`'`); got != "[[0]]" {
		t.Errorf("database %s still exists after Close: %s", db, got)
	}
}

// TestMergesLeaveNoDuplicates writes what a race between two processes
// would: the same events, sightings, rejects, indicator versions and alert
// versions twice, past the insert-side checks. Readers of mutable state see one row at once;
// once parts merge, every table holds one row per key.
func TestMergesLeaveNoDuplicates(t *testing.T) { testMerges(t, chtest.URL(t)) }

func testMerges(t *testing.T, server string) {
	ctx := context.Background()
	s := openTemp(t, server)
	evs := []event.Network{storetest.MixedEvent(0), storetest.MixedEvent(1), storetest.MixedEvent(2)}
	ss := []sighting{{eventID: [16]byte(evs[0].ID), indicatorID: "x", time: evs[0].Time.Unix()}}
	for range 2 {
		if err := s.insertNetwork(ctx, evs, []int32{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.insertNewSightings(ctx, ss); err != nil {
			t.Fatal(err)
		}
		if err := s.LoadRows(ctx, "indicators", []map[string]any{{"value": "192.0.2.1"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.LoadRows(ctx, "alerts", []map[string]any{{"alert_id": "a", "first_seen": storetest.T0, "last_seen": storetest.T0}}); err != nil {
			t.Fatal(err)
		}
		if err := s.insertColumns(ctx, "rejects", "time, source, line, raw", []int64{storetest.T0.Unix()},
			[]string{"-"}, []int64{1}, []string{"x"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := queryRows(t, s, `SELECT (SELECT count() FROM indicators), (SELECT count() FROM alerts)`); got != "[[1 1]]" {
		t.Errorf("indicators, alerts before merging: %s; want one of each", got)
	}
	if rs, total, err := s.Rejects(ctx, time.Time{}, 10); err != nil || total != 1 || len(rs) != 1 {
		t.Errorf("rejects before merging: %v, %d in all, %v; want one", rs, total, err)
	}
	if got := queryRows(t, s, `SELECT count() FROM network_events`); got != "[[6]]" {
		t.Fatalf("network events before merging: %s; the race was not reproduced", got)
	}
	for _, tb := range []string{"network_events", "sightings", "rejects", "indicator_versions", "alert_versions"} {
		if err := s.conn.Exec(ctx, "OPTIMIZE TABLE "+s.layout().local(tb)+s.layout().onCluster()+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	got := queryRows(t, s, `SELECT (SELECT count() FROM network_events), (SELECT count() FROM sightings),
		(SELECT count() FROM rejects), (SELECT count() FROM indicator_versions), (SELECT count() FROM alert_versions)`)
	if got != "[[3 1 1 1 1]]" {
		t.Errorf("rows after merging (events, sightings, rejects, indicator and alert versions): %s; want [[3 1 1 1 1]]", got)
	}
}

// TestDropBefore drops whole months of history older than a time.
func TestDropBefore(t *testing.T) { testDropBefore(t, chtest.URL(t)) }

func testDropBefore(t *testing.T, server string) {
	ctx := context.Background()
	s := openTemp(t, server)
	at := func(month time.Month, day int) time.Time { return time.Date(2026, month, day, 12, 0, 0, 0, time.UTC) }
	var evs []event.Network
	for i, tm := range []time.Time{at(1, 31), at(2, 1), at(2, 28), at(3, 1), at(4, 15)} {
		e := storetest.TestEvent(i)
		e.Time = tm
		evs = append(evs, e)
	}
	if _, err := s.WriteNetwork(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteSightings(ctx, []event.Sighting{{EventID: evs[0].ID, IndicatorID: "x", Time: evs[0].Time}}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRejects(ctx, []event.Reject{{Time: at(3, 2), Source: "-", Line: 1, Raw: "x"}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		before time.Time
		want   string
		left   string
	}{
		{at(1, 31), "[]", "[[5 1 1]]"}, // January is not over
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "[network_events/202601 sightings/202601]", "[[4 0 1]]"},
		{at(3, 31), "[network_events/202602]", "[[2 0 1]]"},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "[network_events/202603 rejects/202603]", "[[1 0 0]]"},
	}
	for _, st := range steps {
		dropped, err := s.DropBefore(ctx, st.before)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(dropped) != st.want {
			t.Errorf("before %s: dropped %v, want %s", st.before, dropped, st.want)
		}
		got := queryRows(t, s, `SELECT (SELECT count() FROM network_events), (SELECT count() FROM sightings), (SELECT count() FROM rejects)`)
		if got != st.left {
			t.Errorf("before %s: left %s, want %s", st.before, got, st.left)
		}
	}
}

// withDatabase returns the server URL naming database db.
func withDatabase(t testing.TB, server, db string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	return u.String()
}

// queryRows runs q on s and returns its rows in fmt.Sprint form.
func queryRows(t testing.TB, s *Store, q string) string {
	t.Helper()
	res, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return fmt.Sprint(res.Rows)
}

// TestConvert checks how fixture values, as YAML types them, become column
// values.
func TestConvert(t *testing.T) {
	id := storetest.TestEvent(1).ID
	tests := []struct {
		v    any
		typ  string
		want string // %#v of the result, or the error
	}{
		{443, "Int32", "443"},
		{int64(-5), "Int64", "-5"},
		{"22", "Int32", "22"},
		{true, "UInt8", "0x1"},
		{0, "UInt8", "0x0"},
		{256, "UInt8", "256 is out of range for UInt8"},
		{2.0, "Int64", "2"},
		{2.5, "Int64", "cannot store float64 2.5 as Int64"},
		{"x", "Int32", `"x" is not an integer`},
		{3, "Float64", "3"},
		{443, "String", `"443"`},
		{storetest.T0, "String", `"2026-04-06 16:05:29"`},
		{storetest.T0.Add(500 * time.Millisecond), "DateTime('UTC')", "time.Date(2026, time.April, 6, 16, 5, 29, 0, time.UTC)"},
		{"2026-04-06 16:05:29", "DateTime('UTC')", "time.Date(2026, time.April, 6, 16, 5, 29, 0, time.UTC)"},
		{time.Time{}, "DateTime('UTC')", "time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)"},
		{"soon", "DateTime('UTC')", `"soon" is not a time`},
		{id.String(), "UUID", fmt.Sprintf("%#v", [16]byte(id))},
		{id, "UUID", fmt.Sprintf("%#v", [16]byte(id))},
		{nil, "String", "NULL in a NOT NULL column"},
	}
	for _, tc := range tests {
		v, err := convert(tc.v, tc.typ)
		got := fmt.Sprintf("%#v", v)
		if err != nil {
			got = err.Error()
		}
		if strings.HasPrefix(got, "uuid.UUID") {
			got = strings.TrimPrefix(got, "uuid.UUID")
			got = "[16]uint8" + got
		}
		if got != tc.want {
			t.Errorf("convert(%#v, %s) = %s, want %s", tc.v, tc.typ, got, tc.want)
		}
	}
}

// TestQueryReadOnly: the Query rules run under refuses what ReadQuery
// refuses (readonly = 1), and still reads.
func TestQueryReadOnly(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, chtest.URL(t))
	for _, q := range []string{
		`INSERT INTO rejects (time, source, raw) SELECT now(), 'x', 'y'`,
		`CREATE TABLE evil (x UInt8) ENGINE = Memory`,
		`SELECT * FROM file('/etc/passwd', 'LineAsString', 'l String')`,
	} {
		if _, err := s.Query(ctx, q); err == nil || !strings.Contains(err.Error(), "readonly") {
			t.Errorf("%s: %v, want a readonly refusal", q, err)
		}
	}
	if got := queryRows(t, s, `SELECT count() FROM rejects`); got != "[[0]]" {
		t.Errorf("rejects after the refused insert: %s", got)
	}
}
