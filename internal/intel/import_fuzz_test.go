package intel_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// importNow is the load time of the import tests.
var importNow = time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)

// maxImportInput caps fuzz inputs: a store per input is slow, and the
// loaders stream, so a bigger input finds nothing a smaller one does not.
const maxImportInput = 4 << 10

// goodLines are an entry every format loads, before and after the fuzzed
// bytes, so a bad line can be seen to cost no good one.
var goodLines = map[string][2]string{
	intel.FormatCSV:       {"192.0.2.1", "192.0.2.2 # after the junk"},
	intel.FormatFeodo:     {`"2024-01-01 10:00:00","192.0.2.1","443","online","2024-01-14","QakBot"`, `"2024-01-02 10:00:00","192.0.2.2","443","online","2024-01-14","QakBot"`},
	intel.FormatSpamhaus:  {"192.0.2.1 ; SBL000001", "192.0.2.2"},
	intel.FormatSSLBL:     {"# Firstseen,DstIP,DstPort\n2024-01-01 10:00:00,192.0.2.1,443", "2024-01-02 10:00:00,192.0.2.2,443"},
	intel.FormatThreatFox: {`"2024-01-01 10:00:00", "1", "192.0.2.1:443", "ip:port", "botnet_cc", "win.qakbot", "", "QakBot", "", "75", "False", "", "", "0", "t"`, `"2024-01-02 10:00:00", "2", "192.0.2.2:80", "ip:port", "botnet_cc", "", "", "", "", "", "", "", "", "", ""`},
	intel.FormatURLhaus:   {`"1","2024-01-01 10:00:00","http://192.0.2.1/x","online","","malware_download","","",""`, `"2","2024-01-02 10:00:00","http://192.0.2.2/x","offline","","malware_download","","",""`},
}

// FuzzImport loads arbitrary bytes as each feed format into a fresh DuckDB
// store, end to end as intel load does, alone and between two good entries,
// and checks that nothing fails, every indicator and every rejected line is
// in the store, each rejected line byte for byte, and the good entries
// around the junk load whatever the junk is.
func FuzzImport(f *testing.F) {
	for _, dir := range []string{"csv", "feodo", "import"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxImportInput {
			t.Skip()
		}
		for _, format := range intel.Formats() {
			checkImport(t, format, data, nil)
			good := goodLines[format]
			framed := []byte(good[0] + "\n" + string(data) + "\n" + good[1] + "\n")
			checkImport(t, format, framed, goodValues(format))
		}
	})
}

// TestImportBadBytes is the case of issue 8, a good line, then bytes that
// are not UTF-8, as each format; then bytes that are not UTF-8 in each place
// of an entry that loads.
func TestImportBadBytes(t *testing.T) {
	for _, format := range intel.Formats() {
		good := goodLines[format]
		checkImport(t, format, []byte(good[0]+"\n\xff\xfe\n"+good[1]+"\n"), goodValues(format))
	}
	tests := []struct {
		format, input string
		want          []string
	}{
		{intel.FormatCSV, "192.0.2.1\nhttps://phish.example.com/login?s\x88n=1\nevil\xff.example.com\n192.0.2.2 # \xfe\n", []string{"192.0.2.1", "192.0.2.2"}},
		{intel.FormatCSV, "value,threat,n\xfeote\n192.0.2.1,Qak\xffBot,\xfe\n", []string{"192.0.2.1"}},
		{intel.FormatFeodo, `[{"ip_address": "192.0.2.1", "first_seen": "2024-01-01 10:00:00", "malware": "Qak` + "\xff" + `", "x` + "\xfe" + `": "` + "\xfd" + `"}]`, []string{"192.0.2.1"}},
		{intel.FormatFeodo, "# \"first_seen_utc\",\"dst_ip\",\"x\xff\"\n\"2024-01-01 10:00:00\",\"192.0.2.1\",\"\xfe\"\n", []string{"192.0.2.1"}},
	}
	for _, tc := range tests {
		checkImport(t, tc.format, []byte(tc.input), tc.want)
	}
}

// importStore is the store the import checks of one process share: opening
// a DuckDB store for each input would make a fuzzer spend its time in
// migrations. Each import is its own as if its store were fresh: its own
// feed name (so its own indicator IDs), source and load time (so its
// rejects are the ones stored since that time, and none is a duplicate of an
// earlier import's). The store is opened afresh every importsPerStore
// imports, so it stays small.
var importStore struct {
	sync.Mutex
	st *duckdb.Store
	n  int
}

const importsPerStore = 200

// checkImport imports data as format into the store as a feed of its own and
// checks it.
func checkImport(t *testing.T, format string, data []byte, wantValues []string) {
	t.Helper()
	ctx := context.Background()
	importStore.Lock()
	defer importStore.Unlock()
	if importStore.n%importsPerStore == 0 {
		if importStore.st != nil {
			importStore.st.Close()
		}
		st, err := duckdb.Open(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		importStore.st = st
	}
	importStore.n++
	st, n := importStore.st, importStore.n
	feed, now := fmt.Sprintf("feed-%d", n), importNow.Add(time.Duration(n)*time.Second)
	imp, err := intel.Import(ctx, st, format, feed+".txt", bytes.NewReader(data), intel.LoadOptions{Feed: feed, Now: now})
	if err != nil {
		t.Fatalf("%s: import %q: %v", format, data, err)
	}

	// Every indicator is stored, and the good entries among them.
	all, err := st.Indicators(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var stored []event.Indicator
	values := map[string]bool{}
	for _, ind := range all {
		if ind.Feed == feed {
			stored = append(stored, ind)
			values[ind.Value] = true
		}
	}
	if len(stored) != len(imp.Indicators) || imp.Written.Added != len(imp.Indicators) {
		t.Errorf("%s: %d indicators loaded, %d added, %d stored", format, len(imp.Indicators), imp.Written.Added, len(stored))
	}
	for _, ind := range imp.Indicators {
		if !values[ind.Value] {
			t.Errorf("%s: indicator %s %q not stored", format, ind.Type, ind.Value)
		}
	}
	for _, v := range wantValues {
		if !values[v] {
			t.Errorf("%s: good entry %s not loaded from %q", format, v, data)
		}
	}

	// Every rejected entry is stored with its bytes; for a line-oriented
	// feed those are the line's, and every line is accounted for.
	rs, total, err := st.Rejects(ctx, now, len(imp.Rejected)+1)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(imp.Rejected) || len(rs) != total {
		t.Fatalf("%s: %d entries rejected, %d stored", format, len(imp.Rejected), total)
	}
	byLine := map[int64][]event.Reject{}
	for _, r := range rs {
		byLine[r.Line] = append(byLine[r.Line], r)
	}
	lines := feedLines(data)
	json := format == intel.FormatFeodo && startsJSON(data)
	for _, rj := range imp.Rejected {
		want := []byte(rj.Raw)
		if !json {
			if rj.Line < 1 || rj.Line > len(lines) {
				t.Errorf("%s: reject of line %d of %d", format, rj.Line, len(lines))
				continue
			}
			want = lines[rj.Line-1]
		}
		found := false
		for _, r := range byLine[int64(rj.Line)] {
			found = found || bytes.Equal(r.RawBytes(), want) && r.Reason == rj.Reason
		}
		if !found {
			t.Errorf("%s: line %d rejected as %q (%s), stored: %+v", format, rj.Line, want, rj.Reason, byLine[int64(rj.Line)])
		}
	}
	if !json {
		if got := len(imp.Indicators) + imp.Duplicates + len(imp.Rejected) + imp.Skipped; got != len(lines) {
			t.Errorf("%s: %d lines, but %d indicators + %d duplicates + %d rejected + %d skipped",
				format, len(lines), len(imp.Indicators), imp.Duplicates, len(imp.Rejected), imp.Skipped)
		}
	}
}

// feedLines splits a feed as the loaders read it: without line endings, the
// first line without a byte-order mark.
func feedLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(out) == 0 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		out = append(out, line)
	}
	return out
}

// startsJSON reports whether the feodo loader reads data as JSON: its first
// byte other than a byte-order mark and space opens an array or object.
func startsJSON(data []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(t) > 0 && (t[0] == '[' || t[0] == '{')
}
