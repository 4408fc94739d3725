// Package intel loads threat-intel feeds into homesoc's single indicator
// schema (event.Indicator) and matches network events against the IP and
// CIDR indicators.
//
// Each feed format has a Loader, looked up by name with LoaderFor. A loader
// never stops at a malformed entry: it rejects the entry with its reason and
// goes on, so one bad line in a feed of thousands costs one indicator, not the
// feed.
package intel

import (
	"fmt"
	"io"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// Names of the built-in feed formats.
const (
	// FormatFeodo is abuse.ch Feodo Tracker's IP blocklist, JSON or CSV.
	FormatFeodo = "feodo"
	// FormatCSV is a generic list: one indicator per line, or a CSV file
	// with a header row.
	FormatCSV = "csv"
	// FormatSpamhaus is Spamhaus DROP or EDROP: `CIDR ; SBLnnn` lines.
	FormatSpamhaus = "spamhaus"
	// FormatURLhaus is abuse.ch URLhaus' CSV export.
	FormatURLhaus = "urlhaus"
	// FormatThreatFox is abuse.ch ThreatFox's CSV export.
	FormatThreatFox = "threatfox"
	// FormatSSLBL is abuse.ch SSL Blacklist's CSV exports.
	FormatSSLBL = "sslbl"
)

// Loader reads one feed file in its format. It returns an error only when the
// input as a whole cannot be read further: an I/O error, or a *BrokenError
// (broken JSON syntax); the result then holds what was loaded before the
// error. Malformed entries are reported in LoadResult.Rejected instead.
type Loader func(r io.Reader, opts LoadOptions) (LoadResult, error)

// LoadOptions tell a Loader about the feed it reads.
type LoadOptions struct {
	// Feed is the name stored in Indicator.Feed and hashed into its ID;
	// empty means the format name.
	Feed string
	// Now is the time of the load, used where a feed gives no time and for
	// "recently seen" rules; zero means time.Now().
	Now time.Time
}

// withDefaults fills in the feed name and the time.
func (o LoadOptions) withDefaults(format string) LoadOptions {
	if o.Feed == "" {
		o.Feed = format
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = event.SecondsUTC(o.Now)
	return o
}

// LoadResult is what a Loader made of a feed file. Every line of a
// line-oriented feed ends up in exactly one place: an indicator (possibly
// merged into an earlier one with the same ID, counted in Duplicates), a
// rejection, or Skipped.
type LoadResult struct {
	// Indicators are the feed's indicators in order of first appearance,
	// unique by ID.
	Indicators []event.Indicator
	// Rejected are the malformed entries, each with its reason.
	Rejected []Rejected
	// Skipped counts comment, blank and header lines, and well-formed
	// entries with nothing to store.
	Skipped int
	// SkipReasons counts the skipped entries by why they hold nothing to
	// store (`sslbl: TLS certificate fingerprint ...`); comment, blank and
	// header lines are not in it.
	SkipReasons map[string]int
	// Duplicates counts entries merged into an earlier indicator with the
	// same ID (see mergeIndicator for how).
	Duplicates int
}

// Rejected is a feed entry that could not be turned into an indicator.
type Rejected struct {
	// Line is the 1-based line of the entry; for JSON feeds, the line where
	// the entry's object starts.
	Line int
	// Reason says what is wrong, e.g. `bad ip_address "x"`.
	Reason string
	// Raw is the entry as it appeared in the feed (compacted for JSON).
	Raw string
}

// BrokenError is a Loader's error for a feed it could not read past a line
// (broken JSON syntax): what came before is in its LoadResult.
type BrokenError struct {
	Line int // the 1-based line of the break
	Err  error
}

func brokenAt(line int, err error) error { return &BrokenError{Line: line, Err: err} }

func (e *BrokenError) Error() string { return e.Err.Error() }
func (e *BrokenError) Unwrap() error { return e.Err }

// Error formats the rejection as "line N: reason".
func (r Rejected) Error() string { return fmt.Sprintf("line %d: %s", r.Line, r.Reason) }

// Formats returns the names of the built-in feed formats, sorted.
func Formats() []string {
	return []string{FormatCSV, FormatFeodo, FormatSpamhaus, FormatSSLBL, FormatThreatFox, FormatURLhaus}
}

// LoaderFor returns the Loader of a feed format, or false when there is none
// of that name. The set of formats is fixed at compile time, so a lookup
// needs no registration step and no shared state.
func LoaderFor(format string) (Loader, bool) {
	switch format {
	case FormatFeodo:
		return LoadFeodo, true
	case FormatCSV:
		return LoadCSV, true
	case FormatSpamhaus:
		return LoadSpamhaus, true
	case FormatURLhaus:
		return LoadURLhaus, true
	case FormatThreatFox:
		return LoadThreatFox, true
	case FormatSSLBL:
		return LoadSSLBL, true
	}
	return nil, false
}

// Load reads r with the loader of format.
func Load(format string, r io.Reader, opts LoadOptions) (LoadResult, error) {
	load, ok := LoaderFor(format)
	if !ok {
		return LoadResult{}, fmt.Errorf("unknown feed format %q (have %v)", format, Formats())
	}
	return load(r, opts)
}
