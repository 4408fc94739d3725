package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// realLogs is ../shared/real-logs/ of the repository root: samples other
// projects published, which must not be copied into the repository.
const realLogs = "../../../shared/real-logs"

// supportedBy finds the format a folder's README says homesoc reads it with.
var supportedBy = regexp.MustCompile("Supported by homesoc \\(`--format ([a-z0-9-]+)`\\)")

// quoted matches the quoted values of a reason, which vary by line.
var quoted = regexp.MustCompile(`"[^"]*"`)

// isoStamp matches a line whose stamp carries its year.
var isoStamp = regexp.MustCompile(`^(<[0-9]+>)?[0-9]{4}-`)

// truncatedLines are the lines of each sample that its folder's README calls
// truncated: the only real lines a parser may reject. Each entry names the
// phrase of the README that says so, which the test checks is still there.
var truncatedLines = map[string]struct {
	readme string
	n      int
}{
	"netfilter/elastic-iptables-ubiquiti.log": {"6 truncated syslog fragments", 6},
}

// realLogCounts is what became of one folder's lines.
type realLogCounts struct {
	folder, format                      string
	read, stored, dups, skipped, reject int
	compared, agreed                    int            // Elastic's fields compared and agreeing
	docs                                int            // lines with an Elastic document
	skips                               map[string]int // skipped lines by reason
	fields                              map[string]int // Elastic's fields compared, by our column
}

// TestRealLogs runs every parser over the real samples of the format it
// reads: no line may be rejected unless the folder's README calls it
// truncated. Where Elastic published its parsed output of a sample
// (*.expected.json), every field both keep is compared line by line; the
// year of a year-less stamp is excepted (we take the file's, Elastic the
// year its test ran). With -v it logs the table BENCHMARKS.md reports.
func TestRealLogs(t *testing.T) {
	folders, err := os.ReadDir(realLogs)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no " + realLogs)
	}
	if err != nil {
		t.Fatal(err)
	}
	var table []realLogCounts
	for _, d := range folders {
		if !d.IsDir() {
			continue
		}
		readme, err := os.ReadFile(filepath.Join(realLogs, d.Name(), "README.md"))
		if err != nil {
			continue
		}
		m := supportedBy.FindSubmatch(readme)
		if m == nil {
			continue
		}
		fm, err := Lookup(string(m[1]))
		if err != nil {
			t.Errorf("%s/README.md: %v", d.Name(), err)
			continue
		}
		c := realLogCounts{folder: d.Name(), format: fm.Name, skips: map[string]int{}, fields: map[string]int{}}
		t.Run(d.Name(), func(t *testing.T) { runRealFolder(t, fm, string(readme), &c) })
		table = append(table, c)
	}
	if len(table) == 0 {
		t.Fatal("no folder names a format homesoc reads")
	}
	var b strings.Builder
	b.WriteString("\n| folder | format | lines read | stored | duplicates | skipped | rejected | lines with Elastic's output | Elastic's fields agreeing |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range table {
		agree := "-"
		if c.compared > 0 {
			agree = fmt.Sprintf("%d of %d", c.agreed, c.compared)
		}
		fmt.Fprintf(&b, "| %s/ | %s | %d | %d | %d | %d | %d | %d | %s |\n",
			c.folder, c.format, c.read, c.stored, c.dups, c.skipped, c.reject, c.docs, agree)
	}
	for _, c := range table {
		for r, n := range c.skips {
			fmt.Fprintf(&b, "%s skipped %d: %s\n", c.folder, n, r)
		}
		var fs []string
		for f, n := range c.fields {
			fs = append(fs, fmt.Sprintf("%s %d", f, n))
		}
		slices.Sort(fs)
		fmt.Fprintf(&b, "%s fields compared: %s\n", c.folder, strings.Join(fs, ", "))
	}
	t.Log(b.String())
}

// runRealFolder parses every sample of a folder into c.
func runRealFolder(t *testing.T, fm Format, readme string, c *realLogCounts) {
	dir := filepath.Join(realLogs, c.folder)
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := f.Name()
		if name == "README.md" || strings.HasSuffix(name, ".expected.json") || strings.HasSuffix(name, ".sources") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := f.Info()
			if err != nil {
				t.Fatal(err)
			}
			docs := elasticDocs(t, path+".expected.json")
			trunc, hasTrunc := truncatedLines[c.folder+"/"+name]
			if hasTrunc && !strings.Contains(readme, trunc.readme) {
				t.Errorf("README no longer says %q", trunc.readme)
			}
			p := fm.New(Options{ModTime: fi.ModTime()})
			seen := map[event.ID]bool{}
			rejected := 0
			for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
				line = bytes.TrimRight(line, "\r")
				c.read++
				var ev event.Network
				switch err := p.Parse(line, &ev); {
				case errors.Is(err, ErrSkip):
					c.skipped++
					c.skips[strings.TrimSuffix(quoted.ReplaceAllString(err.Error(), `"..."`), ": "+ErrSkip.Error())]++
					continue
				case err != nil:
					c.reject++
					rejected++
					if !hasTrunc {
						t.Errorf("line %d rejected: %v\n%s", i+1, err, line)
					}
					continue
				}
				if seen[ev.ID] {
					c.dups++
				} else {
					c.stored++
				}
				seen[ev.ID] = true
				if doc, ok := docs[string(line)]; ok {
					c.docs++
					for _, d := range compareElastic(fm.Name, &ev, doc) {
						c.compared++
						c.fields[d.field]++
						if d.diff == "" {
							c.agreed++
						} else {
							t.Errorf("line %d: %s", i+1, d.diff)
						}
					}
				}
			}
			if hasTrunc && rejected > trunc.n {
				t.Errorf("%d lines rejected, the README calls %d truncated", rejected, trunc.n)
			}
		})
	}
}

// elasticDocs reads Elastic's expected output of a sample, keyed by the
// line each document was parsed from (event.original); nil if there is none.
func elasticDocs(t *testing.T, path string) map[string]map[string]any {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Expected []map[string]any `json:"expected"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	docs := map[string]map[string]any{}
	for _, d := range out.Expected {
		if s, ok := lookup(d, "event.original").(string); ok {
			docs[s] = d
		}
	}
	return docs
}

// lookup returns the value at a dotted path of a document, nil if absent.
func lookup(doc map[string]any, path string) any {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// fieldDiff is one field compared: our column, and what differs ("" if
// nothing).
type fieldDiff struct{ field, diff string }

// compareElastic compares the fields we and Elastic both keep: one entry
// per field Elastic has.
func compareElastic(format string, ev *event.Network, doc map[string]any) []fieldDiff {
	var out []fieldDiff
	cmp := func(field string, ours any, path string, norm func(any) any) {
		v := lookup(doc, path)
		if v == nil {
			return
		}
		if norm != nil {
			if v = norm(v); v == nil {
				return
			}
		}
		d := fieldDiff{field: field}
		if fmt.Sprint(v) != fmt.Sprint(ours) {
			d.diff = fmt.Sprintf("%s: ours %v, Elastic's %s %v", field, ours, path, v)
		}
		out = append(out, d)
	}
	num := func(v any) any { return int64(v.(float64)) }
	addr := func(v any) any { a, _ := netip.ParseAddr(v.(string)); return a }
	mac := func(v any) any { return strings.ReplaceAll(strings.ToLower(v.(string)), "-", ":") }

	stamp, _ := time.Parse(time.RFC3339Nano, lookup(doc, "@timestamp").(string))
	ours, theirs := ev.Time, stamp.UTC().Truncate(time.Second)
	if format == "netfilter" && !isoStamp.MatchString(lookup(doc, "event.original").(string)) {
		ours = ours.AddDate(theirs.Year()-ours.Year(), 0, 0) // a year-less stamp
	}
	out = append(out, fieldDiff{field: "time"})
	if !ours.Equal(theirs) {
		out[0].diff = fmt.Sprintf("time: ours %v, Elastic's %v", ev.Time, stamp)
	}
	cmp("src_ip", ev.SrcIP, "source.ip", addr)
	cmp("dst_ip", ev.DstIP, "destination.ip", addr)
	cmp("src_port", ev.SrcPort, "source.port", num)
	cmp("dst_port", ev.DstPort, "destination.port", num)
	cmp("protocol", ev.Protocol, "network.transport", nil)
	switch format {
	case "netfilter":
		cmp("sensor", ev.Sensor, "observer.name", nil)
		cmp("in_iface", ev.InIface, "iptables.input_device", nil)
		cmp("out_iface", ev.OutIface, "iptables.output_device", nil)
		cmp("ttl", ev.TTL, "iptables.ttl", num)
		cmp("ip_id", ev.IPID, "iptables.id", num)
		cmp("packet_len", ev.PacketLen, "iptables.length", num)
		cmp("tcp_window", ev.TCPWindow, "iptables.tcp.window", num)
		cmp("icmp_type", ev.ICMPType, "iptables.icmp.type", num)
		cmp("icmp_code", ev.ICMPCode, "iptables.icmp.code", num)
		cmp("src_mac", ev.SrcMAC, "source.mac", mac)
		cmp("dst_mac", ev.DstMAC, "destination.mac", mac)
		cmp("tcp_flags", ev.TCPFlags, "iptables.tcp.flags", func(v any) any {
			var fs []string
			for _, f := range v.([]any) {
				if slices.Contains([]string{"SYN", "ACK", "FIN", "RST", "PSH", "URG"}, f.(string)) {
					fs = append(fs, f.(string))
				}
			}
			return strings.Join(fs, " ")
		})
		if name, ok := lookup(doc, "rule.name").(string); ok {
			cmp("rule_name", ev.RuleName, "rule.id", func(v any) any { return name + "-" + v.(string) })
		}
		// Elastic's verdict is in event.type: denied or allowed.
		cmp("action", verdict(ev.Action), "event.type", func(v any) any {
			for _, t := range v.([]any) {
				if t == "denied" || t == "allowed" {
					return t
				}
			}
			return nil // no verdict: nothing to compare
		})
	case "zeek-conn":
		cmp("bytes_out", ev.BytesOut, "source.bytes", num)
		cmp("bytes_in", ev.BytesIn, "destination.bytes", num)
		cmp("packets_out", ev.PacketsOut, "source.packets", num)
		cmp("packets_in", ev.PacketsIn, "destination.packets", num)
		cmp("status", ev.Status, "zeek.connection.state", nil)
		cmp("tcp_flags", ev.TCPFlags, "zeek.connection.history", nil)
		cmp("flow_uid", ev.FlowUID, "zeek.session_id", nil)
		cmp("service", ev.Service, "network.protocol", nil)
		cmp("icmp_type", ev.ICMPType, "zeek.connection.icmp.type", num)
		cmp("icmp_code", ev.ICMPCode, "zeek.connection.icmp.code", num)
		cmp("direction", ev.Direction, "network.direction", nil)
		cmp("duration_s", math.Round(ev.DurationS*1e6)/1e6, "event.duration", func(v any) any {
			return math.Round(v.(float64)/1e3) / 1e6 // nanoseconds
		})
	}
	return out
}

// verdict is the ECS event.type of an action.
func verdict(action string) string {
	switch action {
	case "allow":
		return "allowed"
	case "drop", "reject", "block":
		return "denied"
	}
	return action
}

// realEDRCounts is what became of one EDR sample's lines: stored counts
// distinct ids, network events and endpoint states apart.
type realEDRCounts struct {
	read, network, states, skipped, rejected int
}

// TestRealEDRLogs runs the EDR parsers over the real samples (their READMEs
// do not yet name a format, so TestRealLogs passes them by): every line is
// stored or skipped, none rejected, and Detect picks the format from the
// file's first lines. The counts are the samples' contents as their READMEs
// describe them. With -v it logs the table BENCHMARKS.md reports.
func TestRealEDRLogs(t *testing.T) {
	tests := []struct {
		file, format string
		want         realEDRCounts
	}{
		// 44 lines: 3 NetworkConnectIP4, 1 NetworkConnectIP6 and 1
		// NetworkReceiveAcceptIP4 stored; 3 managedassets interfaces and
		// 1 aidmaster aip as states; 34 other events, 1 Zero Trust
		// assessment and 1 notmanaged record skipped.
		{"crowdstrike-fdr/sekoia-crowdstrike-telemetry.jsonl", crowdStrikeName, realEDRCounts{44, 5, 4, 35, 0}},
		// 11 lines: 6 DeviceNetworkEvents connections; 2 DeviceInfo
		// PublicIPs, 2 addresses of one DeviceNetworkInfo adapter and 1
		// device state for the adapter whose only address is "1.1.1.1.5";
		// 1 DeviceEvents record skipped.
		{"defender/sekoia-m365d-device.jsonl", defenderName, realEDRCounts{11, 6, 5, 1, 0}},
	}
	var b strings.Builder
	b.WriteString("\n| file | format | lines read | network events | endpoint states | skipped | rejected |\n|---|---|---|---|---|---|---|\n")
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
			if fm, err := Detect(lines); err != nil || fm.Name != tt.format {
				t.Errorf("Detect = %q, %v; want %s", fm.Name, err, tt.format)
			}
			fm, err := Lookup(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			p := fm.New(Options{})
			seen := map[event.ID]bool{}
			var got realEDRCounts
			for i, line := range lines {
				got.read++
				var ev event.Network
				err := p.Parse(line, &ev)
				switch {
				case errors.Is(err, ErrSkip):
					got.skipped++
				case errors.Is(err, ErrExtraOnly):
				case err != nil:
					got.rejected++
					t.Errorf("line %d rejected: %v", i+1, err)
				case !seen[ev.ID]:
					seen[ev.ID] = true
					got.network++
				}
				for _, s := range p.(ExtraParser).Extra().Endpoints {
					if !seen[s.ID] {
						seen[s.ID] = true
						got.states++
					}
				}
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d |\n",
				tt.file, tt.format, got.read, got.network, got.states, got.skipped, got.rejected)
		})
	}
	t.Log(b.String())
}
