package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/geoip/geoiptest"
)

func TestGeoIPPaths(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "geoip"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"b-asn.mmdb", "a-city.mmdb", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(data, "geoip", n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		flag []string
		env  string
		data string
		want []string
	}{
		{"flag wins", []string{"/x/city.mmdb", "/x/asn.mmdb"}, "/y/a.mmdb", data, []string{"/x/city.mmdb", "/x/asn.mmdb"}},
		{"env, colon-separated", nil, "/y/a.mmdb::/y/b.mmdb", data, []string{"/y/a.mmdb", "/y/b.mmdb"}},
		{"data dir, by name", nil, "", data, []string{filepath.Join(data, "geoip", "a-city.mmdb"), filepath.Join(data, "geoip", "b-asn.mmdb")}},
		{"none", nil, "", t.TempDir(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOMESOC_GEOIP_DB", tt.env)
			e := &env{dataDir: tt.data, geoipDB: tt.flag}
			got, err := e.geoipPaths()
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("geoipPaths() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// runCLI runs homesoc with args and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDetectSkipsWithoutGeoIP(t *testing.T) {
	t.Setenv("HOMESOC_GEOIP_DB", "")
	t.Setenv("HOMESOC_STORE", "")
	data := t.TempDir()
	const skipped = "needs a GeoIP database: --geoip-db FILE or HOMESOC_GEOIP_DB"

	code, out, errOut := runCLI(t, "--data", data, "detect", "--now", "2026-01-10T12:00:00Z")
	if code != 0 {
		t.Fatalf("detect: exit %d, %s", code, errOut)
	}
	if !strings.Contains(out, "\nvpn-impossible-travel skipped: "+skipped+"\n") {
		t.Errorf("detect output lacks the skip note:\n%s", out)
	}

	code, out, errOut = runCLI(t, "--data", data, "--json", "detect", "--now", "2026-01-10T12:00:00Z")
	if code != 0 {
		t.Fatalf("detect --json: exit %d, %s", code, errOut)
	}
	var res struct {
		Skipped int `json:"skipped"`
		Rules   []struct {
			Rule    string `json:"rule"`
			Skipped string `json:"skipped"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res.Rules {
		got[r.Rule] = r.Skipped
	}
	if res.Skipped != 1 || got["vpn-impossible-travel"] != skipped || got["ioc-contact"] != "" {
		t.Errorf("detect --json: skipped %d, rules %v", res.Skipped, got)
	}

	// With a database, in <data>/geoip/, the rule runs.
	if err := os.MkdirAll(filepath.Join(data, "geoip"), 0o755); err != nil {
		t.Fatal(err)
	}
	geoiptest.Write(t, filepath.Join(data, "geoip", "city.mmdb"), geoiptest.City,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "JP", Lat: 35.6895, Lon: 139.6917})
	code, out, errOut = runCLI(t, "--data", data, "detect", "--now", "2026-01-10T12:00:00Z")
	if code != 0 || strings.Contains(out, "skipped") || !strings.Contains(out, "vpn-impossible-travel") {
		t.Errorf("detect with a database: exit %d, %s\n%s", code, errOut, out)
	}

	// A database that does not open is an error naming it, not a skip.
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	if err := os.WriteFile(bad, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, "--data", data, "--geoip-db", bad, "detect", "--now", "2026-01-10T12:00:00Z")
	if code != 1 || !strings.HasPrefix(errOut, "homesoc: open geoip database "+bad+": ") {
		t.Errorf("detect with a bad database: exit %d, %q", code, errOut)
	}
}

func TestVersionGeoIP(t *testing.T) {
	t.Setenv("HOMESOC_GEOIP_DB", "")
	dir := t.TempDir()
	city := geoiptest.Write(t, filepath.Join(dir, "city.mmdb"), geoiptest.City)
	asn := geoiptest.Write(t, filepath.Join(dir, "asn.mmdb"), geoiptest.ASN)
	code, out, errOut := runCLI(t, "--geoip-db", city, "--geoip-db", asn, "version")
	want := "geoip   GeoLite2-City 2026-11-20 (" + city + ")\ngeoip   GeoLite2-ASN 2026-11-20 (" + asn + ")\n"
	if code != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("version: exit %d, %s\n%s\nwant suffix\n%s", code, errOut, out, want)
	}
	code, out, _ = runCLI(t, "--data", dir+"/none", "--json", "version")
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 || v.GeoIP == nil || len(v.GeoIP) != 0 {
		t.Errorf("version --json without a database: %v, %+v", err, v)
	}
	if !strings.Contains(out, `"geoip": []`) {
		t.Errorf("version --json: want \"geoip\": [], got\n%s", out)
	}
}

func TestRulesListRequires(t *testing.T) {
	code, out, errOut := runCLI(t, "--json", "rules", "list")
	if code != 0 {
		t.Fatalf("rules list: exit %d, %s", code, errOut)
	}
	var rs []struct {
		ID       string   `json:"id"`
		Requires []string `json:"requires"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range rs {
		got[r.ID] = r.Requires
	}
	if !slices.Equal(got["vpn-impossible-travel"], []string{"geoip"}) || got["ioc-contact"] == nil || len(got["ioc-contact"]) != 0 {
		t.Errorf("requires: %v", got)
	}
}
