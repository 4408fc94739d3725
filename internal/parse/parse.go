// Package parse turns raw log lines into normalised events. Each format lives
// in its own file and registers itself in the registry by name; Detect picks a
// format from the first lines of an input.
//
// Every parser names protocols one way, by IANA keyword (proto.go). A line
// that carries no record (a header, another log's record in a mixed stream)
// is skipped with the reason, wrapping ErrSkip. A record with junk glued to
// it is rejected with the reason, never stored as if it were the record: a
// netfilter line longer than 8 KiB (the kernel writes at most 1 KiB), or
// whose packet fields hold a bare word the kernel never writes (lower case:
// another line run on after a lost newline), is rejected.
package parse

import (
	"errors"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// ErrSkip is returned by Parse, alone or wrapped with the reason, for a
// well-formed line that carries nothing to store (a header, a comment, a
// record of another log). The line is counted as skipped, not rejected.
var ErrSkip = errors.New("nothing to store")

// Parser turns lines of one input stream into events. A Parser may keep state
// between lines (a Zeek #fields header, the year of classic syslog stamps), so
// each stream gets its own instance. It is not safe for concurrent use.
type Parser interface {
	// Parse parses one line (without its trailing newline) into ev, which it
	// resets first. It returns ErrSkip, possibly wrapped with the reason, for
	// lines with nothing to store, and any other error, whose text says what
	// is wrong (e.g. "missing SRC="), to reject the line. It must not keep
	// line after it returns.
	Parse(line []byte, ev *event.Network) error
}

// ExtraParser is a Parser whose lines may carry records for other tables
// than network_events (an EDR's endpoint states). After each Parse the
// pipeline takes the line's other records from Extra; Parse returns
// ErrExtraOnly when the line carried those and no network event.
type ExtraParser interface {
	Parser
	// Extra returns the other records of the line last parsed; they are
	// valid until the next Parse, which resets them.
	Extra() *event.Extra
}

// ErrExtraOnly is returned by an ExtraParser's Parse for a line whose records
// are all in Extra: ev holds nothing to store, and the line is not skipped.
var ErrExtraOnly = errors.New("records for other tables only")

// Options are what a parser may need to know about its input.
type Options struct {
	// Year is the year of classic syslog stamps that carry none ("Apr  6
	// 16:05:29"); 0 means derive it from ModTime.
	Year int
	// ModTime is the input's modification time (now, for streams). Stamps
	// without a year are placed at or before it.
	ModTime time.Time
	// Location is the zone of stamps that carry none; nil means UTC.
	Location *time.Location
	// Now, when not nil, is the clock of a stream that never ends (homesoc
	// serve): yearless stamps are placed at or before Now()+24h as it moves,
	// and lines without a stamp take Now(), so that one parser serves a
	// sender for months. ModTime is then only where Now starts.
	Now func() time.Time
}

// Format describes one registered log format.
type Format struct {
	Name        string
	Description string
	// New returns a parser for one input stream.
	New func(Options) Parser
	// Sniff reports whether a line looks like this format. Detect asks it
	// of the first non-blank lines of an input.
	Sniff func(line []byte) bool
}
