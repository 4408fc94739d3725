// Package upnp reads what a home router's UPnP Internet Gateway Device
// says about itself and which port mappings it holds: the device
// description (UPnP Device Architecture 1.1/2.0), SOAP calls to its
// WANIPConnection or WANPPPConnection service, and SSDP search responses.
// Its answers are the evidence for "who opened this port": the internal
// client that asked the router to forward it.
package upnp

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Service types of an IGD's connection services, newest first: the ones
// whose GetGenericPortMappingEntry lists port mappings.
var connectionServices = []string{
	"urn:schemas-upnp-org:service:WANIPConnection:2",
	"urn:schemas-upnp-org:service:WANIPConnection:1",
	"urn:schemas-upnp-org:service:WANPPPConnection:1",
}

// maxDescription caps the bytes read of a description document; real
// ones are a few kilobytes.
const maxDescription = 1 << 20

// Description is a device description document (rootDesc.xml and kin).
type Description struct {
	// URL is where the document was read; relative URLs in it resolve
	// against URLBase when the document gives one, else against URL.
	URL     string `xml:"-"`
	URLBase string `xml:"URLBase"`
	Device  Device `xml:"device"`
}

// Device is one (root or embedded) device of a description.
type Device struct {
	DeviceType   string    `xml:"deviceType"`
	FriendlyName string    `xml:"friendlyName"`
	Manufacturer string    `xml:"manufacturer"`
	ModelName    string    `xml:"modelName"`
	ModelNumber  string    `xml:"modelNumber"`
	SerialNumber string    `xml:"serialNumber"`
	UDN          string    `xml:"UDN"`
	Services     []Service `xml:"serviceList>service"`
	Devices      []Device  `xml:"deviceList>device"`
}

// Service is one service a device offers.
type Service struct {
	ServiceType string `xml:"serviceType"`
	ServiceID   string `xml:"serviceId"`
	ControlURL  string `xml:"controlURL"`
	EventSubURL string `xml:"eventSubURL"`
	SCPDURL     string `xml:"SCPDURL"`
}

// ParseDescription reads a device description from r, read at docURL.
func ParseDescription(r io.Reader, docURL string) (*Description, error) {
	var d Description
	dec := xml.NewDecoder(io.LimitReader(r, maxDescription))
	// Routers declare odd charsets (ISO-8859-1) for what is ASCII in
	// practice; read the bytes as they are rather than refuse them.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("upnp: description %s: not a device description: %w", docURL, err)
	}
	if d.Device.DeviceType == "" && d.Device.UDN == "" {
		return nil, fmt.Errorf("upnp: description %s: no root device", docURL)
	}
	d.URL = docURL
	return &d, nil
}

// FetchDescription GETs and parses the description at docURL. client
// should not follow redirects to places the caller did not mean to ask.
func FetchDescription(ctx context.Context, client *http.Client, docURL string) (*Description, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return nil, fmt.Errorf("upnp: description %s: %w", docURL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upnp: description: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("upnp: description %s: HTTP %s", docURL, resp.Status)
	}
	return ParseDescription(resp.Body, docURL)
}

// Walk calls fn for d and each device embedded in it, depth first.
func (d *Device) Walk(fn func(*Device)) {
	fn(d)
	for i := range d.Devices {
		d.Devices[i].Walk(fn)
	}
}

// Resolve makes ref (a controlURL, SCPDURL, ...) absolute. A URL on
// another host than the description's own is refused: a device on the
// network must not make homesoc send requests elsewhere (its URLBase or an
// absolute controlURL could name any host).
func (d *Description) Resolve(ref string) (string, error) {
	base := d.URL
	if strings.TrimSpace(d.URLBase) != "" {
		base = strings.TrimSpace(d.URLBase)
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("upnp: base URL %q: %w", base, err)
	}
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", fmt.Errorf("upnp: URL %q: %w", ref, err)
	}
	abs := b.ResolveReference(r)
	if own, err := url.Parse(d.URL); err == nil && own.Hostname() != "" && !strings.EqualFold(abs.Hostname(), own.Hostname()) {
		return "", fmt.Errorf("upnp: URL %q is on another host than the description %s: refused", abs, d.URL)
	}
	return abs.String(), nil
}

// ConnectionService is an IGD service that can list and open port
// mappings, with its control URL made absolute.
type ConnectionService struct {
	ServiceType string
	ControlURL  string
}

// ConnectionServices lists the WANIPConnection and WANPPPConnection
// services anywhere in the device tree, in document order. A router
// with none is not an IGD that can open ports.
func (d *Description) ConnectionServices() ([]ConnectionService, error) {
	var out []ConnectionService
	var err error
	d.Device.Walk(func(dev *Device) {
		for _, s := range dev.Services {
			if !isConnectionService(s.ServiceType) {
				continue
			}
			u, rerr := d.Resolve(s.ControlURL)
			if rerr != nil {
				err = rerr
				continue
			}
			out = append(out, ConnectionService{ServiceType: strings.TrimSpace(s.ServiceType), ControlURL: u})
		}
	})
	return out, err
}

func isConnectionService(t string) bool {
	t = strings.TrimSpace(t)
	return strings.HasPrefix(t, "urn:schemas-upnp-org:service:WANIPConnection:") ||
		strings.HasPrefix(t, "urn:schemas-upnp-org:service:WANPPPConnection:")
}
