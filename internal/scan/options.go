package scan

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// UDPScanner probes UDP ports of one address; internal/scan/udp provides one.
type UDPScanner interface {
	// ScanUDP returns one Port per port asked (state open, closed,
	// open|filtered or filtered), calling wait before each datagram it sends
	// (the scan's packets-per-second limit) and retrying silence.
	ScanUDP(ctx context.Context, addr netip.Addr, ports []uint16, timeout time.Duration, retries int, wait func(context.Context) error) []Port
}

// Default limits and timings of a scan. Connects to a silent port hold a
// slot for the whole timeout, so Concurrency over MaxTimeout bounds how many
// filtered ports a second a scan gets through (1,000 / 1 s at the defaults
// after RTTs are known); PPS bounds the connects started per second.
const (
	DefaultConcurrency       = 1000                   // connects in flight, all hosts
	DefaultHostConcurrency   = 100                    // connects in flight per host
	DefaultPPS               = 3000                   // connects (and UDP datagrams) started per second
	DefaultRetries           = 1                      // extra attempts for a silent port
	DefaultInitialTimeout    = 1 * time.Second        // connect timeout before any RTT is measured
	DefaultMinTimeout        = 100 * time.Millisecond // floor of the adaptive timeout
	DefaultMaxTimeout        = 3 * time.Second        // ceiling of the adaptive timeout
	DefaultDetectConcurrency = 64                     // open ports in service detection at once
	DefaultBannerWait        = 300 * time.Millisecond // how long the NULL probe waits for a banner, plus 2 RTT
	DefaultProbeWait         = 1 * time.Second        // how long a probe waits for an answer, plus 2 RTT
)

// Options tune a scan. The zero value scans top100 with the defaults above
// and refuses every non-global target.
type Options struct {
	// Ports are the TCP ports scanned; nil means Top100(). An empty non-nil
	// slice scans no TCP port.
	Ports []uint16
	// UDPPorts are the UDP ports handed to UDP, per target.
	UDPPorts []uint16
	// UDP probes UDPPorts; required when UDPPorts is non-empty.
	UDP UDPScanner
	// Allow admits targets CheckTargets would refuse.
	Allow []netip.Prefix
	// Args is recorded in Scan.Args.
	Args string

	Concurrency     int     // 0: DefaultConcurrency
	HostConcurrency int     // 0: DefaultHostConcurrency
	PPS             float64 // 0: DefaultPPS; negative: unlimited
	// Retries is how many more times a silent port is tried: 0 means
	// DefaultRetries, negative none.
	Retries        int
	InitialTimeout time.Duration // 0: DefaultInitialTimeout
	MinTimeout     time.Duration // 0: DefaultMinTimeout
	MaxTimeout     time.Duration // 0: DefaultMaxTimeout

	// NoServices skips service detection.
	NoServices        bool
	DetectConcurrency int           // 0: DefaultDetectConcurrency
	BannerWait        time.Duration // 0: DefaultBannerWait
	ProbeWait         time.Duration // 0: DefaultProbeWait

	// Progress, when set, is called after each port's state is known and
	// after each host is done, one call at a time. It must return quickly.
	Progress func(Progress)
}

// Progress is how far a running scan is.
type Progress struct {
	PortsDone  int `json:"ports_done"`
	PortsTotal int `json:"ports_total"`
	HostsDone  int `json:"hosts_done"`
	HostsTotal int `json:"hosts_total"`
	Open       int `json:"open"`
}

// withDefaults returns o with zero fields set to their defaults, or an error
// naming a field that makes no sense.
func (o Options) withDefaults() (Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Ports == nil {
		o.Ports = Top100()
	}
	def(&o.Concurrency, DefaultConcurrency)
	def(&o.HostConcurrency, DefaultHostConcurrency)
	def(&o.DetectConcurrency, DefaultDetectConcurrency)
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.PPS == 0 {
		o.PPS = DefaultPPS
	}
	defD(&o.InitialTimeout, DefaultInitialTimeout)
	defD(&o.MinTimeout, DefaultMinTimeout)
	defD(&o.MaxTimeout, DefaultMaxTimeout)
	defD(&o.BannerWait, DefaultBannerWait)
	defD(&o.ProbeWait, DefaultProbeWait)
	switch {
	case o.Concurrency < 0 || o.HostConcurrency < 0 || o.DetectConcurrency < 0:
		return o, fmt.Errorf("scan options: concurrency limits must be positive")
	case o.MinTimeout > o.MaxTimeout:
		return o, fmt.Errorf("scan options: minimum timeout %s above maximum %s", o.MinTimeout, o.MaxTimeout)
	case len(o.UDPPorts) > 0 && o.UDP == nil:
		return o, fmt.Errorf("scan options: %d UDP ports but no UDP scanner", len(o.UDPPorts))
	}
	if o.HostConcurrency > o.Concurrency {
		o.HostConcurrency = o.Concurrency
	}
	return o, nil
}
