package api

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
)

// whois answers who stood behind an address at a time, the shape of
// homesoc whois --json (identity.Answer).
func (s *server) whois(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	addr, err := netip.ParseAddr(q.Get("addr"))
	if err != nil || addr.Zone() != "" {
		writeError(w, http.StatusBadRequest, bad("addr: %q is not an IP address (want e.g. 172.16.1.10 or 2001:db8::1)", q.Get("addr")))
		return
	}
	t := event.SecondsUTC(s.Now())
	if v := q.Get("at"); v != "" {
		if t, err = parseTime(v, t); err != nil {
			writeError(w, http.StatusBadRequest, bad("at: %w", err))
			return
		}
	}
	window := identity.DefaultWindow
	if v := q.Get("window"); v != "" {
		if window, err = time.ParseDuration(v); err != nil || window <= 0 {
			writeError(w, http.StatusBadRequest, bad("window: %q: want a positive duration such as 30m", v))
			return
		}
	}
	res := identity.NewResolver(s.Store, identity.ResolverOptions{Window: window, Owners: store.Owners(s.Store)})
	as, err := res.Resolve(r.Context(), []identity.Query{{Addr: addr.Unmap(), From: t, To: t}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, as[0])
}
