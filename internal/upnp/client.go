package upnp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
)

// DefaultMaxEntries caps how many mappings PortMappings reads, against
// routers that never answer "index invalid".
const DefaultMaxEntries = 1024

// Client reads an IGD's port mappings.
type Client struct {
	// HTTP is the client to use; nil means one with a 10 s timeout that
	// does not follow redirects.
	HTTP *http.Client
	// MaxEntries caps the mappings read; 0 means DefaultMaxEntries.
	MaxEntries int
	// Now stamps Seen; nil means time.Now.
	Now func() time.Time
}

// HTTPClient returns the HTTP client c uses.
func (c Client) HTTPClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{
		// The router is on the home network: never through a proxy.
		Transport:     &http.Transport{Proxy: nil},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ResolveConnectionService finds the port mapping service at igdURL:
// either a device description (rootDesc.xml), whose first WANIPConnection
// or WANPPPConnection service is taken, or a control URL itself, whose
// service type is found by asking it for GetStatusInfo under each type
// in turn.
func (c Client) ResolveConnectionService(ctx context.Context, igdURL string) (ConnectionService, error) {
	hc := c.HTTPClient()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, igdURL, nil)
	if err != nil {
		return ConnectionService{}, fmt.Errorf("upnp: IGD URL %q: %w", igdURL, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return ConnectionService{}, fmt.Errorf("upnp: IGD %s: %w", igdURL, err)
	}
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxDescription))
	resp.Body.Close()
	if rerr == nil && resp.StatusCode == http.StatusOK && bytes.Contains(raw, []byte("<root")) {
		desc, err := ParseDescription(bytes.NewReader(raw), igdURL)
		if err != nil {
			return ConnectionService{}, err
		}
		svcs, err := desc.ConnectionServices()
		if err != nil {
			return ConnectionService{}, err
		}
		if len(svcs) == 0 {
			return ConnectionService{}, fmt.Errorf("upnp: %s is not an IGD that maps ports: its description (%s, %q) offers no WANIPConnection or WANPPPConnection service",
				igdURL, desc.Device.DeviceType, desc.Device.FriendlyName)
		}
		return svcs[0], nil
	}
	// Not a description: a control URL answers SOAP POSTs only. Ask it
	// something harmless under each service type.
	var errs []error
	for _, st := range connectionServices {
		_, err := Call(ctx, hc, igdURL, st, "GetStatusInfo", nil)
		var f *Fault
		if err == nil || (errors.As(err, &f) && f.Code != ErrInvalidAction && f.Code != 0) {
			return ConnectionService{ServiceType: st, ControlURL: igdURL}, nil
		}
		errs = append(errs, err)
	}
	return ConnectionService{}, fmt.Errorf("upnp: %s is neither an IGD description nor a WANIPConnection/WANPPPConnection control URL (GET: HTTP %d): %w",
		igdURL, resp.StatusCode, errors.Join(errs...))
}

// PortMappings lists every port mapping of the IGD at igdURL (a
// description or a control URL; see ResolveConnectionService).
func (c Client) PortMappings(ctx context.Context, igdURL string) ([]scan.PortMapping, error) {
	svc, err := c.ResolveConnectionService(ctx, igdURL)
	if err != nil {
		return []scan.PortMapping{}, err
	}
	return c.ListMappings(ctx, svc)
}

// ListMappings calls GetGenericPortMappingEntry with NewPortMappingIndex
// 0, 1, 2, ... until the service answers 713 SpecifiedArrayIndexInvalid
// (or 402/501, which some routers answer instead past the end).
func (c Client) ListMappings(ctx context.Context, svc ConnectionService) ([]scan.PortMapping, error) {
	max := c.MaxEntries
	if max <= 0 {
		max = DefaultMaxEntries
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	hc := c.HTTPClient()
	out := []scan.PortMapping{}
	for i := 0; i < max; i++ {
		args, err := Call(ctx, hc, svc.ControlURL, svc.ServiceType, "GetGenericPortMappingEntry",
			[]Arg{{"NewPortMappingIndex", strconv.Itoa(i)}})
		switch code := FaultCode(err); {
		case err == nil:
		case code == ErrSpecifiedArrayIndexInvalid:
			return out, nil
		case (code == ErrInvalidArgs || code == ErrActionFailed) && i > 0:
			return out, nil
		default:
			return out, fmt.Errorf("upnp: mapping %d of %s: %w", i, svc.ControlURL, err)
		}
		m, err := mappingFrom(args)
		if err != nil {
			return out, fmt.Errorf("upnp: mapping %d of %s: %w", i, svc.ControlURL, err)
		}
		m.IGD = svc.ControlURL
		m.Seen = now().UTC()
		out = append(out, m)
	}
	return out, nil
}

// mappingFrom reads GetGenericPortMappingEntry's output arguments.
func mappingFrom(args map[string]string) (scan.PortMapping, error) {
	var m scan.PortMapping
	ext, err := strconv.ParseUint(args["NewExternalPort"], 10, 16)
	if err != nil {
		return m, fmt.Errorf("NewExternalPort %q: %w", args["NewExternalPort"], err)
	}
	in, err := strconv.ParseUint(args["NewInternalPort"], 10, 16)
	if err != nil {
		return m, fmt.Errorf("NewInternalPort %q: %w", args["NewInternalPort"], err)
	}
	lease, err := strconv.ParseUint(defaultTo(args["NewLeaseDuration"], "0"), 10, 32)
	if err != nil {
		return m, fmt.Errorf("NewLeaseDuration %q: %w", args["NewLeaseDuration"], err)
	}
	m.RemoteHost = args["NewRemoteHost"]
	m.ExternalPort = uint16(ext)
	m.InternalPort = uint16(in)
	m.Proto = strings.ToLower(args["NewProtocol"])
	m.InternalClient = args["NewInternalClient"]
	m.Enabled = args["NewEnabled"] == "1" || strings.EqualFold(args["NewEnabled"], "true") || strings.EqualFold(args["NewEnabled"], "yes")
	m.Description = args["NewPortMappingDescription"]
	m.Lease = time.Duration(lease) * time.Second
	return m, nil
}

func defaultTo(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ExternalIP asks the connection service for the router's external
// address (GetExternalIPAddress): the address its port mappings open.
func (c Client) ExternalIP(ctx context.Context, svc ConnectionService) (netip.Addr, error) {
	args, err := Call(ctx, c.HTTPClient(), svc.ControlURL, svc.ServiceType, "GetExternalIPAddress", nil)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := netip.ParseAddr(args["NewExternalIPAddress"])
	if err != nil {
		return netip.Addr{}, fmt.Errorf("upnp: GetExternalIPAddress at %s: NewExternalIPAddress %q: %w", svc.ControlURL, args["NewExternalIPAddress"], err)
	}
	return a, nil
}
