package intel

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// feodoCSVColumns are the columns of ipblocklist.csv in the order the feed
// writes them, used when a file lacks its "# "first_seen_utc",..." line.
func feodoCSVColumns() []string {
	return []string{"first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware"}
}

// feodoColumns maps the roles loadFeodoCSV needs to column positions.
type feodoColumns struct {
	names                                      []string
	ip, firstSeen, lastOnline, status, malware int // -1 when absent
}

func newFeodoColumns(names []string) feodoColumns {
	c := feodoColumns{names: names, ip: -1, firstSeen: -1, lastOnline: -1, status: -1, malware: -1}
	for i, n := range names {
		switch n {
		case "dst_ip", "ip_address":
			c.ip = first(c.ip, i)
		case "first_seen_utc", "first_seen":
			c.firstSeen = first(c.firstSeen, i)
		case "last_online":
			c.lastOnline = first(c.lastOnline, i)
		case "c2_status", "status":
			c.status = first(c.status, i)
		case "malware":
			c.malware = first(c.malware, i)
		}
	}
	return c
}

// first returns the column already found, if any, else i.
func first(found, i int) int {
	if found >= 0 {
		return found
	}
	return i
}

// name is the name of column i, or def when the file has no such column.
func (c feodoColumns) name(i int, def string) string {
	if i < 0 {
		return def
	}
	return c.names[i]
}

// field is the value of column i in rec, "" when absent.
func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// loadFeodoCSV reads ipblocklist.csv: '#' comments, among them the column
// line, then one quoted CSV record per C2.
func loadFeodoCSV(lr *lineReader, opts LoadOptions, c *collector) error {
	var (
		sp   fieldSplitter
		cols *feodoColumns // set by the column line or the first record
	)
	comment := func(line []byte) {
		if cols == nil {
			if names, ok := feodoColumnLine(line, &sp); ok {
				fc := newFeodoColumns(names)
				cols = &fc
			}
		}
	}
	return eachLine(lr, "feodo csv", c, false, comment, func(line []byte) {
		if names, ok := feodoHeaderRow(line, &sp); ok {
			// The column line without its '#', as some copies of the feed
			// have it; a second one (after the comment) says the same.
			c.skip()
			if cols == nil {
				fc := newFeodoColumns(names)
				cols = &fc
			}
			return
		}
		if cols == nil {
			fc := newFeodoColumns(feodoCSVColumns())
			cols = &fc
		}
		ind, err := feodoRecord(line, *cols, &sp, opts)
		if err != nil {
			c.reject(lr.n, err.Error(), string(line))
			return
		}
		c.add(ind)
	})
}

// feodoRecord turns one data line into an indicator.
func feodoRecord(line []byte, cols feodoColumns, sp *fieldSplitter, opts LoadOptions) (event.Indicator, error) {
	rec, err := sp.split(line)
	if err != nil {
		return event.Indicator{}, err
	}
	if len(rec) != len(cols.names) {
		return event.Indicator{}, fmt.Errorf("wrong number of fields: got %d, want %d", len(rec), len(cols.names))
	}
	fields := make(map[string]string, len(rec))
	for i, v := range rec {
		fields[cols.names[i]] = v
	}
	e := feodoEntry{
		ip:            field(rec, cols.ip),
		firstSeen:     field(rec, cols.firstSeen),
		lastOnline:    field(rec, cols.lastOnline),
		status:        field(rec, cols.status),
		malware:       field(rec, cols.malware),
		ipKey:         cols.name(cols.ip, "dst_ip"),
		firstSeenKey:  cols.name(cols.firstSeen, "first_seen_utc"),
		lastOnlineKey: cols.name(cols.lastOnline, "last_online"),
		fields:        fieldsJSON(fields),
	}
	return e.indicator(opts)
}

// feodoColumnLine recognises the comment naming the CSV columns,
// `# "first_seen_utc","dst_ip",...`, and returns the names, lower case.
func feodoColumnLine(line []byte, sp *fieldSplitter) ([]string, bool) {
	return feodoHeaderRow(bytes.TrimPrefix(bytes.TrimLeft(line, " \t"), []byte("#")), sp)
}

// feodoHeaderRow recognises a row naming the CSV columns,
// `"first_seen_utc","dst_ip",...`, and returns the names, lower case. No
// entry has a field spelled dst_ip or ip_address, so an entry is never taken
// for it.
func feodoHeaderRow(line []byte, sp *fieldSplitter) ([]string, bool) {
	text := bytes.TrimSpace(line)
	if !bytes.Contains(text, []byte("dst_ip")) && !bytes.Contains(text, []byte("ip_address")) {
		return nil, false
	}
	rec, err := sp.split(text)
	if err != nil {
		return nil, false
	}
	names := make([]string, len(rec))
	for i, n := range rec {
		names[i] = strings.ToLower(n)
	}
	if newFeodoColumns(names).ip < 0 {
		return nil, false // a comment that mentions dst_ip, not the column line
	}
	return names, true
}
