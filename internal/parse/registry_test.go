package parse

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
		if f.Description == "" || f.New == nil || f.Sniff == nil {
			t.Errorf("format %q is incomplete", f.Name)
		}
	}
	if want := []string{"cisco-asa", "crowdstrike-fdr", "defender", "defender-csv", "filterlog", "flow-json", "fortigate", "netfilter", "openvpn", "openvpn-status", "squid", "yamaha-rtx", "zeek-conn", "zeek-http"}; !slices.Equal(names, want) {
		t.Errorf("Formats() = %v, want %v", names, want)
	}
	Formats()[0] = Format{} // the caller's copy
	if Formats()[0].Name != "cisco-asa" {
		t.Error("Formats returned the registry's own slice")
	}
}

func TestLookup(t *testing.T) {
	f, err := Lookup("zeek-conn")
	if err != nil || f.Name != "zeek-conn" {
		t.Fatalf("Lookup(zeek-conn) = %q, %v", f.Name, err)
	}
	_, err = Lookup("syslog")
	const want = `unknown format "syslog" (one of: cisco-asa, crowdstrike-fdr, defender, defender-csv, filterlog, flow-json, fortigate, netfilter, openvpn, openvpn-status, squid, yamaha-rtx, zeek-conn, zeek-http)`
	if err == nil || err.Error() != want {
		t.Fatalf("Lookup(syslog) error = %v, want %q", err, want)
	}
}

func TestRegisterPanics(t *testing.T) {
	noop := Format{New: func(Options) Parser { return nil }, Sniff: func([]byte) bool { return false }}
	tests := []struct {
		name string
		f    Format
		want string
	}{
		{"empty name", noop, "empty name"},
		{"duplicate", Format{Name: "netfilter", New: noop.New, Sniff: noop.Sniff}, `twice for format "netfilter"`},
		{"no Sniff", Format{Name: "x", New: noop.New}, `format "x" without New or Sniff`},
		{"after first use", Format{Name: "late", New: noop.New, Sniff: noop.Sniff}, `format "late" after the registry was read`},
	}
	Formats() // seal
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Fatalf("Register panicked with %v, want %q", r, tt.want)
				}
			}()
			Register(tt.f)
		})
	}
}

func TestDetect(t *testing.T) {
	file := func(name string) [][]byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Split(b, []byte("\n"))
	}
	text := func(s string) [][]byte { return bytes.Split([]byte(s), []byte("\n")) }
	const known = "(one of: cisco-asa, crowdstrike-fdr, defender, defender-csv, filterlog, flow-json, fortigate, netfilter, openvpn, openvpn-status, squid, yamaha-rtx, zeek-conn, zeek-http)"
	tests := []struct {
		name  string
		lines [][]byte
		want  string // format name, or the error
	}{
		{"netfilter sample", file("netfilter.good.log"), "netfilter"},
		{"zeek TSV", file("conn.log"), "zeek-conn"},
		{"zeek TSV without headers", file("conn.log")[8:], "zeek-conn"},
		{"zeek JSON", file("conn.json"), "zeek-conn"},
		{"flow records", file("flows.jsonl"), "flow-json"},
		{"kern.log with other kernel messages", text("\n\nApr  6 16:05:29 gw kernel: [ 12.5] usb 1-1: new device\n" +
			"Apr  6 16:05:30 gw kernel: [ 13.5] DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.168.1.10 PROTO=UDP"), "netfilter"},
		{"flows after junk", text("garbage\n" + string(file("flows.jsonl")[0])), "flow-json"},
		{"other program", text("Apr  6 16:05:29 gw sshd[1]: Accepted publickey for root from 192.0.2.1 port 50000 ssh2"),
			"cannot detect format from the first 1 lines; pass --format " + known},
		{"other JSON", text(`{"src_ip":"192.0.2.1","dest_ip":"192.168.1.10","event_type":"alert"}` + "\n" + `{"event_type":"flow"}`),
			"cannot detect format from the first 2 lines; pass --format " + known},
		{"zeek dns.log", text("#path\tdns\n#fields\tts\tuid\tquery"), "cannot detect format from the first 2 lines"},
		{"empty", text("\n  \n"), "cannot detect format of an empty input; pass --format " + known},
		{"only the first 20 lines count", append(slices.Repeat(text("junk"), 20), file("flows.jsonl")...),
			"cannot detect format from the first 20 lines"},
		{"crowdstrike events and host records", file("crowdstrike/fdr.jsonl"), "crowdstrike-fdr"},
		{"crowdstrike aidmaster alone", file("crowdstrike/fdr.jsonl")[7:10], "crowdstrike-fdr"},
		{"crowdstrike managedassets alone", file("crowdstrike/fdr.jsonl")[10:11], "crowdstrike-fdr"},
		{"defender streaming API", file("defender/streaming.jsonl"), "defender"},
		{"defender CSV of DeviceNetworkEvents", file("defender/DeviceNetworkEvents.csv"), "defender-csv"},
		{"defender CSV of DeviceNetworkInfo", file("defender/DeviceNetworkInfo.csv"), "defender-csv"},
		{"defender CSV of DeviceInfo with a BOM", file("defender/DeviceInfo.csv"), "defender-csv"},
		{"defender CSV of another table", text("Timestamp,DeviceId,FileName\n2024-05-01T10:00:00Z,d1,cmd.exe"),
			"cannot detect format from the first 2 lines"},
		{"tie", text(`{"id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2","src_addr":"192.0.2.1","first_seen_at":"2024-03-01T10:00:00Z"}`),
			"cannot detect format from the first 1 lines: flow-json and zeek-conn match equally; pass --format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Detect(tt.lines)
			got := f.Name
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Fatalf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSniffsAgree checks that each sample file's lines are claimed by its
// own format only, so Detect never has to break a tie.
func TestSniffsAgree(t *testing.T) {
	samples := map[string]string{
		"netfilter.good.log": "netfilter",
		"conn.log":           "zeek-conn",
		"conn.json":          "zeek-conn",
		"flows.jsonl":        "flow-json",

		"crowdstrike/fdr.jsonl":            "crowdstrike-fdr",
		"defender/streaming.jsonl":         "defender",
		"defender/DeviceNetworkEvents.csv": "defender-csv",
		"defender/DeviceNetworkInfo.csv":   "defender-csv",
		"defender/DeviceInfo.csv":          "defender-csv",

		"cisco-asa/asa.log":       "cisco-asa",
		"fortigate/fortigate.log": "fortigate",
		"openvpn/server.log":      "openvpn",
		"squid/access.log":        "squid",
	}
	// A CSV export's rows are claimed by no format: its header decides.
	rowsOf := map[string]bool{"defender/DeviceNetworkEvents.csv": true, "defender/DeviceNetworkInfo.csv": true,
		"defender/DeviceInfo.csv": true}
	// These fixtures hold, among their records, lines that are no record
	// of the format (other message ids, bad lines) and that no format
	// claims; only another format's claim is an error there.
	mixed := map[string]bool{"cisco-asa/asa.log": true, "fortigate/fortigate.log": true, "openvpn/server.log": true,
		"squid/access.log": true}
	for file, format := range samples {
		for i, line := range readLines(t, file) {
			for _, f := range Formats() {
				if rowsOf[file] && i > 0 {
					format = ""
				}
				if mixed[file] && f.Name == format && !f.Sniff(line) {
					continue
				}
				if f.Sniff(line) != (f.Name == format) {
					t.Errorf("%s:%d: %s Sniff = %v", file, i+1, f.Name, f.Sniff(line))
				}
			}
		}
	}
}
