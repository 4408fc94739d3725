package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/homesoc/homesoc/internal/store"
)

// Event pages: DefaultEventLimit events unless limit says otherwise, at
// most MaxEventLimit.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 10_000
)

// eventsPage is what GET /api/v1/events answers: the shape of homesoc
// events --json (total, events with every column) and the cursor of the
// next page ("" after the last one). Events come newest first.
type eventsPage struct {
	Total      int64            `json:"total"` // events the filter selects now, on every page
	Events     []map[string]any `json:"events"`
	NextCursor string           `json:"next_cursor"`
}

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	p, err := s.eventsPage(r)
	s.reply(w, r, http.StatusOK, p, err)
}

func (s *server) eventsPage(r *http.Request) (eventsPage, error) {
	f, cur, err := s.eventFilter(r)
	if err != nil {
		return eventsPage{}, err
	}
	evq, cq, err := f.EventPageQueries(s.Store.Dialect(), cur)
	if err != nil {
		return eventsPage{}, err
	}
	ctx := r.Context()
	res, err := s.Store.Query(ctx, evq)
	if err != nil {
		return eventsPage{}, fmt.Errorf("read events: %w", err)
	}
	cnt, err := s.Store.Query(ctx, cq)
	if err != nil {
		return eventsPage{}, fmt.Errorf("count events: %w", err)
	}
	p := eventsPage{Events: make([]map[string]any, len(res.Rows))}
	if len(cnt.Rows) == 1 && len(cnt.Rows[0]) == 1 {
		p.Total, _ = toInt64(cnt.Rows[0][0])
	}
	for i, row := range res.Rows {
		p.Events[i] = make(map[string]any, len(row))
		for j, c := range res.Columns {
			p.Events[i][c] = jsonValue(row[j])
		}
	}
	if len(res.Rows) == f.Limit {
		last := res.Rows[len(res.Rows)-1]
		t, _ := last[slices.Index(res.Columns, "time")].(time.Time)
		id := fmt.Sprint(last[slices.Index(res.Columns, "event_id")])
		p.NextCursor = encodeCursor(store.EventCursor{Time: t, EventID: id})
	}
	return p, nil
}

// toInt64 is a count as a driver returns it.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	}
	return 0, false
}

// eventFilter reads the events' filter and the page cursor from r's query.
func (s *server) eventFilter(r *http.Request) (store.EventFilter, *store.EventCursor, error) {
	q := r.URL.Query()
	f := store.EventFilter{Limit: DefaultEventLimit, Action: q.Get("action")}
	now := s.Now()
	var err error
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			if *p.t, err = parseTime(v, now); err != nil {
				return f, nil, bad("%s: %w", p.name, err)
			}
		}
	}
	for _, p := range []struct {
		name string
		addr *netip.Addr
	}{{"src", &f.Src}, {"dst", &f.Dst}} {
		if v := q.Get(p.name); v != "" {
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return f, nil, bad("%s: %q is not an IP address", p.name, v)
			}
			*p.addr = a.Unmap()
		}
	}
	if v := q.Get("port"); v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || n == 0 {
			return f, nil, bad("port: %q is not a port (1-65535)", v)
		}
		f.Port = uint16(n)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxEventLimit {
			return f, nil, bad("limit: %q: want 1 to %d", v, MaxEventLimit)
		}
		f.Limit = n
	}
	var cur *store.EventCursor
	if v := q.Get("cursor"); v != "" {
		c, err := decodeCursor(v)
		if err != nil {
			return f, nil, bad("cursor: %w", err)
		}
		cur = &c
	}
	return f, cur, nil
}

// cursorPrefix versions the cursor's text, so a later form can tell.
const cursorPrefix = "e1."

// encodeCursor writes c as an opaque token: e1. then base64url of
// "unix seconds,event id".
func encodeCursor(c store.EventCursor) string {
	return cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time.Unix(), 10)+","+c.EventID))
}

// decodeCursor reads a cursor encodeCursor wrote.
func decodeCursor(s string) (store.EventCursor, error) {
	errBad := errors.New("not a cursor this API gave (pass next_cursor as it came)")
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok || len(rest) > 100 {
		return store.EventCursor{}, errBad
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return store.EventCursor{}, errBad
	}
	secs, id, ok := strings.Cut(string(b), ",")
	if !ok {
		return store.EventCursor{}, errBad
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return store.EventCursor{}, errBad
	}
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return store.EventCursor{}, errBad
	}
	return store.EventCursor{Time: time.Unix(n, 0).UTC(), EventID: id}, nil
}
