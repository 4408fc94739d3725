package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/assets"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// Host records of our own, in the formats the EDRs export: two aidmaster
// records (LAPTOP-ANNA without a MAC, mac-bob with one) and a managedassets
// record of LAPTOP-ANNA's Wi-Fi interface; a DeviceInfo export with a
// public address (laptop-anna in Defender) and without (nas01).
const (
	fdrHosts = `{"AgentLocalTime":"1714550400.000","AgentVersion":"7.10.17706.0","ComputerName":"LAPTOP-ANNA","Time":"1714557600.512","Version":"Windows 11","aid":"a1b2c3d4e5f60718293a4b5c6d7e8f90","aip":"198.51.100.7","cid":"c0ffee00c0ffee00c0ffee00c0ffee00","event_platform":"Win"}
{"AgentLocalTime":"1714550400","AgentVersion":"7.10.17706.0","ComputerName":"mac-bob","Time":"1714557605","Version":"Sonoma (14)","aid":"f00dbabef00dbabef00dbabef00dbabe","aip":"198.51.100.99","LocalAddressIP4":"203.0.113.77 192.168.7.2","MAC":"3C-22-FB-01-02-03","cid":"c0ffee00c0ffee00c0ffee00c0ffee00","event_platform":"Mac"}
{"GatewayIP":"192.168.1.1","InterfaceAlias":"Wi-Fi","LocalAddressIP4":"192.168.1.23","MAC":"A4-5E-60-11-22-33","_time":"1714557700.5","aid":"a1b2c3d4e5f60718293a4b5c6d7e8f90","cid":"c0ffee00c0ffee00c0ffee00c0ffee00"}
`
	deviceInfo = "\ufeffTimestamp [UTC],DeviceId,DeviceName,PublicIP,OSPlatform,OSVersion,OSBuild,LoggedOnUsers\n" +
		`"5/1/2024, 10:04:00.000 AM",4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a,laptop-anna.example.org,198.51.100.7,Windows11,10.0,22631,"[{""UserName"":""anna""}]"` + "\n" +
		`"5/1/2024, 10:04:00.000 AM",9f8e7d6c5b4a39281706f5e4d3c2b1a4d3c2b1a0,nas01,,Linux,6.1,,[]` + "\n"
)

// TestEDRRecordsUpdateAssets: host records ingested through the pipeline
// make and update assets; an import before and after sets owner, tags and
// notes, which the EDR records keep.
func TestEDRRecordsUpdateAssets(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingest := func(name, format, text string) {
		t.Helper()
		stats, err := pipeline.Run(ctx, st, pipeline.Source{Name: name, R: strings.NewReader(text)}, pipeline.Config{Format: format})
		if err != nil || stats.Rejected != 0 {
			t.Fatalf("ingest %s: %+v, %v", name, stats, err)
		}
	}
	upsert := func(want assets.Counts, us ...assets.Update) {
		t.Helper()
		if c, err := st.UpsertAssets(ctx, us); err != nil || c != want {
			t.Fatalf("import: %+v, %v; want %+v", c, err, want)
		}
	}
	upsert(assets.Counts{Added: 1}, assets.Update{Asset: assets.Asset{ID: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		Hostname: "anna-laptop", Owner: "anna", Tags: []string{"laptop"}, Source: "import:inventory.csv"}})
	ingest("fdr.jsonl", "crowdstrike-fdr", fdrHosts)
	ingest("DeviceInfo.csv", "defender-csv", deviceInfo)
	upsert(assets.Counts{Updated: 1}, assets.Update{Asset: assets.Asset{ID: "f00dbabef00dbabef00dbabef00dbabe",
		Notes: "bob's work Mac", Owner: "bob", Source: "import:more.json"}})
	ingest("fdr.jsonl", "crowdstrike-fdr", fdrHosts) // again: nothing changes
	got, err := st.Assets(ctx, store.AssetFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"id":"4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a","hostname":"laptop-anna.example.org","macs":[],"owner":"","os":"Windows11 10.0 build 22631","platform":"Windows11","tags":[],"serial":"","location":"","notes":"","source":"defender-csv","first_seen":"2024-05-01T10:04:00Z","last_seen":"2024-05-01T10:04:00Z"}`,
		`{"id":"9f8e7d6c5b4a39281706f5e4d3c2b1a4d3c2b1a0","hostname":"nas01","macs":[],"owner":"","os":"Linux 6.1","platform":"Linux","tags":[],"serial":"","location":"","notes":"","source":"defender-csv","first_seen":"2024-05-01T10:04:00Z","last_seen":"2024-05-01T10:04:00Z"}`,
		`{"id":"a1b2c3d4e5f60718293a4b5c6d7e8f90","hostname":"LAPTOP-ANNA","macs":["a4:5e:60:11:22:33"],"owner":"anna","os":"Windows 11","platform":"Win","tags":["laptop"],"serial":"","location":"","notes":"","source":"crowdstrike-fdr","first_seen":"2024-05-01T10:00:00Z","last_seen":"2024-05-01T10:01:40Z"}`,
		`{"id":"f00dbabef00dbabef00dbabef00dbabe","hostname":"mac-bob","macs":["3c:22:fb:01:02:03"],"owner":"bob","os":"Sonoma (14)","platform":"Mac","tags":[],"serial":"","location":"","notes":"bob's work Mac","source":"import:more.json","first_seen":"2024-05-01T10:00:05Z","last_seen":"2024-05-01T10:00:05Z"}`,
	}
	if len(got) != len(want) {
		t.Fatalf("%d assets, want %d: %+v", len(got), len(want), got)
	}
	for i, a := range got {
		if a.UpdatedAt.IsZero() || time.Since(a.UpdatedAt) > time.Minute {
			t.Errorf("%s: updated_at %v", a.ID, a.UpdatedAt)
		}
		b, _ := json.Marshal(a)
		if s := strings.Replace(string(b), `,"updated_at":"`+a.UpdatedAt.Format(time.RFC3339)+`"`, "", 1); s != want[i] {
			t.Errorf("asset %d:\n%s\nwant\n%s", i, s, want[i])
		}
	}
}
