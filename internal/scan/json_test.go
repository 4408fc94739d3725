package scan

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestJSONDurations(t *testing.T) {
	h := Host{Addr: netip.MustParseAddr("::1"), Status: "up", SRTT: 1500 * time.Microsecond,
		Ports:  []Port{{Port: 22, Proto: TCP, State: Open, Service: "ssh", RTT: 2 * time.Millisecond, ProbeTime: 250 * time.Millisecond}},
		Closed: map[string]int{"tcp": 99}, Filtered: map[string]int{}}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"srtt_s":0.0015`, `"rtt_s":0.002`, `"probe_s":0.25`, `"addr":"::1"`, `"service":"ssh"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	m := PortMapping{IGD: "http://127.0.0.1:5000/ctl/IPConn", ExternalPort: 8080, Proto: TCP, Lease: time.Hour}
	mb, err := json.Marshal(m)
	var mback PortMapping
	if err != nil || !strings.Contains(string(mb), `"lease_s":3600`) || json.Unmarshal(mb, &mback) != nil || mback != m {
		t.Errorf("mapping JSON %s, back %+v, %v", mb, mback, err)
	}
	var back Host
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, h) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, h)
	}
}
