package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

func rejectsCmd(e *env) *cobra.Command {
	var since time.Duration
	var limit int
	cmd := &cobra.Command{
		Use:   "rejects",
		Short: "List input lines that could not be parsed, with the reason",
		Long: `List the lines that ingest and intel load rejected (the dead-letter table):
where each came from (file and line number), the format tried, the reason, and
the line itself.

A line is shown quoted, with control characters and bytes that are not UTF-8
escaped (\x1b, \xff), and cut after ` + strconv.Itoa(maxShownRaw) + ` bytes with a note of how many
bytes were not shown. The store keeps each line byte for byte as it was read
(of a line too long to read, its start; the reason says so), and --json
prints it whole: "raw" is the line as text, and "raw_encoding" says how:
"text" (the line as received) or "escaped" (the line was not valid UTF-8:
each invalid byte is written \xNN and each backslash \\).`,
		Example: `  homesoc rejects
  homesoc rejects --since 1h --limit 500
  homesoc --json rejects`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var from time.Time
			if since > 0 {
				from = time.Now().Add(-since)
			}
			return e.readStore(cmd.Context(), func(st store.Store) error {
				return e.printRejects(cmd.Context(), st, from, limit)
			})
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only lines rejected within this long (default: all)")
	cmd.Flags().IntVar(&limit, "limit", 100, "list at most this many")
	return cmd
}

// rejectsReport is the JSON document of the rejects command.
type rejectsReport struct {
	Total   int            `json:"total"`   // rejected lines since the time asked
	Rejects []event.Reject `json:"rejects"` // the first of them, whole
}

// printRejects lists up to limit rejected lines since a time on stdout:
// JSON, or each as "source:line: format: reason" and the line as shownRaw
// renders it.
func (e *env) printRejects(ctx context.Context, st store.Store, since time.Time, limit int) error {
	rs, total, err := st.Rejects(ctx, since, limit)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(rejectsReport{Total: total, Rejects: view.NonNil(rs)})
	}
	for _, r := range rs {
		printReject(e.stdout, r)
		fmt.Fprintf(e.stdout, "\t%s\n", shownRaw(r.RawBytes()))
	}
	if total > len(rs) {
		fmt.Fprintf(e.stdout, "... and %d more rejected lines: homesoc rejects --limit %d\n", total-len(rs), total)
	}
	return nil
}

// printReject prints a rejected line as "source:line: format: reason".
func printReject(w io.Writer, r event.Reject) {
	fmt.Fprintf(w, "%s:%d: %s: %s\n", shownText(r.Source), r.Line, shownText(r.Format), shownText(r.Reason))
}

// maxShownRaw is how many bytes of a rejected line the rejects command
// shows: enough for any real log line, while a megabyte of junk stays one
// screen.
const maxShownRaw = 400

// shownRaw renders a rejected line for a terminal: Go-quoted, so control
// characters and bytes that are not UTF-8 are escaped and cannot act on the
// terminal, and cut after maxShownRaw bytes (at a character boundary) with a
// marker that says how many bytes were cut.
func shownRaw(raw []byte) string {
	if len(raw) <= maxShownRaw {
		return strconv.Quote(string(raw))
	}
	cut := maxShownRaw
	for i := cut; i > maxShownRaw-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(raw[i]) {
			cut = i
			break
		}
	}
	return fmt.Sprintf("%s... [%d more bytes not shown, %d in all; homesoc --json rejects has the whole line]",
		strconv.Quote(string(raw[:cut])), len(raw)-cut, len(raw))
}

// shownText renders a short text of a rejected line (its source, format or
// reason) for a terminal: as it is, but with control characters, other
// unprintable characters and bytes that are not UTF-8 escaped as Go escapes
// them, and cut after maxShownRaw bytes.
func shownText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= maxShownRaw {
			fmt.Fprintf(&b, "... [%d more bytes not shown]", len(s)-i)
			break
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case c != ' ' && !unicode.IsPrint(c):
			q := strconv.QuoteRune(c)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
