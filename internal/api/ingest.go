package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store"
)

// ingestReply is what POST /api/v1/ingest answers: the pipeline's counts,
// and, when the body could not be read to its end or the store failed,
// the error (what was stored before it is counted).
type ingestReply struct {
	pipeline.Stats
	Error string `json:"error,omitempty"`
}

func (s *server) ingest(w http.ResponseWriter, r *http.Request) {
	if s.Ingest == nil {
		writeError(w, http.StatusNotFound, errors.New("ingest is not served"))
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "auto"
	}
	if format != "auto" {
		if _, err := parse.Lookup(format); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("format: %w", err))
			return
		}
	}
	source, err := sourceName(q.Get("source"), r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	rd, err := body(r, s.limit(DefaultMaxUpload), true)
	if err != nil {
		writeError(w, bodyStatus(err), err)
		return
	}
	rec := &readErr{r: rd}
	st, err := s.Ingest(r.Context(), source, format, rec)
	rep := ingestReply{Stats: st}
	if rep.Tables == nil {
		rep.Tables = map[string]pipeline.TableStats{}
	}
	rep.SkipReasons = nonNil(rep.SkipReasons)
	rep.FirstRejects = nonNil(rep.FirstRejects)
	status := http.StatusOK
	if err != nil {
		rep.Error = err.Error()
		switch {
		case rec.err != nil && bodyStatus(rec.err) != 0:
			status = bodyStatus(rec.err)
			rep.Error = rec.err.Error()
		case strings.Contains(err.Error(), "cannot detect format"):
			status = http.StatusBadRequest // nothing stored: name the format=
			rep.Error = strings.ReplaceAll(rep.Error, "--format", "format=")
		case r.Context().Err() != nil:
			return // the client left
		default:
			status = http.StatusInternalServerError
			s.Log.Error("api ingest", "source", source, "format", format, "err", err)
		}
	}
	writeJSON(w, status, rep)
}

// readErr passes reads through and keeps the first error other than
// io.EOF: whether the body or the pipeline failed.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// sourceName is the name rejects of r keep: the source parameter, else
// http:// and the client's address.
func sourceName(name string, r *http.Request) (string, error) {
	if name == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		return "http://" + host, nil
	}
	if len(name) > 200 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("source: want a name of at most 200 characters without control characters")
	}
	return name, nil
}

// intelReport is what POST /api/v1/intel answers; it has the shape of
// homesoc intel load --json.
type intelReport struct {
	Feed         string           `json:"feed"`
	Files        []string         `json:"files"`
	Entries      int              `json:"entries"`
	Rejected     int              `json:"rejected"`
	Skipped      int              `json:"skipped"`
	Added        int              `json:"added"`
	Updated      int              `json:"updated"`
	Unchanged    int              `json:"unchanged"`
	Hunt         intel.HuntResult `json:"retro_hunt"`
	ElapsedS     float64          `json:"elapsed_s"`
	FirstRejects []event.Reject   `json:"first_rejects"`
}

func (s *server) intel(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	format, name := q.Get("feed"), q.Get("name")
	if _, ok := intel.LoaderFor(format); !ok {
		writeError(w, http.StatusBadRequest, fmt.Errorf("feed: unknown feed format %q (one of: %s)", format, strings.Join(intel.Formats(), ", ")))
		return
	}
	if name == "" {
		name = format
	}
	source, err := sourceName(q.Get("source"), r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	rd, err := body(r, s.limit(DefaultMaxUpload), false)
	if err != nil {
		writeError(w, bodyStatus(err), err)
		return
	}
	rec := &readErr{r: rd}
	ws := &writeErr{ImportStore: s.Store}
	imp, err := intel.Import(r.Context(), ws, format, source, rec, intel.LoadOptions{Feed: name, Now: event.SecondsUTC(s.Now())})
	switch {
	case err != nil && rec.err != nil && bodyStatus(rec.err) != 0:
		writeError(w, bodyStatus(rec.err), rec.err) // nothing was written: Import reads all first
		return
	case err != nil && !ws.failed:
		writeError(w, http.StatusBadRequest, fmt.Errorf("feed %s: %w", format, err))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	rep := intelReport{Feed: name, Files: []string{source}, Rejected: len(imp.Rejected), Skipped: imp.Skipped,
		Entries: len(imp.Indicators) + imp.Duplicates + len(imp.Rejected), Added: imp.Written.Added,
		Updated: imp.Written.Updated, Unchanged: imp.Written.Unchanged,
		FirstRejects: pipeline.AppendSamples([]event.Reject{}, imp.Rejects...)}
	if rep.Added+rep.Updated > 0 {
		if s.IntelLoaded != nil { // stored, hunted or not
			s.IntelLoaded(context.WithoutCancel(r.Context()))
		}
		if rep.Hunt, err = intel.HuntNew(r.Context(), s.Store); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	rep.ElapsedS = time.Since(start).Seconds()
	writeJSON(w, http.StatusOK, rep)
}

// writeErr is the store Import writes to, remembering whether a write
// failed: a failure of ours, where any other is the feed's.
type writeErr struct {
	intel.ImportStore
	failed bool
}

func (w *writeErr) WriteRejects(ctx context.Context, rs []event.Reject) error {
	err := w.ImportStore.WriteRejects(ctx, rs)
	w.failed = w.failed || err != nil
	return err
}

func (w *writeErr) WriteIndicators(ctx context.Context, ins []event.Indicator) (store.IndicatorCounts, error) {
	c, err := w.ImportStore.WriteIndicators(ctx, ins)
	w.failed = w.failed || err != nil
	return c, err
}

// nonNil is s, or an empty list so that JSON says [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
