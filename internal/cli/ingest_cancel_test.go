package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/homesoc/homesoc/internal/store/engine"
)

// firewallLines is an endless firewall log on stdin, each line a new event;
// it calls stop when line stopAt is read, as a user pressing Ctrl-C while an
// ingest runs.
type firewallLines struct {
	n, stopAt int
	stop      func()
	buf       bytes.Buffer
}

func (f *firewallLines) Read(p []byte) (int, error) {
	for f.buf.Len() < len(p) {
		f.n++
		if f.n == f.stopAt && f.stop != nil {
			f.stop()
		}
		writeFirewallLine(&f.buf, f.n)
	}
	return f.buf.Read(p)
}

// writeFirewallLine writes line n of the firewall log.
func writeFirewallLine(w io.Writer, n int) {
	fmt.Fprintf(w, "2020-04-06T16:%02d:%02d router kernel: DROP IN=ppp0 OUT= MAC= SRC=10.%d.%d.%d DST=203.0.113.7 LEN=40 PROTO=TCP SPT=%d DPT=23\n",
		n/60%60, n%60, n>>16&255, n>>8&255, n&255, 1024+n%60000)
}

// TestIngestInterrupted stops an ingest in the middle of a large input: it
// prints one line with how many events it stored, which is what the store
// holds, exits 130, and the same input ingested again stores the rest.
func TestIngestInterrupted(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// With batches of 1,000 the reader runs at most two batches (and its
	// buffer) ahead of the writes, so by line 30,000 most are stored.
	const stopAt = 30_000
	in := &firewallLines{stopAt: stopAt, stop: cancel}
	var stdout, stderr bytes.Buffer
	code := Main(ctx, []string{"--data", data, "ingest", "--format", "netfilter", "--batch", "1000", "-"}, in, &stdout, &stderr)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, &stderr)
	}
	m := regexp.MustCompile(`^homesoc: interrupted: (\d+) new events stored; run the same command again to resume \(stored events are recognised by their ids and skipped\)\n$`).
		FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr is not the one interrupted line:\n%s", &stderr)
	}
	stored, _ := strconv.Atoi(m[1])
	if stored < 20_000 || stored >= in.n {
		t.Errorf("reported %d stored, of %d lines read: want most of the %d before the stop", stored, in.n, stopAt)
	}
	st, err := engine.Open(context.Background(), "duckdb", data)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := st.Counts(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := counts["network_events"]; got != int64(stored) {
		t.Fatalf("said %d events stored, the store holds %d", stored, got)
	}

	// Running it again over the same lines resumes: only the rest is new.
	const total = 40_000
	stdout.Reset()
	stderr.Reset()
	var again bytes.Buffer
	for n := 1; n <= total; n++ {
		writeFirewallLine(&again, n)
	}
	code = Main(context.Background(), []string{"--data", data, "--json", "ingest", "--format", "netfilter", "-"},
		&again, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("re-run: exit %d; stderr:\n%s", code, &stderr)
	}
	for _, want := range []string{
		fmt.Sprintf(`"stored": %d,`, total-stored),
		fmt.Sprintf(`"duplicates": %d,`, stored),
	} {
		if !bytes.Contains(stdout.Bytes(), []byte(want)) {
			t.Errorf("re-run: report lacks %s:\n%s", want, &stdout)
		}
	}
}
