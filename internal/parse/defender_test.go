package parse

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

const (
	annaDevice = "4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a"
	annaHost   = "laptop-anna.example.org"
	nasDevice  = "9f8e7d6c5b4a39281706f5e4d3c2b1a4d3c2b1a0"
)

// defNet fills the columns every Defender connection of Anna's laptop has;
// its id is DeviceId, ReportId and the second.
func defNet(format, reportID string, e event.Network) *event.Network {
	k := append([]byte(annaDevice+"\x00"+reportID), make([]byte, 0, 8)...)
	k = binary.BigEndian.AppendUint64(k, uint64(e.Time.Unix()))
	e.ID = event.NewID("defender", k)
	e.Kind, e.Sensor, e.Format = event.KindEndpoint, "defender", format
	e.DeviceID, e.Hostname = annaDevice, annaHost
	return &e
}

// defState fills the columns every Defender state has.
func defState(format string, s event.EndpointState) event.EndpointState {
	s.Sensor, s.Format = "defender", format
	if s.DeviceID == "" {
		s.DeviceID, s.Hostname = annaDevice, annaHost
	}
	return s
}

// Records that the JSON and CSV fixtures share.
func defConnect(format string) *event.Network {
	return defNet(format, "1201", event.Network{Time: utc(2024, 5, 1, 10, 0, 0), Action: "allow",
		Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("192.168.1.23"), SrcPort: 51544,
		DstIP: addr("203.0.113.10"), DstPort: 443, UserName: "anna"})
}

func defInbound6(format string) *event.Network {
	return defNet(format, "1202", event.Network{Time: utc(2024, 5, 1, 10, 1, 0), Action: "allow",
		Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("2001:db8:3::5"), SrcPort: 50123,
		DstIP: addr("2001:db8:1::23"), DstPort: 3389, UserName: "network service"})
}

func defListen(format string) []event.EndpointState {
	return []event.EndpointState{defState(format, event.EndpointState{Time: utc(2024, 5, 1, 9, 0, 0),
		Kind: event.StateListen, Address: addr("0.0.0.0"), Port: 8443, Protocol: "tcp", UserName: "system"})}
}

func defWiFi(format string, at time.Time) []event.EndpointState {
	var out []event.EndpointState
	for _, a := range []string{"192.168.1.23", "2001:db8:1::23", "fe80::a65e:60ff:fe11:2233"} {
		out = append(out, defState(format, event.EndpointState{Time: at, Kind: event.StateInterface,
			Address: addr(a), MAC: "a4:5e:60:11:22:33", Interface: "Wi-Fi"}))
	}
	return out
}

func defDeviceInfo(format string) [][]event.EndpointState {
	return [][]event.EndpointState{
		{defState(format, event.EndpointState{Time: utc(2024, 5, 1, 10, 4, 0), Kind: event.StatePublicIP,
			Address: addr("198.51.100.7"), OS: "Windows11 10.0 build 22631", Platform: "Windows11", UserName: "anna"})},
		{defState(format, event.EndpointState{Time: utc(2024, 5, 1, 10, 4, 0), DeviceID: nasDevice, Hostname: "nas01",
			Kind: event.StateDevice, OS: "Linux 6.1", Platform: "Linux"})},
	}
}

func TestDefenderGood(t *testing.T) {
	lines := readLines(t, "defender/streaming.jsonl")
	info := defDeviceInfo(defenderName)
	noReport := defNet(defenderName, "", event.Network{Time: utc(2024, 5, 1, 10, 6, 0), Action: "allow",
		Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("203.0.113.66"), SrcPort: 41001,
		DstIP: addr("192.168.1.23"), DstPort: 445})
	noReport.ID = event.NewID(defenderName, lines[11]) // no ReportId: the line is the identity
	want := []edrWant{
		{net: defConnect(defenderName)},
		{net: defInbound6(defenderName)},
		// IPv4-mapped addresses are IPv4; a failed connection did not get through.
		{net: defNet(defenderName, "1203", event.Network{Time: utc(2024, 5, 1, 10, 1, 5), Action: "reject",
			Direction: event.DirOutbound, Protocol: "tcp", SrcIP: addr("192.168.1.23"), SrcPort: 51600,
			DstIP: addr("198.51.100.20"), DstPort: 25, UserName: "anna"})},
		{states: defListen(defenderName)},
		// A SYN network inspection saw coming in.
		{net: defNet(defenderName, "1204", event.Network{Time: utc(2024, 5, 1, 10, 2, 0), Action: "attempt",
			Direction: event.DirInbound, Protocol: "tcp", SrcIP: addr("203.0.113.66"), SrcPort: 41000,
			DstIP: addr("192.168.1.23"), DstPort: 7680})},
		{err: `defender DeviceNetworkEvents action "DnsConnectionInspected" is not a connection: nothing to store`},
		{states: defWiFi(defenderName, utc(2024, 5, 1, 10, 3, 0))},
		{states: []event.EndpointState{defState(defenderName, event.EndpointState{Time: utc(2024, 5, 1, 10, 3, 0),
			Kind: event.StateDevice, MAC: "00:15:5d:aa:bb:cc", Interface: "Ethernet"})}},
		{states: info[0]},
		{states: info[1]},
		{err: `defender table "DeviceProcessEvents" holds no connections or device addresses: nothing to store`},
		// No Timestamp column: the time the API sent it.
		{net: noReport},
	}
	runEDR(t, newDefenderParser(), defenderIDs, lines, want)
}

func TestDefenderBad(t *testing.T) {
	const head = `{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceNetworkEvents","properties":{"DeviceId":"d1",`
	lines := []string{
		`category=AdvancedHunting-DeviceNetworkEvents`,
		`{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceNetworkEvents","properties":{`,
		`{"time":"2024-05-01T10:00:00Z","properties":{"DeviceId":"d1"}}`,
		`{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceInfo"}`,
		`{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceInfo","properties":{"PublicIP":"198.51.100.7"}}`,
		`{"category":"AdvancedHunting-DeviceInfo","properties":{"DeviceId":"d1","PublicIP":"198.51.100.7"}}`,
		`{"category":"AdvancedHunting-DeviceInfo","properties":{"DeviceId":"d1","Timestamp":"yesterday"}}`,
		head + `"ActionType":"ConnectionSuccess","RemoteIP":"203.0.113.10","RemotePort":443,"LocalPort":5}}`,
		head + `"ActionType":"ConnectionSuccess","RemoteIP":"-","RemotePort":443,"LocalIP":"192.168.1.2","LocalPort":5}}`,
		head + `"ActionType":"ConnectionSuccess","RemoteIP":"203.0.113.10","RemotePort":-1,"LocalIP":"192.168.1.2","LocalPort":5}}`,
		head + `"ActionType":"ListeningConnectionCreated","LocalPort":5}}`,
		`{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceNetworkInfo","properties":{"DeviceId":"d1","IPAddresses":"[{\"IPAddress\":"}}`,
		`{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceInfo","properties":{"DeviceId":"d1","PublicIP":"198.51.100.777"}}`,
		`{"time":"2024-05-01T10:00:00Z","category":"SecurityAlert","properties":{}}`,
		`{"time":"2024-05-01T10:00:00Z","category":"AdvancedHunting-DeviceNetworkInfo","properties":null}`,
	}
	want := []edrWant{
		{err: "not a defender line: not a JSON object"},
		{err: "bad defender JSON: unexpected end of JSON input"},
		{err: "missing category"},
		{err: "missing properties"},
		{err: "missing DeviceId"},
		{err: "missing Timestamp"},
		{err: `bad Timestamp "yesterday"`},
		{err: "missing LocalIP"},
		{err: `bad RemoteIP "-"`},
		{err: `bad RemotePort "-1"`},
		{err: "missing LocalIP"},
		{err: `bad IPAddresses "[{\"IPAddress\":": unexpected end of JSON input`},
		{err: `bad PublicIP "198.51.100.777"`},
		{err: `defender category "SecurityAlert" is not an advanced hunting table: nothing to store`},
		{err: "missing properties"},
	}
	runEDR(t, newDefenderParser(), defenderIDs, byteLines(lines...), want)
}

func TestDefenderCSVGood(t *testing.T) {
	info := defDeviceInfo(defenderCSVName)
	for _, c := range []struct {
		file string
		want []edrWant
	}{
		{"defender/DeviceNetworkEvents.csv", []edrWant{
			{err: "defender CSV header of DeviceNetworkEvents: nothing to store"},
			{net: defConnect(defenderCSVName)},
			{net: defInbound6(defenderCSVName)},
			{states: defListen(defenderCSVName)},
			{err: `defender DeviceNetworkEvents action "SslConnectionInspected" is not a connection: nothing to store`},
		}},
		{"defender/DeviceNetworkInfo.csv", []edrWant{
			{err: "defender CSV header of DeviceNetworkInfo: nothing to store"},
			{states: defWiFi(defenderCSVName, utc(2024, 5, 1, 10, 3, 0))},
			{states: []event.EndpointState{defState(defenderCSVName, event.EndpointState{Time: utc(2024, 5, 1, 13, 15, 30),
				Kind: event.StateDevice, MAC: "00:15:5d:aa:bb:cc", Interface: "Ethernet"})}},
		}},
		{"defender/DeviceInfo.csv", []edrWant{
			{err: "defender CSV header of DeviceInfo: nothing to store"},
			{states: info[0]},
			{states: info[1]},
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			runEDR(t, newDefenderCSVParser(), defenderIDs, readLines(t, c.file), c.want)
		})
	}
}

func TestDefenderCSVBad(t *testing.T) {
	const header = "Timestamp,DeviceId,DeviceName,ActionType,RemoteIP,RemotePort,LocalIP,LocalPort,Protocol"
	lines := []string{
		"2024-05-01T10:00:00Z,d1,h1,ConnectionSuccess,203.0.113.10,443,192.168.1.2,5,Tcp",
		header,
		"2024-05-01T10:00:00Z,d1,h1,ConnectionSuccess,203.0.113.10,443,192.168.1.2,5",
		`2024-05-01T10:00:00Z,d1,h1,ConnectionSuccess,203.0.113.10,443,192.168.1.2,5,"Tcp`,
		"2024-05-01T10:00:00Z,d1,h1,ConnectionSuccess,203.0.113.10,443,192.168.1.2,5,T\xffcp",
		"30.05.2024 10:00,d1,h1,ConnectionSuccess,203.0.113.10,443,192.168.1.2,5,Tcp",
		"2024-05-01T10:00:00Z,,h1,ConnectionSuccess,203.0.113.10,443,192.168.1.2,5,Tcp",
		"2024-05-01T10:00:00Z,d1,h1,ConnectionSuccess,203.0.113.10,https,192.168.1.2,5,Tcp",
		"Timestamp,DeviceId,DeviceName,FileName,SHA1",
		"2024-05-01T10:00:00Z,d1,h1,cmd.exe,0000",
		"",
	}
	want := []edrWant{
		{err: "no defender CSV header line (DeviceId, Timestamp, ...) before this row"},
		{err: "defender CSV header of DeviceNetworkEvents: nothing to store"},
		{err: "8 fields, the header names 9"},
		{err: `bad CSV: extraneous or missing " in quoted-field`},
		{err: "not valid UTF-8"},
		{err: `bad Timestamp "30.05.2024 10:00"`},
		{err: "missing DeviceId"},
		{err: `bad RemotePort "https"`},
		{err: "defender CSV header of a table other than DeviceNetworkEvents, DeviceNetworkInfo or DeviceInfo: nothing to store"},
		{err: "defender CSV row of a table other than DeviceNetworkEvents, DeviceNetworkInfo or DeviceInfo: nothing to store"},
		{err: "nothing to store"},
	}
	runEDR(t, newDefenderCSVParser(), defenderIDs, byteLines(lines...), want)
}
