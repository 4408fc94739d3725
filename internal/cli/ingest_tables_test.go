package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/pipeline"
)

// TestPrintIngestTables: ingest says what each table got when an input held
// records for other tables than network_events, in text and JSON, and
// prints {} in JSON when nothing was stored.
func TestPrintIngestTables(t *testing.T) {
	edr := pipeline.Stats{Format: "crowdstrike-fdr", Read: 9, Stored: 6, Duplicates: 1, Seconds: 1,
		Tables: map[string]pipeline.TableStats{
			"network_events":  {Stored: 2},
			"endpoint_states": {Stored: 4, Duplicates: 1},
		}}
	gw := pipeline.Stats{Format: "squid", Read: 5, Stored: 4, Skipped: 1, Seconds: 1,
		Tables: map[string]pipeline.TableStats{
			"http_events":  {Stored: 3},
			"vpn_sessions": {Stored: 1, Duplicates: 2},
		}}
	fw := pipeline.Stats{Format: "netfilter", Read: 3, Stored: 3, Seconds: 1,
		Tables: map[string]pipeline.TableStats{"network_events": {Stored: 3}}}
	for _, c := range []struct {
		name string
		json bool
		rep  ingestReport
		want string // the end of stdout
	}{
		{"text, EDR", false, ingestReport{Stats: edr, Files: []fileReport{{File: "fdr.json", Stats: edr}}},
			"rejected 0, sightings 0 in 1.00s (9 lines/s)\nby table:\n  endpoint_states  stored 4, duplicates 1\n  network_events   stored 2, duplicates 0\n"},
		{"text, VPN and proxy", false, ingestReport{Stats: gw, Files: []fileReport{{File: "access.log", Stats: gw}}},
			"rejected 0, sightings 0 in 1.00s (5 lines/s)\nby table:\n  http_events      stored 3, duplicates 0\n  vpn_sessions     stored 1, duplicates 2\n"},
		{"text, firewall only", false, ingestReport{Stats: fw, Files: []fileReport{{File: "fw.log", Stats: fw}}},
			"rejected 0, sightings 0 in 1.00s (3 lines/s)\n"},
		{"json, EDR", true, ingestReport{Stats: edr},
			`"tables": {
    "endpoint_states": {
      "stored": 4,
      "duplicates": 1
    },
    "network_events": {
      "stored": 2,
      "duplicates": 0
    }
  },`},
		{"json, VPN and proxy", true, ingestReport{Stats: gw},
			`"tables": {
    "http_events": {
      "stored": 3,
      "duplicates": 0
    },
    "vpn_sessions": {
      "stored": 1,
      "duplicates": 2
    }
  },`},
		{"json, nothing", true, ingestReport{}, `"tables": {},`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			e := &env{json: c.json, stdout: &out, stderr: &out}
			if err := e.printIngest(c.rep); err != nil {
				t.Fatal(err)
			}
			if c.json && !strings.Contains(out.String(), c.want) || !c.json && !strings.HasSuffix(out.String(), c.want) {
				t.Errorf("got:\n%s\nwant it to hold:\n%s", out.String(), c.want)
			}
		})
	}
}
