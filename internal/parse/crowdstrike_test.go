package parse

import (
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

const (
	annaAID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	bobAID  = "f00dbabef00dbabef00dbabef00dbabe"
)

// csNet fills the columns every CrowdStrike connection has.
func csNet(id string, e event.Network) *event.Network {
	e.ID = event.NewID(crowdStrikeName, []byte(id))
	e.Kind, e.Action, e.Sensor, e.Format = event.KindEndpoint, "allow", "crowdstrike", crowdStrikeName
	return &e
}

// csState fills the columns every CrowdStrike state has.
func csState(s event.EndpointState) event.EndpointState {
	s.Sensor, s.Format = "crowdstrike", crowdStrikeName
	return s
}

func TestCrowdStrikeGood(t *testing.T) {
	lines := readLines(t, "crowdstrike/fdr.jsonl")
	noID := csNet("", event.Network{Time: utc(2024, 5, 1, 10, 0, 0), Direction: event.DirOutbound, Protocol: "tcp",
		SrcIP: addr("192.168.1.23"), SrcPort: 51545, DstIP: addr("203.0.113.11"), DstPort: 8443, DeviceID: annaAID})
	noID.ID = event.NewID(crowdStrikeName, lines[11]) // no id field: the line is the identity
	want := []edrWant{
		{net: csNet("0b5c1a2e-0001-4a6b-9c1d-2e3f4a5b6c01", event.Network{Time: utc(2024, 5, 1, 10, 0, 0),
			Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("192.168.1.23"), SrcPort: 51544,
			DstIP: addr("203.0.113.10"), DstPort: 443, NATIP: addr("198.51.100.7"), DeviceID: annaAID,
			Hostname: "LAPTOP-ANNA", UserName: "anna"})},
		{net: csNet("0b5c1a2e-0002-4a6b-9c1d-2e3f4a5b6c02", event.Network{Time: utc(2024, 5, 1, 10, 0, 5),
			Direction: event.DirOutbound, Protocol: "udp", SrcIP: addr("2001:db8:1::23"), SrcPort: 61000,
			DstIP: addr("2001:db8:2::10"), DstPort: 443, NATIP: addr("2001:db8:ffff::1"), DeviceID: annaAID})},
		{net: csNet("0b5c1a2e-0003-4a6b-9c1d-2e3f4a5b6c03", event.Network{Time: utc(2024, 5, 1, 10, 1, 0),
			Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("203.0.113.50"), SrcPort: 40000,
			DstIP: addr("192.168.1.23"), DstPort: 3389, NATIP: addr("198.51.100.7"), DeviceID: annaAID,
			Hostname: "LAPTOP-ANNA"})},
		{net: csNet("0b5c1a2e-0004-4a6b-9c1d-2e3f4a5b6c04", event.Network{Time: utc(2024, 5, 1, 10, 1, 0),
			Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("2001:db8:3::5"), SrcPort: 50123,
			DstIP: addr("2001:db8:1::40"), DstPort: 22, NATIP: addr("198.51.100.99"), DeviceID: bobAID,
			Hostname: "mac-bob"})},
		{states: []event.EndpointState{csState(event.EndpointState{Time: utc(2024, 5, 1, 9, 0, 0), DeviceID: annaAID,
			Hostname: "LAPTOP-ANNA", Kind: event.StateListen, Address: addr("0.0.0.0"), Port: 8080, Protocol: "tcp",
			Platform: "Win"})}},
		{states: []event.EndpointState{csState(event.EndpointState{Time: utc(2024, 5, 1, 9, 0, 0), DeviceID: bobAID,
			Kind: event.StateListen, Address: addr("::"), Port: 5353, Protocol: "udp", Platform: "Mac"})}},
		{err: `crowdstrike event "DnsRequest" is not a network connection: nothing to store`},
		{states: []event.EndpointState{csState(event.EndpointState{Time: utc(2024, 5, 1, 10, 0, 0), DeviceID: annaAID,
			Hostname: "LAPTOP-ANNA", Kind: event.StatePublicIP, Address: addr("198.51.100.7"), OS: "Windows 11",
			Platform: "Win"})}},
		{states: []event.EndpointState{
			csState(event.EndpointState{Time: utc(2024, 5, 1, 10, 0, 5), DeviceID: bobAID, Hostname: "mac-bob",
				Kind: event.StatePublicIP, Address: addr("198.51.100.99"), OS: "Sonoma (14)", Platform: "Mac"}),
			csState(event.EndpointState{Time: utc(2024, 5, 1, 10, 0, 5), DeviceID: bobAID, Hostname: "mac-bob",
				Kind: event.StateInterface, Address: addr("203.0.113.77"), MAC: "3c:22:fb:01:02:03", OS: "Sonoma (14)",
				Platform: "Mac"}),
			csState(event.EndpointState{Time: utc(2024, 5, 1, 10, 0, 5), DeviceID: bobAID, Hostname: "mac-bob",
				Kind: event.StateInterface, Address: addr("192.168.7.2"), MAC: "3c:22:fb:01:02:03", OS: "Sonoma (14)",
				Platform: "Mac"}),
		}},
		{states: []event.EndpointState{csState(event.EndpointState{Time: utc(2024, 5, 1, 10, 1, 0),
			DeviceID: "0123456789abcdef0123456789abcdef", Hostname: "srv-lin", Kind: event.StateDevice, OS: "Debian 12",
			Platform: "Lin"})}},
		{states: []event.EndpointState{csState(event.EndpointState{Time: utc(2024, 5, 1, 10, 0, 0), DeviceID: annaAID,
			Kind: event.StateInterface, Address: addr("192.168.1.23"), MAC: "a4:5e:60:11:22:33", Interface: "Wi-Fi"})}},
		{net: noID},
	}
	runEDR(t, newCrowdStrikeParser(), crowdStrikeName, lines, want)
}

func TestCrowdStrikeBad(t *testing.T) {
	const (
		head = `{"event_simpleName":"NetworkConnectIP4","aid":"a1","cid":"c1","timestamp":"1714557600123",`
		ok4  = `"LocalAddressIP4":"192.168.1.23","LocalPort":"1","RemoteAddressIP4":"203.0.113.10","RemotePort":"443"`
	)
	lines := []string{
		`aid=a1 event_simpleName=NetworkConnectIP4`,
		`{"event_simpleName":"NetworkConnectIP4",`,
		`{"event_simpleName":"NetworkConnectIP4","cid":"c1","timestamp":"1714557600123",` + ok4 + `}`,
		head + `"LocalPort":"1","RemoteAddressIP4":"203.0.113.10","RemotePort":"443"}`,
		head + `"LocalAddressIP4":"192.168.1.23","LocalPort":"1","RemoteAddressIP4":"203.0.113.300","RemotePort":"443"}`,
		`{"event_simpleName":"NetworkConnectIP6","aid":"a1","timestamp":"1714557600123",` + ok4 + `}`,
		head + `"LocalAddressIP4":"192.168.1.23","LocalPort":"65536","RemoteAddressIP4":"203.0.113.10","RemotePort":"443"}`,
		head + ok4 + `,"aip":"not-an-ip"}`,
		`{"event_simpleName":"NetworkConnectIP4","aid":"a1",` + ok4 + `}`,
		`{"event_simpleName":"NetworkConnectIP4","aid":"a1","timestamp":"-5",` + ok4 + `}`,
		`{"event_simpleName":"NetworkConnectIP4","aid":"a1","timestamp":"99999999999999999",` + ok4 + `}`,
		`{"event_simpleName":"NetworkListenIP4","aid":"a1","timestamp":"1714557600123","LocalPort":"80"}`,
		`{"aid":"a1","cid":"c1","ComputerName":"x","Version":"Windows 10"}`,
		`{"aid":"a1","cid":"c1","Time":"1714557600","aip":"198.51.100.7 junk"}`,
		`{"aid":"a1","cid":"c1","_time":"yesterday","LocalAddressIP4":"192.168.1.2"}`,
		`{"aid":"a1","cid":"c1"}`,
		`{"cid":"c1","name":"x"}`,
		`{"aid":"a1","cid":"c1","event_type":"ZeroTrustHostAssessment"}`,
		`{"cid":"c1","aip":"198.51.100.7","discoverer_aid":"a1","NeighborName":"printer"}`,
		``,
		`{"event_simpleName":"DnsRequest","aid":`,
		`{"aid": "a1", "event_simpleName" : "ProcessRollup2", "CommandLine": "x"}`,
		`{"CommandLine":"echo \"event_simpleName\":\"DnsRequest\"","event_simpleName":"Network\u0043onnectIP4","aid":"a1"}`,
	}
	want := []edrWant{
		{err: "not a crowdstrike-fdr line: not a JSON object"},
		{err: "bad crowdstrike JSON: unexpected end of JSON input"},
		{err: "missing aid"},
		{err: "missing LocalAddressIP4"},
		{err: `bad RemoteAddressIP4 "203.0.113.300"`},
		{err: "missing LocalAddressIP6"},
		{err: `bad LocalPort "65536"`},
		{err: `bad aip "not-an-ip"`},
		{err: "missing timestamp"},
		{err: `bad timestamp "-5"`},
		{err: `bad timestamp "99999999999999999"`},
		{err: "missing LocalAddressIP4"},
		{err: "missing Time"},
		{err: `bad aip "198.51.100.7 junk"`},
		{err: `bad _time "yesterday"`},
		{err: "crowdstrike record without event_simpleName is neither aidmaster nor managedassets: no Time, AgentLocalTime or _time"},
		{err: "not a crowdstrike-fdr record: no event_simpleName and no aid"},
		{err: `crowdstrike "ZeroTrustHostAssessment" record is not a network connection or host record: nothing to store`},
		{err: "crowdstrike notmanaged record (a device without a sensor): nothing to store"},
		{err: "nothing to store"},
		// The skip without decoding still rejects what is not JSON.
		{err: "bad crowdstrike JSON: unexpected end of JSON input"},
		{err: `crowdstrike event "ProcessRollup2" is not a network connection: nothing to store`},
		// A name behind escapes is left to the decoder.
		{err: "missing LocalAddressIP4"},
	}
	var bs [][]byte
	for _, l := range lines {
		bs = append(bs, []byte(l))
	}
	runEDR(t, newCrowdStrikeParser(), crowdStrikeName, bs, want)
}

// TestCrowdStrikeExtraReset checks that a line's states do not outlive it.
func TestCrowdStrikeExtraReset(t *testing.T) {
	lines := readLines(t, "crowdstrike/fdr.jsonl")
	p := newCrowdStrikeParser()
	var ev event.Network
	if err := p.Parse(lines[8], &ev); err != ErrExtraOnly || p.Extra().Len() != 3 {
		t.Fatalf("aidmaster line: %v, %d states", err, p.Extra().Len())
	}
	if err := p.Parse(lines[0], &ev); err != nil || p.Extra().Len() != 0 {
		t.Fatalf("connect line after it: %v, %d states", err, p.Extra().Len())
	}
}
