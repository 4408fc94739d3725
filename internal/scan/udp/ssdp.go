package udp

import (
	"context"
	"net/netip"
	"net/url"
	"strings"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/upnp"
)

// ssdpProbe sends a UNICAST M-SEARCH to the scanned address (never to the
// multicast group) and reads the SERVER and LOCATION of the answer, then
// the device description at LOCATION when it is on the scanned address.
var ssdpProbe = &Probe{
	Name:  "upnp",
	Ports: []uint16{1900},
	Requests: func(x *Exchange) [][]byte {
		host := netip.AddrPortFrom(x.Addr, x.Port).String()
		return [][]byte{upnp.SearchRequest(host, upnp.STRootDevice, 0)}
	},
	Identify: identifySSDP,
}

func identifySSDP(ctx context.Context, x *Exchange, reply []byte, p *scan.Port) bool {
	r, err := upnp.ParseSearchResponse(reply)
	if err != nil {
		return false
	}
	p.Service = "upnp"
	f := fields(p)
	setNonEmpty(f, "ssdp_server", r.Server)
	setNonEmpty(f, "ssdp_location", r.Location)
	setNonEmpty(f, "ssdp_st", r.ST)
	setNonEmpty(f, "ssdp_usn", r.USN)
	srv := upnp.ParseServer(r.Server)
	p.Product, p.Version = srv.Product, srv.ProductVersion
	p.OS = strings.TrimSpace(srv.OS + " " + srv.OSVersion)
	if srv.UPnP != "" {
		p.Info = "UPnP " + srv.UPnP
	}

	// The description is fetched only from the scanned address itself:
	// a LOCATION naming any other host (another device, an address on
	// the router's LAN, somewhere on the internet) is reported, never
	// followed, so a scan sends nothing to an address it was not given.
	if !sameHost(r.Location, x.Addr) {
		return true
	}
	desc, err := upnp.FetchDescription(ctx, x.HTTP, r.Location)
	if err != nil {
		f["upnp_description_error"] = err.Error()
		return true
	}
	d := desc.Device
	setNonEmpty(f, "upnp_device_type", d.DeviceType)
	setNonEmpty(f, "upnp_friendly_name", d.FriendlyName)
	setNonEmpty(f, "upnp_manufacturer", d.Manufacturer)
	setNonEmpty(f, "upnp_model_name", d.ModelName)
	setNonEmpty(f, "upnp_model_number", d.ModelNumber)
	if svcs, err := desc.ConnectionServices(); err == nil && len(svcs) > 0 {
		// An IGD that can open ports on request of anything inside.
		f["upnp_igd"] = strings.TrimPrefix(svcs[0].ServiceType, "urn:schemas-upnp-org:service:")
		f["upnp_control_url"] = svcs[0].ControlURL
	}
	if model := strings.TrimSpace(strings.Join([]string{d.Manufacturer, d.ModelName, d.ModelNumber}, " ")); model != "" {
		p.Info = strings.TrimSpace(p.Info + "; " + model)
		p.Info = strings.TrimPrefix(p.Info, "; ")
	}
	return true
}

// sameHost reports whether rawURL is an http URL on addr.
func sameHost(rawURL string, addr netip.Addr) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]"))
	if err != nil {
		return false // a name would need a lookup that may lead elsewhere
	}
	return h.WithZone("").Unmap() == addr.WithZone("").Unmap()
}

func setNonEmpty(f map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		f[k] = v
	}
}
