package upnp_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/upnp"
	"github.com/homesoc/homesoc/internal/upnp/upnptest"
)

var seen = time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)

func threeMappings() []scan.PortMapping {
	return []scan.PortMapping{
		{ExternalPort: 8443, Proto: scan.TCP, InternalClient: "192.168.1.23", InternalPort: 443, Enabled: true, Description: "NAS web"},
		{RemoteHost: "198.51.100.7", ExternalPort: 3074, Proto: scan.UDP, InternalClient: "192.168.1.40", InternalPort: 3074, Enabled: true, Description: "Xbox <Live> & co", Lease: 3600 * time.Second},
		{ExternalPort: 22, Proto: scan.TCP, InternalClient: "192.168.1.5", InternalPort: 22, Enabled: false, Description: ""},
	}
}

// want is what the client must return for mappings read from g.
func want(g *upnptest.IGD, ms []scan.PortMapping) []scan.PortMapping {
	out := []scan.PortMapping{}
	for _, m := range ms {
		m.IGD, m.Seen = g.ControlURL, seen
		out = append(out, m)
	}
	return out
}

func TestPortMappings(t *testing.T) {
	many := make([]scan.PortMapping, 40)
	for i := range many {
		many[i] = scan.PortMapping{ExternalPort: uint16(10000 + i), Proto: scan.TCP, InternalClient: "192.168.1.9", InternalPort: uint16(i + 1), Enabled: true, Description: "bulk"}
	}
	tests := []struct {
		name    string
		cfg     upnptest.Config
		control bool // give the control URL instead of the description
		max     int
		want    int // mappings expected (default: all of cfg.Mappings)
		err     string
	}{
		{name: "several", cfg: upnptest.Config{Mappings: threeMappings()}},
		{name: "empty table", cfg: upnptest.Config{}},
		{name: "WANPPPConnection", cfg: upnptest.Config{PPP: true, Mappings: threeMappings()}},
		{name: "control URL given", cfg: upnptest.Config{Mappings: threeMappings()}, control: true},
		{name: "PPP control URL given", cfg: upnptest.Config{PPP: true, Mappings: threeMappings()}, control: true},
		{name: "ends with 402", cfg: upnptest.Config{EndFault: 402, Mappings: threeMappings()}},
		{name: "ends with 501", cfg: upnptest.Config{EndFault: 501, Mappings: threeMappings()}},
		{name: "capped", cfg: upnptest.Config{Mappings: many}, max: 25, want: 25},
		{name: "IPv6", cfg: upnptest.Config{Host: "::1", Mappings: threeMappings()}},
		{name: "fault", cfg: upnptest.Config{FailAll: 606, Mappings: threeMappings()}, want: 0,
			err: "upnp: mapping 0 of CONTROL: upnp: GetGenericPortMappingEntry: fault 606 Action not authorized"},
		{name: "402 on an empty table is an error", cfg: upnptest.Config{EndFault: 402}, want: 0,
			err: "upnp: mapping 0 of CONTROL: upnp: GetGenericPortMappingEntry: fault 402 Invalid Args"},
		{name: "not an IGD", cfg: upnptest.Config{NoWAN: true}, want: 0,
			err: `upnp: URL is not an IGD that maps ports: its description (urn:schemas-upnp-org:device:InternetGatewayDevice:2, "OpenWrt router") offers no WANIPConnection or WANPPPConnection service`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := upnptest.Start(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			c := upnp.Client{MaxEntries: tt.max, Now: func() time.Time { return seen }}
			u := g.URL
			if tt.control {
				u = g.ControlURL
			}
			got, err := c.PortMappings(context.Background(), u)
			if tt.err != "" {
				msg := strings.NewReplacer("CONTROL", g.ControlURL, "URL", g.URL).Replace(tt.err)
				if err == nil || err.Error() != msg {
					t.Fatalf("err = %v\nwant %s", err, msg)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			n := len(tt.cfg.Mappings)
			if tt.max > 0 || tt.err != "" {
				n = tt.want
			}
			if w := want(g, tt.cfg.Mappings[:n]); !reflect.DeepEqual(got, w) {
				t.Errorf("got %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestPortMappingsNotUPnP(t *testing.T) {
	g := upnptest.NewIGD(t, nil)
	_, err := upnp.Client{}.PortMappings(context.Background(), strings.Replace(g.URL, "rootDesc.xml", "nothing", 1))
	if err == nil || !strings.Contains(err.Error(), "is neither an IGD description nor a WANIPConnection/WANPPPConnection control URL (GET: HTTP 404)") {
		t.Fatalf("err = %v", err)
	}
}

func TestFaultCode(t *testing.T) {
	g, err := upnptest.Start(upnptest.Config{FailAll: 606})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, err = upnp.Call(context.Background(), upnp.Client{}.HTTPClient(), g.ControlURL, g.ServiceType, "GetStatusInfo", nil)
	var f *upnp.Fault
	if !errors.As(err, &f) || f.Code != 606 || f.Description != "Action not authorized" || f.FaultString != "UPnPError" || f.HTTPStatus != 500 {
		t.Fatalf("err = %#v", err)
	}
	if upnp.FaultCode(err) != 606 || upnp.FaultCode(errors.New("x")) != 0 {
		t.Error("FaultCode")
	}
}

func TestExternalIP(t *testing.T) {
	for _, tt := range []struct {
		cfg  upnptest.Config
		want string
		err  string
	}{
		{cfg: upnptest.Config{}, want: "127.0.0.1"},
		{cfg: upnptest.Config{PPP: true, ExternalIP: "::1"}, want: "::1"},
		{cfg: upnptest.Config{ExternalIP: "not-an-ip"}, err: `upnp: GetExternalIPAddress at CONTROL: NewExternalIPAddress "not-an-ip": ParseAddr("not-an-ip"): unable to parse IP`},
		{cfg: upnptest.Config{FailAll: 501}, err: "upnp: GetExternalIPAddress: fault 501 Action Failed"},
	} {
		g, err := upnptest.Start(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		c := upnp.Client{}
		svc, err := c.ResolveConnectionService(context.Background(), g.URL)
		if err != nil {
			t.Fatal(err)
		}
		if svc.ControlURL != g.ControlURL || svc.ServiceType != g.ServiceType {
			t.Errorf("service %+v, want %s at %s", svc, g.ServiceType, g.ControlURL)
		}
		a, err := c.ExternalIP(context.Background(), svc)
		switch {
		case tt.err != "":
			if msg := strings.ReplaceAll(tt.err, "CONTROL", g.ControlURL); err == nil || err.Error() != msg {
				t.Errorf("err = %v, want %s", err, msg)
			}
		case err != nil || a.String() != tt.want:
			t.Errorf("ExternalIP = %s, %v; want %s", a, err, tt.want)
		}
		g.Close()
	}
}
