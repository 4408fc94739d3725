package detect

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// Resolver attributes addresses at times to users and devices; the store's
// attribution (identity) is one. Resolve must answer each query, in order,
// and return when ctx is cancelled.
type Resolver interface {
	Resolve(ctx context.Context, qs []identity.Query) ([]identity.Answer, error)
}

// SubjectColumns are the columns of a rule's result that name the address
// an alert is about, in order of preference: the first one present with a
// value is the alert's subject, which enrichment attributes.
var SubjectColumns = []string{"host", "src_ip", "local_ip", "target", "address", "client_ip"}

// Subject returns the attribution query of an alert: its subject address
// (see SubjectColumns) over its evidence, [FirstSeen, LastSeen], through
// its device_id column when it has one. ok is false for an alert without a
// subject, or whose subject is not an address.
func Subject(a *alert.Alert) (q identity.Query, ok bool) {
	for _, col := range SubjectColumns {
		v := a.Detail[col]
		if v == "" {
			continue
		}
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return q, false
		}
		return identity.Query{Addr: addr.Unmap(), DeviceID: a.Detail["device_id"], From: a.FirstSeen, To: a.LastSeen}, true
	}
	return q, false
}

// Enrich attributes the findings fs in place with one Resolve call for
// them all, setting each one's Identity from its Subject; findings without
// a subject keep none. It returns how many it attributed. On an error no
// finding is changed: an alert is stored without identity rather than lost.
func Enrich(ctx context.Context, r Resolver, fs []alert.Alert) (int, error) {
	var (
		qs  []identity.Query
		idx []int // the finding of each query
	)
	for i := range fs {
		if q, ok := Subject(&fs[i]); ok {
			qs = append(qs, q)
			idx = append(idx, i)
		}
	}
	if len(qs) == 0 || r == nil {
		return 0, nil
	}
	as, err := r.Resolve(ctx, qs)
	if err != nil {
		return 0, fmt.Errorf("attribute %d alert(s): %w", len(qs), err)
	}
	if len(as) != len(qs) {
		return 0, fmt.Errorf("attribute %d alert(s): %d answers", len(qs), len(as))
	}
	for j, i := range idx {
		a := as[j]
		if a.Candidates == nil {
			a.Candidates = []identity.Candidate{}
		}
		fs[i].Identity = &a
	}
	return len(qs), nil
}

// resolverOf is the attribution detection enriches alerts with: over the
// store's VPN intervals and EDR records, unless the store attributes
// itself (a test's stand-in).
func resolverOf(st store.Store) Resolver {
	if r, ok := st.(Resolver); ok {
		return r
	}
	return identity.NewResolver(st, identity.ResolverOptions{Owners: store.Owners(st)})
}
