package parse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// TestFilterlogRealLogs runs the parser over the real pfSense and OPNsense
// samples (their README does not yet name a format, so TestRealLogs passes
// them by): no line may be rejected (the README calls none truncated), the
// counts are the files' contents as the README describes them, and Detect
// picks filterlog from each file. With -v it logs the table BENCHMARKS.md
// reports.
func TestFilterlogRealLogs(t *testing.T) {
	tests := []struct {
		file                                  string
		read, stored, dups, skipped, rejected int
	}{
		// 19 filterlog lines, IPv4 tcp/udp/igmp/icmp and one IPv6 udp.
		{"pfsense-filterlog/elastic-pfsense-bsd.log", 19, 19, 0, 0, 0},
		// 3 filterlog lines (RFC 3164 and 5424), 1 dhcpd and 1 unbound.
		{"pfsense-filterlog/elastic-opnsense.log", 5, 3, 0, 2, 0},
	}
	var table strings.Builder
	table.WriteString("\n| file | read | stored | duplicates | skipped | rejected |\n|---|---|---|---|---|---|\n")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(realLogs, tt.file))
			if errors.Is(err, os.ErrNotExist) {
				t.Skip("no " + tt.file)
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
			if fm, err := Detect(lines); err != nil || fm.Name != filterlogName {
				t.Errorf("Detect = %q, %v; want filterlog", fm.Name, err)
			}
			p := newFilterlogParser(Options{ModTime: utc(2026, 11, 27, 0, 0, 0)})
			seen := map[event.ID]bool{}
			var read, stored, dups, skipped, rejected int
			for i, line := range lines {
				read++
				var ev event.Network
				switch err := p.Parse(line, &ev); {
				case errors.Is(err, ErrSkip):
					skipped++
				case err != nil:
					rejected++
					t.Errorf("line %d rejected: %v\n%s", i+1, err, line)
				case seen[ev.ID]:
					dups++
				default:
					seen[ev.ID] = true
					stored++
					checkInvariants(t, filterlogName, line, &ev)
				}
			}
			got := [5]int{read, stored, dups, skipped, rejected}
			if want := [5]int{tt.read, tt.stored, tt.dups, tt.skipped, tt.rejected}; got != want {
				t.Errorf("read, stored, duplicates, skipped, rejected = %v, want %v", got, want)
			}
			fmt.Fprintf(&table, "| %s | %d | %d | %d | %d | %d |\n", tt.file, read, stored, dups, skipped, rejected)
		})
	}
	t.Log(table.String())
}

// TestFilterlogRealLine checks every field of one real OPNsense line of
// each header shape.
func TestFilterlogRealLine(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(realLogs, "pfsense-filterlog/elastic-opnsense.log"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no pfsense-filterlog samples")
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	want := map[int]event.Network{
		0: fw(event.Network{Time: utc(2026, 1, 1, 2, 21, 38), Action: "drop", Direction: event.DirInbound, Protocol: "tcp",
			SrcIP: addr("10.170.12.50"), SrcPort: 49724, DstIP: addr("175.16.199.1"), DstPort: 853, TTL: 63,
			TCPFlags: "SYN", IPID: 12617, TCPWindow: 64240, PacketLen: 60, RuleName: "1535324496",
			InIface: "igb1.12", Sensor: "firewall.opnsense.net"}),
		4: fw(event.Network{Time: utc(2022, 6, 9, 20, 44, 11), Action: "allow", Direction: event.DirOutbound, Protocol: "tcp",
			SrcIP: addr("192.168.1.1"), SrcPort: 40370, DstIP: addr("10.10.10.10"), DstPort: 80, TTL: 63,
			TCPFlags: "SYN", IPID: 5687, TCPWindow: 65535, PacketLen: 60, RuleName: "fae559338f65e11c53669fc3642c93c2",
			OutIface: "ixl1_vlan70", Sensor: "OPNsense.example.com"}),
	}
	for i, w := range want {
		p := newFilterlogParser(Options{ModTime: utc(2026, 11, 27, 0, 0, 0)})
		var got event.Network
		if err := p.Parse(lines[i], &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		w.ID = event.NewID(filterlogName, lines[i])
		checkEvent(t, w, got)
	}
}
