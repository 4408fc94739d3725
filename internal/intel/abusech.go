package intel

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// abuseRow is one data row of an abuse.ch CSV export, its fields by column
// name (lower case).
type abuseRow map[string]string

// get returns the trimmed value of column name, "" when absent.
func (r abuseRow) get(name string) string { return strings.TrimSpace(r[name]) }

// rest returns the row's columns other than used, as Fields JSON, cleaned
// for storage.
func (r abuseRow) rest(used ...string) map[string]string {
	out := make(map[string]string, len(r))
	for k, v := range r {
		out[k] = cleanText(v)
	}
	for _, u := range used {
		delete(out, u)
	}
	return out
}

// abuseFeed describes one abuse.ch CSV export to loadAbuseCSV.
type abuseFeed struct {
	// name names the feed in errors ("urlhaus csv").
	name string
	// columns are the export's columns in order, used when a file has no
	// column line.
	columns []string
	// keys are columns only a column line has under those names; a data
	// line naming one of them (without '#') is taken for the column line.
	keys []string
	// row turns a data row into an indicator, or says why the well-formed
	// row holds nothing to store (skip, with a reason), or why it is
	// malformed (err).
	row func(r abuseRow, opts LoadOptions) (ind event.Indicator, skip string, err error)
}

// loadAbuseCSV reads an abuse.ch CSV export: '#' comments, the last of them
// before the data that names at least two columns taken as the column line
// (`# id,dateadded,url,...`, `# "first_seen_utc","ioc_id",...`), or a column
// line without '#'; then one CSV record per entry. A file without a column
// line is read with f.columns. The columns are fixed at the first data
// line. Columns are found by name, so an export that adds, drops or moves
// columns needs no change here as long as the columns f.row reads keep
// their names.
func loadAbuseCSV(r io.Reader, opts LoadOptions, f abuseFeed) (LoadResult, error) {
	c := newCollector()
	lr := newLineReader(r)
	var (
		sp        fieldSplitter
		cols      []string // the columns of the data, fixed by its first line
		commented []string // the last column line given as a comment
	)
	comment := func(line []byte) {
		if cols == nil {
			if names := abuseColumnLine(strings.TrimPrefix(strings.TrimLeft(string(line), " \t"), "#"), &sp); len(names) >= 2 {
				commented = names
			}
		}
	}
	err := eachLine(lr, f.name, c, false, comment, func(line []byte) {
		if names := abuseColumnLine(string(line), &sp); len(names) >= 2 && containsAny(names, f.keys) {
			// The column line without its '#'; one after the data (files
			// joined) is skipped too, the data keeps its columns.
			c.skip()
			if cols == nil {
				cols = names
			}
			return
		}
		if cols == nil {
			cols = commented
			if cols == nil {
				cols = f.columns
			}
		}
		rec, err := sp.split(line)
		if err != nil {
			c.reject(lr.n, err.Error(), string(line))
			return
		}
		if len(rec) != len(cols) {
			c.reject(lr.n, fmt.Sprintf("wrong number of fields: got %d, want %d (%s)", len(rec), len(cols), strings.Join(cols, ",")), string(line))
			return
		}
		row := make(abuseRow, len(rec))
		for i, v := range rec {
			row[cols[i]] = v
		}
		ind, skip, err := f.row(row, opts)
		switch {
		case err != nil:
			c.reject(lr.n, err.Error(), string(line))
		case skip != "":
			skipFor(c, skip)
		default:
			c.add(ind)
		}
	})
	return c.res, err
}

// abuseColumnLine returns the lower-case column names of a line that may be
// a column line, nil when it does not split as CSV or a name is empty or
// holds anything but letters, digits and '_' (data does).
func abuseColumnLine(text string, sp *fieldSplitter) []string {
	rec, err := sp.split([]byte(strings.TrimSpace(text)))
	if err != nil {
		return nil
	}
	names := make([]string, len(rec))
	for i, n := range rec {
		n = strings.ToLower(n)
		if n == "" || strings.TrimLeft(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil
		}
		names[i] = n
	}
	return names
}

// containsAny reports whether names holds one of want.
func containsAny(names, want []string) bool {
	for _, n := range names {
		for _, w := range want {
			if n == w {
				return true
			}
		}
	}
	return false
}

// skipFor counts a well-formed entry with nothing to store, and why.
func skipFor(c *collector, reason string) {
	c.skip()
	if c.res.SkipReasons == nil {
		c.res.SkipReasons = map[string]int{}
	}
	c.res.SkipReasons[reason]++
}

// abuseTime parses the time in column name; zero when the column is empty,
// an error naming the column when it is not a time.
func abuseTime(r abuseRow, name string) (time.Time, error) {
	s := r.get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, fmt.Errorf("bad %s %s", name, quote(s))
	}
	return t, nil
}
