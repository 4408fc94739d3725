package upnp

import (
	"context"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/upnp/upnptest"
)

func TestParseServer(t *testing.T) {
	for in, want := range map[string]Server{
		"Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3":                                {OS: "Linux", OSVersion: "5.10", UPnP: "1.1", Product: "MiniUPnPd", ProductVersion: "2.3.3"},
		"Debian/12 UPnP/1.1 MiniUPnPd/2.3.1":                                 {OS: "Debian", OSVersion: "12", UPnP: "1.1", Product: "MiniUPnPd", ProductVersion: "2.3.1"},
		"Linux/3.14.77, UPnP/1.0, Portable SDK for UPnP devices/1.6.22":      {OS: "Linux", OSVersion: "3.14.77", UPnP: "1.0", Product: "Portable SDK for UPnP devices", ProductVersion: "1.6.22"},
		"Microsoft-Windows/10.0 UPnP/1.0 UPnP-Device-Host/1.0":               {OS: "Microsoft-Windows", OSVersion: "10.0", UPnP: "1.0", Product: "UPnP-Device-Host", ProductVersion: "1.0"},
		"AVM FRITZ!Box 7590 154.07.57 UPnP/1.0 AVM FRITZ!Box 7590 154.07.57": {OS: "AVM FRITZ!Box 7590 154.07.57", UPnP: "1.0", Product: "AVM FRITZ!Box 7590 154.07.57"},
		"Linux UPnP/1.0 Huawei-ATP-IGD":                                      {OS: "Linux", UPnP: "1.0", Product: "Huawei-ATP-IGD"},
		"MyUPnP/2.0":                                                         {Product: "MyUPnP", ProductVersion: "2.0"},
		"":                                                                   {},
	} {
		if got := ParseServer(in); got != want {
			t.Errorf("ParseServer(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestParseSearchResponse(t *testing.T) {
	got, err := ParseSearchResponse([]byte("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: upnp:rootdevice\r\nUSN: uuid:x::upnp:rootdevice\r\nEXT:\r\nSERVER: Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3\r\nLOCATION: http://192.168.1.1:5000/rootDesc.xml\r\n\r\n"))
	want := SearchResponse{ST: "upnp:rootdevice", USN: "uuid:x::upnp:rootdevice", Location: "http://192.168.1.1:5000/rootDesc.xml", Server: "Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3"}
	if err != nil || got != want {
		t.Errorf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"", "M-SEARCH * HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n"} {
		if _, err := ParseSearchResponse([]byte(bad)); err == nil {
			t.Errorf("ParseSearchResponse(%q): no error", bad)
		}
	}
}

// search is what Discover runs; here against a unicast loopback responder
// standing in for the multicast group.
func TestSearch(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	responder, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer responder.Close()
	go func() {
		buf := make([]byte, 2048)
		n, from, err := responder.ReadFrom(buf)
		if err != nil || string(buf[:n]) != string(SearchRequest(responder.LocalAddr().String(), STIGD, 1)) {
			return
		}
		for _, r := range []string{
			"HTTP/1.1 200 OK\r\nST: " + STIGD + "\r\nUSN: uuid:a::" + STIGD + "\r\nLOCATION: http://127.0.0.1:1/a.xml\r\nSERVER: Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3\r\n\r\n",
			"HTTP/1.1 200 OK\r\nST: " + STIGD + "\r\nUSN: uuid:a::" + STIGD + "\r\nLOCATION: http://127.0.0.1:1/a.xml\r\nSERVER: Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3\r\n\r\n", // repeated
			"garbage",
			"HTTP/1.1 200 OK\r\nST: " + STIGD + "\r\nUSN: uuid:b::" + STIGD + "\r\nLOCATION: http://127.0.0.1:2/b.xml\r\n\r\n",
		} {
			_, _ = responder.WriteTo([]byte(r), from)
		}
	}()
	got, err := search(context.Background(), pc, responder.LocalAddr(), SearchRequest(responder.LocalAddr().String(), STIGD, 1), 300*time.Millisecond)
	want := []SearchResponse{
		{ST: STIGD, USN: "uuid:a::" + STIGD, Location: "http://127.0.0.1:1/a.xml", Server: "Linux/5.10 UPnP/1.1 MiniUPnPd/2.3.3"},
		{ST: STIGD, USN: "uuid:b::" + STIGD, Location: "http://127.0.0.1:2/b.xml"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
}

// The fake IGD's SSDP responder answers a unicast M-SEARCH as MiniUPnPd
// does, for each search target it knows, and ignores others.
func TestSearchFakeIGD(t *testing.T) {
	g := upnptest.NewIGD(t, nil)
	for st, want := range map[string][]SearchResponse{
		STRootDevice: {{ST: STRootDevice, USN: upnptest.DefaultUUID + "::" + STRootDevice, Location: g.URL, Server: upnptest.DefaultServer}},
		STAll:        {{ST: STRootDevice, USN: upnptest.DefaultUUID + "::" + STRootDevice, Location: g.URL, Server: upnptest.DefaultServer}},
		STIGD:        {{ST: STIGD, USN: upnptest.DefaultUUID + "::" + STIGD, Location: g.URL, Server: upnptest.DefaultServer}},
		"urn:schemas-upnp-org:device:MediaServer:1": {},
	} {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dst := net.UDPAddrFromAddrPort(g.SSDP)
		got, err := search(context.Background(), pc, dst, SearchRequest(g.SSDP.String(), st, 0), 200*time.Millisecond)
		pc.Close()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ST %s: got %+v, %v\nwant %+v", st, got, err, want)
		}
	}
}
