package view

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/feeds"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
)

// TestIntelLoad: two real imports into a DuckDB store add up: entries,
// rejects (the first MaxRejectSamples of them kept), skips with their
// reasons merged, the most frequent first, and what writing did.
func TestIntelLoad(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rep := NewIntelLoad("abuse", []string{"certs.csv", "ips.csv"})
	if b, _ := json.Marshal(rep); !strings.Contains(string(b), `"skip_reasons":[],`) || !strings.HasSuffix(string(b), `"first_rejects":[]}`) {
		t.Errorf("empty report: %s", b)
	}
	opts := intel.LoadOptions{Feed: "abuse", Now: testNow}
	certs := "# Listingdate,SHA1,Listingreason\n" +
		"2026-04-01 10:00:00,0123456789abcdef0123456789abcdef01234567,Foo C&C\n" +
		"2026-04-01 11:00:00,1123456789abcdef0123456789abcdef01234567,Foo C&C\n"
	imp, err := intel.Import(ctx, st, "sslbl", "certs.csv", strings.NewReader(certs), opts)
	if err != nil {
		t.Fatal(err)
	}
	rep.Add(imp)
	var ips strings.Builder
	ips.WriteString("# Firstseen,DstIP,DstPort\n2026-04-01 10:00:00,198.51.100.7,443\n2026-04-01 10:00:00,198.51.100.7,443\n")
	for i := range pipeline.MaxRejectSamples + 5 {
		fmt.Fprintf(&ips, "2026-04-01 10:00:00,not-an-ip-%d,443\n", i)
	}
	imp, err = intel.Import(ctx, st, "sslbl", "ips.csv", strings.NewReader(ips.String()), opts)
	if err != nil {
		t.Fatal(err)
	}
	rep.Add(imp)
	// Entries are indicators, duplicates and rejects; the skipped
	// certificates are not among them.
	if rep.Entries != 2+pipeline.MaxRejectSamples+5 || rep.Rejected != pipeline.MaxRejectSamples+5 || rep.Added != 1 ||
		len(rep.FirstRejects) != pipeline.MaxRejectSamples || rep.FirstRejects[0].Source != "ips.csv" {
		t.Errorf("counts: %+v", rep)
	}
	if len(rep.SkipReasons) != 1 || rep.SkipReasons[0].Count != 2 || rep.Skipped < 2 {
		t.Errorf("skips: %d %+v", rep.Skipped, rep.SkipReasons)
	}
	// The same reason again adds to it; as frequent, the reasons are in
	// alphabetical order.
	cert := rep.SkipReasons[0].Reason
	rep.Add(intel.Imported{LoadResult: intel.LoadResult{Skipped: 4, SkipReasons: map[string]int{cert: 1, "other": 3}}})
	want := []feeds.SkipReason{{Reason: "other", Count: 3}, {Reason: cert, Count: 3}}
	if fmt.Sprint(rep.SkipReasons) != fmt.Sprint(want) {
		t.Errorf("merged skips: %+v, want %+v", rep.SkipReasons, want)
	}
	// Loading the same again: unchanged, not added.
	imp, err = intel.Import(ctx, st, "sslbl", "ips.csv", strings.NewReader(ips.String()), opts)
	if err != nil {
		t.Fatal(err)
	}
	again := NewIntelLoad("abuse", nil)
	again.Add(imp)
	if again.Added != 0 || again.Unchanged != 1 || again.Files == nil {
		t.Errorf("again: %+v", again)
	}
}
