// Package feeds fetches threat-intel feeds over HTTP on a schedule and
// loads them into the store with internal/intel's loaders: a conditional
// GET (ETag, Last-Modified) so an unchanged feed costs one request, only
// new and changed indicators written, the indicators a full list dropped
// expired, and the new ones retro-hunted over stored history.
package feeds

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/store"
)

// Store is what fetching feeds needs of the store.
type Store interface {
	intel.ImportStore
	intel.NewHuntStore
	Indicators(ctx context.Context, active bool) ([]event.Indicator, error)
}

// Defaults of Options.
const (
	DefaultTimeout    = 2 * time.Minute
	DefaultMaxBytes   = 128 << 20
	DefaultMinBackoff = time.Minute
	DefaultUserAgent  = "homesoc"
)

// Options tune fetching; the zero value takes every default.
type Options struct {
	// Client makes the requests; nil: http.DefaultClient.
	Client *http.Client
	// Timeout bounds one fetch, body included; 0: DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds a feed's body, and again its content once
	// decompressed; 0: DefaultMaxBytes.
	MaxBytes int64
	// MinBackoff is the wait after a first failure, doubled at each
	// further one up to the feed's interval; 0: DefaultMinBackoff.
	MinBackoff time.Duration
	// UserAgent is sent with every request; "": DefaultUserAgent.
	UserAgent string
}

func (o Options) withDefaults() Options {
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// Statuses of a Result.
const (
	StatusLoaded      = "loaded"       // fetched and loaded
	StatusNotModified = "not_modified" // the server said 304: nothing to do
	StatusFailed      = "failed"       // see Error
)

// Result says what one fetch of a feed did.
type Result struct {
	Feed   string `json:"feed"`
	Status string `json:"status"` // StatusLoaded, StatusNotModified or StatusFailed
	// Bytes is the size of the feed's content (decompressed).
	Bytes int64 `json:"bytes"`
	// Entries, Rejected and Skipped count the feed's entries as the
	// loader saw them (see intel.LoadResult); the rejected ones are in the
	// store's rejects.
	Entries     int          `json:"entries"`
	Rejected    int          `json:"rejected"`
	Skipped     int          `json:"skipped"`
	SkipReasons []SkipReason `json:"skip_reasons"`
	// Added, Updated and Unchanged are what writing the feed's indicators
	// did; Expired counts the active indicators the feed no longer lists,
	// made inactive (only for a feed that expires).
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Expired   int `json:"expired"`
	// Active is how many of the feed's indicators are active after the
	// fetch (-1 when unknown: not modified, or failed before reading them).
	Active int `json:"active"`
	// Hunt is the retro-hunt of the new and changed indicators.
	Hunt      intel.HuntResult `json:"retro_hunt"`
	Sightings int              `json:"sightings"` // Hunt.Sightings
	Duration  time.Duration    `json:"-"`
	DurationS float64          `json:"duration_s"`
	Err       error            `json:"-"`
	Error     string           `json:"error"`
	// FirstRejects are the first few rejected entries.
	FirstRejects []event.Reject `json:"first_rejects"`
}

// SkipReason is why some well-formed entries held nothing to store, and
// how many (a list: JSON keys are ours, reasons are text).
type SkipReason struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// SkipReasons lists intel.LoadResult.SkipReasons, the most frequent first.
func SkipReasons(m map[string]int) []SkipReason {
	out := make([]SkipReason, 0, len(m))
	for r, n := range m {
		out = append(out, SkipReason{Reason: r, Count: n})
	}
	slices.SortFunc(out, func(a, b SkipReason) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return out
}

// Changed reports whether the fetch changed the feed's indicators, so that
// a live matcher must be rebuilt.
func (r Result) Changed() bool { return r.Added+r.Updated+r.Expired > 0 }

// maxRejectSamples is how many rejects a Result keeps (all are stored).
const maxRejectSamples = 5

// Fetch fetches feed f once and loads it into st: a GET, conditional on
// prev's ETag and Last-Modified unless force (a 304 does nothing more);
// the body (gzip or a one-file zip are unpacked) read whole within
// o.MaxBytes and o.Timeout, then loaded with f's format. Its rejected
// entries are kept in the store, its indicators written (only new and
// changed ones count), and, when f expires, the feed's active indicators
// it no longer lists written inactive. New and changed indicators are then
// retro-hunted. It returns the result and the feed's state to keep.
//
// A body the loader could not read to its end (broken JSON) keeps what it
// loaded, expires nothing and fails; so does a body whose every entry was
// rejected (an error page served with 200), whose indicators stay as they
// were.
func Fetch(ctx context.Context, st Store, f config.Feed, prev State, force bool, o Options) (Result, State) {
	o = o.withDefaults()
	start := time.Now()
	res := Result{Feed: f.Name, Active: -1, FirstRejects: []event.Reject{}, SkipReasons: []SkipReason{}}
	next := prev
	next.LastAttempt = store.Now()
	err := fetch(ctx, st, f, &prev, &next, force, o, &res)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("%w (timed out after %s)", err, o.Timeout)
	}
	res.Duration = time.Since(start)
	res.DurationS = res.Duration.Seconds()
	if err != nil {
		res.Status, res.Err, res.Error = StatusFailed, err, err.Error()
		next.Failures++
		next.LastError = err.Error()
		return res, next
	}
	next.LastSuccess, next.Failures, next.LastError = next.LastAttempt, 0, ""
	if res.Active >= 0 {
		next.Active = res.Active
	}
	return res, next
}

func fetch(ctx context.Context, st Store, f config.Feed, prev, next *State, force bool, o Options, res *Result) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, string(f.URL), nil)
	if err != nil {
		return fmt.Errorf("feed %s: %w", f.Name, err)
	}
	req.Header.Set("User-Agent", o.UserAgent)
	for k, v := range f.Headers {
		req.Header.Set(k, v.Reveal())
	}
	source := sourceOf(f)
	if !force && prev.Source == source {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	what := fmt.Sprintf("feed %s: GET %s", f.Name, f.URL)
	resp, err := o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		res.Status = StatusNotModified
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10) // let the connection be reused
		return fmt.Errorf("%s: %s", what, resp.Status)
	}
	body, err := readLimited(resp.Body, o.MaxBytes)
	if err != nil {
		return fmt.Errorf("%s: read body: %w", what, err)
	}
	if body, err = Decode(body, o.MaxBytes); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	res.Bytes = int64(len(body))
	if err := load(ctx, st, f, body, res); err != nil {
		return fmt.Errorf("feed %s: %w", f.Name, err)
	}
	// Only a body loaded in full may spare the next fetch.
	next.Source, next.ETag, next.LastModified = source, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	res.Status = StatusLoaded
	return nil
}

// load loads a feed's body into st and fills res; see Fetch.
func load(ctx context.Context, st Store, f config.Feed, body []byte, res *Result) error {
	now := store.Now()
	source := "feed " + f.Name
	lr, loadErr := intel.Load(f.Format, bytes.NewReader(body), intel.LoadOptions{Feed: f.Name, Now: now})
	broken, isBroken := errors.AsType[*intel.BrokenError](loadErr)
	if loadErr != nil && !isBroken {
		return loadErr
	}
	if isBroken {
		lr.Rejected = append(lr.Rejected, intel.Rejected{Line: broken.Line, Reason: loadErr.Error() + "; the rest of the feed was not read"})
	}
	res.Entries = len(lr.Indicators) + lr.Duplicates + len(lr.Rejected)
	res.Rejected, res.Skipped = len(lr.Rejected), lr.Skipped
	res.SkipReasons = SkipReasons(lr.SkipReasons)
	rejects := make([]event.Reject, 0, len(lr.Rejected))
	for _, r := range lr.Rejected {
		rejects = append(rejects, event.NewReject(now, source, int64(r.Line), f.Format, r.Reason, []byte(r.Raw)))
	}
	res.FirstRejects = append(res.FirstRejects, rejects[:min(len(rejects), maxRejectSamples)]...)
	if err := st.WriteRejects(ctx, rejects); err != nil {
		return fmt.Errorf("keep rejected entries: %w", err)
	}
	prevActive, err := feedIndicators(ctx, st, f.Name)
	if err != nil {
		return err
	}
	keepTimes(lr.Indicators, prevActive, now)
	written, err := st.WriteIndicators(ctx, lr.Indicators)
	if err != nil {
		return fmt.Errorf("write indicators: %w", err)
	}
	res.Added, res.Updated, res.Unchanged = written.Added, written.Updated, written.Unchanged
	allRejected := len(lr.Indicators) == 0 && len(lr.Rejected) > 0
	active := map[string]bool{}
	for _, in := range prevActive {
		active[in.ID] = true
	}
	listed := map[string]bool{}
	for _, in := range lr.Indicators {
		listed[in.ID] = true
		active[in.ID] = in.Active
	}
	if f.Expires() && !isBroken && !allRejected {
		var gone []event.Indicator
		for _, in := range prevActive {
			if !listed[in.ID] {
				in.Active = false
				gone = append(gone, in)
				active[in.ID] = false
			}
		}
		c, err := st.WriteIndicators(ctx, gone)
		if err != nil {
			return fmt.Errorf("expire %d indicators the feed dropped: %w", len(gone), err)
		}
		res.Expired = c.Updated
	}
	res.Active = 0
	for _, a := range active {
		if a {
			res.Active++
		}
	}
	if res.Added+res.Updated > 0 {
		if res.Hunt, err = intel.HuntNew(ctx, st); err != nil {
			return err
		}
		res.Sightings = res.Hunt.Sightings
	}
	switch {
	case isBroken:
		return fmt.Errorf("%w at line %d: kept the %d indicators before it, expired none", loadErr, broken.Line, len(lr.Indicators))
	case allRejected:
		return fmt.Errorf("all %d entries were rejected (is format %s right? see homesoc rejects): expired none", len(lr.Rejected), f.Format)
	}
	return nil
}

// keepTimes gives the indicators a feed lists without times of their own
// (the loader stamped them with the load's time, now: Spamhaus, plain
// lists) the times they were stored with while active: otherwise every
// fetch would move their last_seen, count them all as updated and
// retro-hunt them all again. An indicator's first_seen and last_seen are
// then when homesoc first found it listed.
func keepTimes(inds, stored []event.Indicator, now time.Time) {
	byID := make(map[string]event.Indicator, len(stored))
	for _, in := range stored {
		byID[in.ID] = in
	}
	for i := range inds {
		in := &inds[i]
		if old, ok := byID[in.ID]; ok && in.FirstSeen.Equal(now) && in.LastSeen.Equal(now) {
			in.FirstSeen, in.LastSeen = old.FirstSeen, old.LastSeen
		}
	}
}

// feedIndicators returns the active indicators of the feed named name.
func feedIndicators(ctx context.Context, st Store, name string) ([]event.Indicator, error) {
	all, err := st.Indicators(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []event.Indicator
	for _, in := range all {
		if in.Feed == name {
			out = append(out, in)
		}
	}
	return out, nil
}

// readLimited reads r to its end, failing when it holds more than max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than the limit of %d bytes", max)
	}
	return b, nil
}

// Decode returns a feed's content: body itself, or unpacked when it is
// gzip or a zip archive of one file (abuse.ch's full exports), within max
// bytes.
func Decode(body []byte, max int64) ([]byte, error) {
	switch {
	case bytes.HasPrefix(body, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		b, err := readLimited(zr, max)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		return b, nil
	case bytes.HasPrefix(body, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			return nil, fmt.Errorf("unzip: %w", err)
		}
		var files []*zip.File
		for _, zf := range zr.File {
			if !zf.FileInfo().IsDir() {
				files = append(files, zf)
			}
		}
		if len(files) != 1 {
			return nil, fmt.Errorf("unzip: the archive holds %d files, want 1", len(files))
		}
		rc, err := files[0].Open()
		if err != nil {
			return nil, fmt.Errorf("unzip %s: %w", files[0].Name, err)
		}
		defer rc.Close()
		b, err := readLimited(rc, max)
		if err != nil {
			return nil, fmt.Errorf("unzip %s: %w", files[0].Name, err)
		}
		return b, nil
	}
	return body, nil
}

// unwrapURLError drops the *url.Error's repetition of the method and URL,
// which the caller's message gives.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
