package parse

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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
	runEDR(t, newCrowdStrikeParser(), crowdStrikeName, byteLines(lines...), want)
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

// TestCrowdStrikeDirection checks that ConnectionDirection decides which
// end is the source where it says "0" or "1", and that the event's name
// decides otherwise.
func TestCrowdStrikeDirection(t *testing.T) {
	const ends = `"aid":"a1","timestamp":"1714557600123","Protocol":"6",` +
		`"LocalAddressIP4":"192.168.1.23","LocalPort":"3389","RemoteAddressIP4":"203.0.113.50","RemotePort":"40000",` +
		`"LocalAddressIP6":"2001:db8:1::40","RemoteAddressIP6":"2001:db8:3::5"`
	lines := byteLines(
		`{"id":"d1","event_simpleName":"NetworkConnectIP4",`+ends+`,"ConnectionDirection":"1"}`,
		`{"id":"d2","event_simpleName":"NetworkReceiveAcceptIP4",`+ends+`,"ConnectionDirection":"0"}`,
		`{"id":"d3","event_simpleName":"NetworkReceiveAcceptIP4",`+ends+`,"ConnectionDirection":"2"}`,
		`{"id":"d4","event_simpleName":"NetworkConnectIP6",`+ends+`,"ConnectionDirection":"2"}`,
		`{"id":"d5","event_simpleName":"NetworkReceiveAcceptIP6",`+ends+`}`,
		`{"id":"d6","event_simpleName":"NetworkConnectIP4",`+ends+`,"ConnectionDirection":1}`,
		`{"id":"d7","event_simpleName":"NetworkReceiveAcceptIP4",`+ends+`,"ConnectionDirection":" 0 "}`,
		`{"id":"d8","event_simpleName":"NetworkConnectIP4",`+ends+`,"ConnectionDirection":"inbound"}`,
		`{"id":"d9","event_simpleName":"NetworkReceiveAcceptIP4",`+ends+`,"ConnectionDirection":null}`,
	)
	at := utc(2024, 5, 1, 10, 0, 0)
	in4 := event.Network{Time: at, Direction: event.DirInbound, Protocol: "tcp", DeviceID: "a1",
		SrcIP: addr("203.0.113.50"), SrcPort: 40000, DstIP: addr("192.168.1.23"), DstPort: 3389}
	out4 := event.Network{Time: at, Direction: event.DirOutbound, Protocol: "tcp", DeviceID: "a1",
		SrcIP: addr("192.168.1.23"), SrcPort: 3389, DstIP: addr("203.0.113.50"), DstPort: 40000}
	in6, out6 := in4, out4
	in6.SrcIP, in6.DstIP = addr("2001:db8:3::5"), addr("2001:db8:1::40")
	out6.SrcIP, out6.DstIP = addr("2001:db8:1::40"), addr("2001:db8:3::5")
	want := []edrWant{
		{net: csNet("d1", in4)},
		{net: csNet("d2", out4)},
		{net: csNet("d3", in4)},
		{net: csNet("d4", out6)},
		{net: csNet("d5", in6)},
		{net: csNet("d6", in4)},
		{net: csNet("d7", out4)},
		{net: csNet("d8", out4)},
		{net: csNet("d9", in4)},
	}
	runEDR(t, newCrowdStrikeParser(), crowdStrikeName, lines, want)
}

// TestCrowdStrikeRealConnections checks the connections of the real FDR
// sample (../shared/real-logs, not in the repository) field by field: each
// carries ConnectionDirection, "0" on the connects and "1" on the accept.
func TestCrowdStrikeRealConnections(t *testing.T) {
	const file = "crowdstrike-fdr/sekoia-crowdstrike-telemetry.jsonl"
	data, err := os.ReadFile(filepath.Join(realLogs, file))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no " + file)
	}
	if err != nil {
		t.Fatal(err)
	}
	all := bytes.Split(data, []byte("\n"))
	var lines [][]byte
	for _, i := range []int{2, 33, 34, 37, 38} { // the NetworkConnect and NetworkReceiveAccept lines
		lines = append(lines, all[i-1])
	}
	const iosAID = "1ad825a8bc954a90bc5557c95740795c"
	want := []edrWant{
		{net: csNet("a83b4482-ca45-4d6b-850b-79d8a1b9e60f", event.Network{Time: utc(2023, 6, 23, 8, 42, 2),
			Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("1.2.3.4"), SrcPort: 54887,
			DstIP: addr("5.6.7.8"), DstPort: 443, NATIP: addr("4.3.2.1"), DeviceID: "111111111111111"})},
		{net: csNet("71d72ce3-8355-4e3e-94e9-eb638c361d56", event.Network{Time: utc(2024, 3, 21, 9, 47, 58),
			Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("0.0.0.0"), SrcPort: 0,
			DstIP: addr("5.6.7.8"), DstPort: 443, NATIP: addr("4.5.6.7"), DeviceID: iosAID})},
		{net: csNet("c1169837-5261-45a4-a1da-1102816304d0", event.Network{Time: utc(2024, 3, 21, 9, 48, 11),
			Direction: event.DirOutbound, Protocol: "udp", SrcIP: addr("1.2.3.4"), SrcPort: 50309,
			DstIP: addr("5.6.7.8"), DstPort: 443, NATIP: addr("4.5.6.7"), DeviceID: iosAID})},
		{net: csNet("11111111-2222-3333-4444-555555555555", event.Network{Time: utc(2025, 9, 27, 14, 35, 52),
			Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("1111:2222:3333:4444:5555:6666:7777:8888"),
			SrcPort: 60716, DstIP: addr("1111:2222:3333:4444::"), DstPort: 443,
			NATIP: addr("1111:2222:3333:4444:5555:6666:7777:8888"), DeviceID: "11111111111111111111111111111111",
			Hostname: "PC01"})},
		{net: csNet("7fb546fb-d44f-4228-8e5b-f22868ac07f2", event.Network{Time: utc(2025, 4, 20, 18, 56, 11),
			Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("1.2.3.4"), SrcPort: 48477,
			DstIP: addr("1.2.3.4"), DstPort: 443, NATIP: addr("1.2.3.4"), DeviceID: "f18687223d706b48021322363cdaa15a"})},
	}
	runEDR(t, newCrowdStrikeParser(), crowdStrikeName, lines, want)
}

// TestCrowdStrikeHosts checks the host records' states where the fixture
// has none: an interface without an address, one named only by its
// description, and an aidmaster record with an address of each kind.
func TestCrowdStrikeHosts(t *testing.T) {
	lines := byteLines(
		`{"aid":"a1","cid":"c1","_time":"1714557600","MAC":"A4-5E-60-11-22-33","InterfaceDescription":"Intel(R) Ethernet"}`,
		`{"aid":"a1","cid":"c1","_time":"1714557600","MAC":"junk","InterfaceAlias":"Wi-Fi","LocalAddressIP4":"192.168.1.23 10.0.0.5"}`,
		`{"aid":"a1","cid":"c1","Time":"1714557600","aip":"198.51.100.7","LocalAddressIP4":"192.168.1.23","MAC":"A4-5E-60-11-22-33"}`,
		`{"aid":"a1","cid":"c1","AgentLocalTime":"1714557600","aip":"198.51.100.7","LocalAddressIP4":"192.168.1.300"}`,
	)
	at := utc(2024, 5, 1, 10, 0, 0)
	want := []edrWant{
		{states: []event.EndpointState{csState(event.EndpointState{Time: at, DeviceID: "a1", Kind: event.StateDevice,
			MAC: "a4:5e:60:11:22:33", Interface: "Intel(R) Ethernet"})}},
		{states: []event.EndpointState{
			csState(event.EndpointState{Time: at, DeviceID: "a1", Kind: event.StateInterface,
				Address: addr("192.168.1.23"), Interface: "Wi-Fi"}),
			csState(event.EndpointState{Time: at, DeviceID: "a1", Kind: event.StateInterface,
				Address: addr("10.0.0.5"), Interface: "Wi-Fi"}),
		}},
		{states: []event.EndpointState{
			csState(event.EndpointState{Time: at, DeviceID: "a1", Kind: event.StatePublicIP, Address: addr("198.51.100.7")}),
			csState(event.EndpointState{Time: at, DeviceID: "a1", Kind: event.StateInterface,
				Address: addr("192.168.1.23"), MAC: "a4:5e:60:11:22:33"}),
		}},
		{err: `bad LocalAddressIP4 "192.168.1.300"`}, // and no public_ip state left behind
	}
	runEDR(t, newCrowdStrikeParser(), crowdStrikeName, lines, want)
}
