package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		req        string
		statusLine string
		body       string
	}{
		{"GET /rootDesc.xml HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", rootDesc},
		{"GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 404 Not Found", body404},
		{"OPTIONS / HTTP/1.0\r\n\r\n", "HTTP/1.0 501 Not Implemented", body501},
		// A request line without a version: MiniUPnPd's status line then
		// starts with a space, which nmap's MiniUPnP matches expect.
		{"\x00\x00\r\n\r\n", " 501 Not Implemented", body501},
	} {
		got := string(answer(tc.req))
		head, body, ok := strings.Cut(got, "\r\n\r\n")
		if !ok {
			t.Fatalf("%q: no end of headers in %q", tc.req, got)
		}
		lines := strings.Split(head, "\r\n")
		if lines[0] != tc.statusLine {
			t.Errorf("%q: status line %q, want %q", tc.req, lines[0], tc.statusLine)
		}
		if body != tc.body {
			t.Errorf("%q: body %q, want %q", tc.req, body, tc.body)
		}
		if !strings.Contains(head, "\r\nServer: "+server+"\r\n") {
			t.Errorf("%q: no MiniUPnPd Server header in %q", tc.req, head)
		}
	}
}

// TestSSDP sends M-SEARCH requests to a running responder on 127.0.0.1 and
// checks the replies: one per type for ssdp:all, one for a known type, none
// for an unknown one.
func TestSSDP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	udp, tcp := freePort(t, "udp"), freePort(t, "tcp")
	go func() {
		errc <- run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), []string{"127.0.0.1"}, udp, tcp)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	})
	c, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(udp)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	search := func(st string, tries int) []string {
		var replies []string
		req := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: " + st + "\r\n\r\n"
		// The responder may not be listening yet on the first try.
		for try := 0; try < tries && len(replies) == 0; try++ {
			if try > 0 {
				time.Sleep(50 * time.Millisecond)
			}
			// An error here is the ICMP refusal of a try before the
			// responder listened; the reads below then see nothing.
			_, _ = c.Write([]byte(req))
			buf := make([]byte, 2048)
			for {
				_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				n, err := c.Read(buf)
				if err != nil {
					break
				}
				replies = append(replies, string(buf[:n]))
			}
		}
		return replies
	}
	all := search("ssdp:all", 20)
	if len(all) != len(types) {
		t.Fatalf("ssdp:all: %d replies, want %d: %q", len(all), len(types), all)
	}
	one := search("urn:schemas-upnp-org:service:WANIPConnection:1", 1)
	want := "LOCATION: http://127.0.0.1:" + strconv.Itoa(tcp) + "/rootDesc.xml\r\n"
	if len(one) != 1 || !strings.HasPrefix(one[0], "HTTP/1.1 200 OK\r\n") || !strings.Contains(one[0], want) ||
		!strings.Contains(one[0], "\r\nSERVER: "+server+"\r\n") ||
		!strings.Contains(one[0], "\r\nUSN: "+uuid+"::urn:schemas-upnp-org:service:WANIPConnection:1\r\n") {
		t.Errorf("WANIPConnection search: got %q", one)
	}
	if none := search("urn:example:nothing:1", 1); len(none) != 0 {
		t.Errorf("unknown type: got %q, want no reply", none)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	err := run(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), []string{"192.0.2.1"}, 0, 0)
	if err == nil || !strings.Contains(err.Error(), "is not loopback") {
		t.Errorf("got %v, want a refusal of a non-loopback address", err)
	}
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
