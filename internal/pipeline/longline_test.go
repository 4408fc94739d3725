package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// TestRunJunkTail ingests netfilter lines with junk glued to them (issue 8,
// item 2): 1 MB of it, and another line's text. Each is rejected with its
// reason and kept whole; the good line between them is stored.
func TestRunJunkTail(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const good = "2020-04-06T16:05:29 router kernel: DROP IN=ppp0 OUT= SRC=180.188.12.34 DST=203.0.113.7 TTL=242 PROTO=UDP SPT=22852 DPT=1900"
	junk := good + strings.Repeat("x", 1_000_000)
	glued := good + " Apr  6 16:05:30 router kernel: usb 1-1: new device"
	in := junk + "\n" + good + "\n" + glued + "\n"
	got, err := pipeline.Run(ctx, st, pipeline.Source{Name: "fw.log", R: strings.NewReader(in)}, pipeline.Config{Format: "netfilter"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Read != 3 || got.Stored != 1 || got.Rejected != 2 {
		t.Fatalf("read %d, stored %d, rejected %d; want 3, 1, 2", got.Read, got.Stored, got.Rejected)
	}
	rs, _, err := st.Rejects(ctx, got.FirstRejects[0].Time.AddDate(0, 0, -1), 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("rejects %d, %v", len(rs), err)
	}
	for i, want := range []struct{ reason, raw string }{
		{"line of 1000123 bytes is longer than a netfilter LOG line can be (8192): junk after the record?", junk},
		{`junk after the packet fields at "Apr": not a word the kernel writes`, glued},
	} {
		if rs[i].Reason != want.reason || rs[i].Raw != want.raw {
			t.Errorf("reject %d: %q (%d bytes kept), want %q (%d bytes)", i, rs[i].Reason, len(rs[i].Raw), want.reason, len(want.raw))
		}
	}
}
