package api

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/homesoc/homesoc/internal/store"
)

// DefaultScanLimit is how many scans GET /api/v1/scans lists unless limit
// says otherwise, as homesoc scan list.
const DefaultScanLimit = 50

// scans lists stored scans, the shape of homesoc scan list --json.
func (s *server) scans(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ScanFilter{Limit: DefaultScanLimit}
	if v := q.Get("target"); v != "" {
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			writeError(w, http.StatusBadRequest, bad("target: %q is not an IP address", v))
			return
		}
		f.Target = a.Unmap()
	}
	if v := q.Get("since"); v != "" {
		t, err := parseTime(v, s.Now())
		if err != nil {
			writeError(w, http.StatusBadRequest, bad("since: %w", err))
			return
		}
		f.Since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, bad("limit: %q: want 0 (all) or more", v))
			return
		}
		f.Limit = n
	}
	ss, err := s.Store.Scans(r.Context(), f)
	s.reply(w, r, http.StatusOK, nonNil(ss), err)
}

// scan shows one stored scan, the shape of homesoc scan show --json.
func (s *server) scan(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Store.Scan(r.Context(), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, sc, err)
}
