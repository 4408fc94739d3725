package cli

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeFlows sends NetFlow v5, v9 and IPFIX exports (templates first)
// to serve's flow listener: the flows are stored as network events, and the
// real exporters' datagrams too when ../shared holds them.
func TestServeFlows(t *testing.T) {
	data := t.TempDir()
	cfg := "serve:\n  flows:\n    - listen: 127.0.0.1:0\n      protocol: netflow\n"
	if err := os.WriteFile(filepath.Join(data, "homesoc.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	si := startServe(t, data)
	if len(si.Flows) != 1 || !strings.HasPrefix(si.Flows[0], "netflow://127.0.0.1:") {
		t.Fatalf("flow listeners in the server file: %v", si.Flows)
	}
	conn, err := net.Dial("udp", strings.TrimPrefix(si.Flows[0], "netflow://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	files := []string{"../source/flow/testdata/v5-0.bin", "../source/flow/testdata/v9-0.bin", "../source/flow/testdata/v9-1.bin",
		"../source/flow/testdata/ipfix-0.bin", "../source/flow/testdata/ipfix-1.bin"}
	real, _ := filepath.Glob("../../../shared/real-logs/netflow/*.dat")
	for _, f := range real { // each exporter's template before its data: _tpl sorts after _data
		if strings.Contains(f, "_tpl") {
			files = append(files, f)
		}
	}
	for _, f := range real {
		if !strings.Contains(f, "_tpl") {
			files = append(files, f)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // loopback UDP keeps what a slow reader has not read yet, up to its buffer
	}
	// Every datagram read and every record it held stored (or a duplicate).
	var stored, records float64
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m := scrape(t, si.URL)
		records = m["homesoc_flow_records_total"]
		stored = m[`homesoc_records_stored_total{table="network_events"}`] + m[`homesoc_records_duplicate_total{table="network_events"}`]
		if m["homesoc_flow_datagrams_total"] == float64(len(files)) && stored == records && records > 0 {
			if m["homesoc_flow_decode_errors_total"]+m["homesoc_flow_no_template_drops_total"]+m["homesoc_flow_dropped_total"] != 0 {
				t.Errorf("decode errors, no-template drops or drops:\n%v", m)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after 10s: %v datagrams of %d read, %v records, %v stored", m["homesoc_flow_datagrams_total"], len(files), records, stored)
		}
	}
	out, code := runMain(t, "--data", data, "--wait", "100ms", "query",
		"SELECT format, count(*) AS n FROM network_events GROUP BY format ORDER BY format")
	t.Logf("%v flow records stored:\n%s", records, out.stdout)
	if code != 0 || !strings.Contains(out.stdout, "netflow") || !strings.Contains(out.stdout, "ipfix") {
		t.Errorf("stored flows: exit %d\n%s", code, out)
	}
}

// scrape reads serve's /metrics into name{labels} -> value, and each
// metric's name alone -> the sum over its labels.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		key := line[:i]
		m[key] = v
		if j := strings.IndexByte(key, '{'); j > 0 {
			m[key[:j]] += v
		}
	}
	return m
}
