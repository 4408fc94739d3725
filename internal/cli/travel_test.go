package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/geoip/geoiptest"
)

// TestImpossibleTravelEndToEnd runs the chain a user runs: Cisco ASA lines
// become VPN intervals, located once a GeoIP database is configured (here
// after the ingest), and detect raises vpn-impossible-travel for the user
// who logged in from Tokyo and, two hours after that session ended, from
// New York.
func TestImpossibleTravelEndToEnd(t *testing.T) {
	t.Setenv("HOMESOC_GEOIP_DB", "")
	t.Setenv("HOMESOC_STORE", "")
	dir := t.TempDir()
	city := geoiptest.Write(t, filepath.Join(dir, "city.mmdb"), geoiptest.City,
		geoiptest.Network{Prefix: "203.0.113.0/24", Country: "JP", Lat: 35.6895, Lon: 139.6917},
		geoiptest.Network{Prefix: "198.51.100.0/24", Country: "US", Lat: 40.7128, Lon: -74.006})
	log := filepath.Join(dir, "asa.log")
	lines := []string{
		`Jan 10 02:00:00 asa1 %ASA-6-113039: Group <RA-Staff> User <kimura> IP <203.0.113.45> AnyConnect parent session started.`,
		`Jan 10 02:00:01 asa1 %ASA-4-722051: Group <RA-Staff> User <kimura> IP <203.0.113.45> IPv4 Address <172.16.1.10> IPv6 address <::> assigned to session`,
		`Jan 10 03:00:00 asa1 %ASA-4-113019: Group = RA-Staff, Username = kimura, IP = 203.0.113.45, Session disconnected. Session Type: SSL, Duration: 1h:00m:00s, Bytes xmt: 1000, Bytes rcv: 2000, Reason: User Requested`,
		`Jan 10 05:00:00 asa1 %ASA-6-113039: Group <RA-Staff> User <kimura> IP <198.51.100.23> AnyConnect parent session started.`,
		`Jan 10 05:00:01 asa1 %ASA-4-722051: Group <RA-Staff> User <kimura> IP <198.51.100.23> IPv4 Address <172.16.1.11> IPv6 address <::> assigned to session`,
	}
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	// The year of a syslog stamp comes from the file's time.
	if code, _, errOut := runCLI(t, "--data", data, "ingest", "--format", "cisco-asa", log); code != 0 {
		t.Fatalf("ingest: exit %d, %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "--data", data, "--geoip-db", city, "--json", "detect")
	if code != 0 {
		t.Fatalf("detect: exit %d, %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "--data", data, "--json", "query",
		"SELECT user_name, remote_ip, remote_country, remote_located, assigned_ip, end_kind FROM vpn_intervals ORDER BY start_time")
	if code != 0 {
		t.Fatalf("query: exit %d, %s", code, errOut)
	}
	var q struct {
		Rows [][]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := `[["kimura","203.0.113.45","JP",1,"172.16.1.10","logged"],["kimura","198.51.100.23","US",1,"172.16.1.11","max"]]`
	if got, _ := json.Marshal(q.Rows); string(got) != want {
		t.Errorf("vpn_intervals = %s\nwant %s", got, want)
	}

	code, out, errOut = runCLI(t, "--data", data, "--json", "alerts", "list")
	if code != 0 {
		t.Fatalf("alerts: exit %d, %s", code, errOut)
	}
	var as []struct {
		Rule  string            `json:"rule"`
		Group map[string]string `json:"group"`
	}
	if err := json.Unmarshal([]byte(out), &as); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var travel []map[string]string
	for _, a := range as {
		if a.Rule == "vpn-impossible-travel" {
			travel = append(travel, a.Group)
		}
	}
	if len(travel) != 1 || travel[0]["user"] != "kimura" {
		t.Errorf("vpn-impossible-travel alerts = %v; want one of kimura\n%s", travel, out)
	}
}
