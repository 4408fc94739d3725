package upnp

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseDescription(t *testing.T) {
	tests := []struct {
		file, url    string
		friendlyName string
		want         []ConnectionService
		err          string
	}{
		{
			file: "fritzbox.good.xml", url: "http://192.168.178.1:49000/igddesc.xml", friendlyName: "FRITZ!Box 7590",
			want: []ConnectionService{
				{ServiceType: "urn:schemas-upnp-org:service:WANIPConnection:1", ControlURL: "http://192.168.178.1:49000/igdupnp/control/WANIPConn1"},
				{ServiceType: "urn:schemas-upnp-org:service:WANPPPConnection:1", ControlURL: "http://192.168.178.1:49000/igdupnp/control/WANPPPConn1"},
			},
		},
		{
			// URLBase wins over the document's own URL; the service type
			// is padded with white space; the charset is ISO-8859-1.
			file: "urlbase-ppp.good.xml", url: "http://192.168.0.1:1900/igd.xml", friendlyName: "Wireless Router",
			want: []ConnectionService{{ServiceType: "urn:schemas-upnp-org:service:WANPPPConnection:1", ControlURL: "http://192.168.0.1:1900/ppp"}},
		},
		{file: "mediaserver.good.xml", url: "http://192.168.1.23:5000/desc.xml", friendlyName: "DiskStation", want: nil},
		{file: "notxml.bad.xml", url: "http://192.168.1.1/x", err: "upnp: description http://192.168.1.1/x: no root device"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := ParseDescription(f, tt.url)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Device.FriendlyName != tt.friendlyName {
				t.Errorf("friendlyName = %q", d.Device.FriendlyName)
			}
			got, err := d.ConnectionServices()
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ConnectionServices() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestResolveRefusesOtherHosts(t *testing.T) {
	d := &Description{URL: "http://192.168.1.1:5000/rootDesc.xml"}
	for ref, want := range map[string]string{
		"/ctl/IPConn":                     "http://192.168.1.1:5000/ctl/IPConn",
		"http://192.168.1.1:5001/ctl/ppp": "http://192.168.1.1:5001/ctl/ppp", // another port of the router: fine
		"http://203.0.113.9/ctl":          "",
	} {
		got, err := d.Resolve(ref)
		if want == "" {
			if err == nil || !strings.Contains(err.Error(), "another host") {
				t.Errorf("Resolve(%q) = %q, %v; want a refusal", ref, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	d.URLBase = "http://198.51.100.1:80/"
	if _, err := d.Resolve("/ctl/IPConn"); err == nil {
		t.Error("a URLBase on another host was followed")
	}
}
