package scan

import (
	"context"
	"net/netip"
	"time"
)

func (s *scanner) detect(ctx context.Context, addr netip.Addr, srtt time.Duration, p *Port) {
	p.Service, p.Guessed = ServiceName(p.Port), true
}
