package scan

import (
	"encoding/json"
	"time"
)

// The durations of hosts and ports appear in JSON as seconds, in keys
// ending in _s, as every duration homesoc prints.

type hostJSON Host

// MarshalJSON adds srtt_s.
func (h Host) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		hostJSON
		SRTTS float64 `json:"srtt_s"`
	}{hostJSON(h), h.SRTT.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (h *Host) UnmarshalJSON(b []byte) error {
	var v struct {
		hostJSON
		SRTTS float64 `json:"srtt_s"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*h = Host(v.hostJSON)
	h.SRTT = seconds(v.SRTTS)
	return nil
}

type portJSON Port

// MarshalJSON adds rtt_s and probe_s.
func (p Port) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		portJSON
		RTTS   float64 `json:"rtt_s"`
		ProbeS float64 `json:"probe_s"`
	}{portJSON(p), p.RTT.Seconds(), p.ProbeTime.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Port) UnmarshalJSON(b []byte) error {
	var v struct {
		portJSON
		RTTS   float64 `json:"rtt_s"`
		ProbeS float64 `json:"probe_s"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Port(v.portJSON)
	p.RTT, p.ProbeTime = seconds(v.RTTS), seconds(v.ProbeS)
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

type mappingJSON PortMapping

// MarshalJSON adds lease_s (0: permanent).
func (m PortMapping) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		mappingJSON
		LeaseS float64 `json:"lease_s"`
	}{mappingJSON(m), m.Lease.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *PortMapping) UnmarshalJSON(b []byte) error {
	var v struct {
		mappingJSON
		LeaseS float64 `json:"lease_s"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = PortMapping(v.mappingJSON)
	m.Lease = seconds(v.LeaseS)
	return nil
}
