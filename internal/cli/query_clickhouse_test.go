package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/store/clickhouse"
)

// TestEventsAndQueryClickHouse runs events, query and schema on a database
// of the shared ClickHouse server: the same answers as on DuckDB, and the
// sandbox refusing ClickHouse's ways out (file, url, remote, writes).
func TestEventsAndQueryClickHouse(t *testing.T) {
	u, err := url.Parse(chtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = fmt.Sprintf("/homesoc_query_%d", time.Now().UnixNano())
	storeURL := u.String()
	t.Cleanup(func() { clickhouse.DropDatabase(context.Background(), storeURL) })
	dir := t.TempDir()
	log := filepath.Join(dir, "fw.log")
	if err := os.WriteFile(log, []byte(
		"2020-04-06T16:05:29 router kernel: DROP IN=ppp0 OUT= MAC= SRC=180.188.12.34 DST=203.0.113.7 LEN=40 PROTO=TCP SPT=1 DPT=23\n"+
			"2020-04-06T16:05:30 router kernel: ACCEPT IN=ppp0 OUT=eth0 MAC= SRC=2001:db8::1 DST=2001:db8::2 LEN=40 PROTO=TCP SPT=5 DPT=443\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), append([]string{"--store", storeURL, "--data", filepath.Join(dir, "unused")}, args...),
			nil, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := run("ingest", log); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "--port", "443"}, "2020-04-06 16:05:30  allow   tcp       [2001:db8::1]:5  [2001:db8::2]:443  ppp0  eth0  netfilter\n(1 events)\n"},
		{[]string{"events", "--csv", "--action", "drop"}, "\r\n"},
		{[]string{"query", "SELECT action, count(*) AS n FROM network_events WHERE time >= {{since \"1h\"}} GROUP BY action ORDER BY action",
			"--now", "2020-04-06T17:00:00Z"}, "action  n\nallow   1\ndrop    1\n(2 rows)\n"},
		{[]string{"--json", "query", "SELECT dst_port, time FROM network_events WHERE action = 'drop'"},
			`"rows": [` + "\n    [\n      23,\n      \"2020-04-06T16:05:29Z\"\n    ]\n  ]"},
		{[]string{"schema"}, "| event_id | UUID |"},
	} {
		code, stdout, stderr := run(tc.args...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("%s: exit %d, stdout:\n%s\nstderr:\n%s\nwant stdout with:\n%s", tc.args, code, stdout, stderr, tc.want)
		}
	}
	for _, q := range []string{
		"SELECT * FROM file('/etc/passwd', 'TSV', 'line String')",
		"SELECT * FROM url('http://127.0.0.1:1/', 'TSV', 'line String')",
		"SELECT * FROM remote('127.0.0.1', system.one)",
		"DROP TABLE rejects",
		"ALTER TABLE network_events DELETE WHERE 1 = 1",
	} {
		code, _, stderr := run("query", q)
		if code != 1 || !strings.Contains(stderr, "readonly mode") && !strings.Contains(stderr, "refused unless it is a single SELECT") {
			t.Errorf("%s: exit %d, stderr %q; want it refused", q, code, stderr)
		}
	}
	if code, stdout, stderr := run("query", "SELECT count(*) AS n FROM network_events"); code != 0 || !strings.Contains(stdout, "\n2 \n") && !strings.Contains(stdout, "\n2\n") {
		t.Errorf("after the refusals: exit %d, %s%s", code, stdout, stderr)
	}
}
