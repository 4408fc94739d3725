package intel

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxLine is the longest feed line we take; a longer one is rejected (and
// read past) rather than held in memory whole. Indicators are short; a line
// this long is not a feed entry.
const maxLine = 64 << 10

// lineReader reads a feed line by line, keeping count of the line number.
type lineReader struct {
	br   *bufio.Reader
	n    int    // number of the line last returned, 1-based
	long []byte // assembles lines longer than br's buffer
	// length is the length of the last line returned, without its line
	// ending, when it is too long.
	length int
}

// tooLong is the reason of a rejected line over maxLine bytes.
func (lr *lineReader) tooLong() string {
	return fmt.Sprintf("line too long: %d bytes, over %d; the first %d kept", lr.length, maxLine, maxLine)
}

func newLineReader(r io.Reader) *lineReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 16<<10)
	}
	return &lineReader{br: br}
}

// next returns the next line without its line ending (and, on line 1, without
// a UTF-8 byte-order mark). tooLong reports a line over maxLine bytes, of which
// line holds the first maxLine. err is io.EOF after the last line. line is
// valid until the next call.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	line, err = lr.br.ReadSlice('\n')
	lr.length = 0
	if err == bufio.ErrBufferFull {
		// Keep at most maxLine bytes plus a line ending; read past the rest.
		total := len(line)
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = lr.br.ReadSlice('\n')
			total += len(line)
			if room := maxLine + 2 - len(lr.long); room > 0 {
				lr.long = append(lr.long, line[:min(room, len(line))]...)
			}
		}
		lr.length = total - (len(line) - len(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))))
		line = lr.long
		tooLong = total > maxLine+2
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, false, io.EOF
		}
		err = nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read line %d: %w", lr.n+1, err)
	}
	lr.n++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if lr.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	if len(line) > maxLine {
		lr.length = max(lr.length, len(line))
		line, tooLong = line[:maxLine], true
	}
	return line, tooLong, nil
}

// eachLine reads lr's lines for the loader named what: a line over maxLine
// is rejected; a blank line or a '#' comment (with semicolons, a ';' one too)
// is counted as skipped, and a '#' comment handed to comment when it is not
// nil; every other line goes to data (lr.n is its number). It returns at the
// end of the input, or with the read error.
func eachLine(lr *lineReader, what string, c *collector, semicolons bool, comment, data func(line []byte)) error {
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if tooLong {
			c.reject(lr.n, lr.tooLong(), string(line))
			continue
		}
		blank, hash := lineKind(line)
		if blank || hash || semicolons && semicolonComment(line) {
			c.skip()
			if hash && comment != nil {
				comment(line)
			}
			continue
		}
		data(line)
	}
}

// lineKind classifies a line: blank, a '#' comment, or data.
func lineKind(line []byte) (blank, comment bool) {
	t := bytes.TrimLeft(line, " \t")
	return len(bytes.TrimSpace(t)) == 0, len(t) > 0 && t[0] == '#'
}

// fieldSplitter splits single CSV lines into fields with encoding/csv. It
// feeds one csv.Reader line after line, so the loader keeps exact line
// numbers, sees comment lines (Feodo's column line is one) and has the raw
// text of every record it rejects. Quoted fields spanning lines are not
// supported; no feed we read has them.
type fieldSplitter struct {
	src lineSource
	cr  *csv.Reader
	off int64 // bytes fed to cr so far
}

// lineSource hands its bytes to the csv.Reader, then reports io.EOF until it
// is given another line.
type lineSource struct{ b []byte }

func (s *lineSource) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// split returns the fields of line, each trimmed of surrounding space. The
// fields are valid until the next call. On a CSV syntax error the reason is
// csv's own ("extraneous or missing \" in quoted-field").
func (f *fieldSplitter) split(line []byte) ([]string, error) {
	if f.cr == nil || f.cr.InputOffset() != f.off {
		// First use, or the reader kept bytes of a bad line: start afresh.
		f.cr = csv.NewReader(&f.src)
		f.cr.FieldsPerRecord = -1
		f.cr.ReuseRecord = true
		// ThreatFox pads fields after the comma: `"a", "b"`.
		f.cr.TrimLeadingSpace = true
		f.off = 0
	}
	f.src.b = append(append(f.src.b[:0], line...), '\n')
	f.off += int64(len(line)) + 1
	rec, err := f.cr.Read()
	if err != nil {
		f.cr = nil // the reader may have stopped mid-line
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			return nil, fmt.Errorf("bad csv: %w", pe.Err)
		}
		return nil, fmt.Errorf("bad csv: %w", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}

// fieldsJSON renders a feed entry's own fields as a compact JSON object with
// sorted keys, without the HTML escaping encoding/json does by default (a
// feed's "&" stays "&"). Bytes that are not UTF-8 become U+FFFD, as in
// cleanText: strings are encoded so, but a json.RawMessage is copied as the
// feed wrote it.
func fieldsJSON(fields any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		// Maps of strings and of json.RawMessage that came out of a decoder
		// always encode; keep the indicator rather than lose it.
		return "{}"
	}
	return strings.ToValidUTF8(strings.TrimSuffix(b.String(), "\n"), "\uFFFD")
}

// parseTime parses a feed's time, at second resolution in UTC. It takes the
// forms feeds write; a time without a zone is UTC, as every feed we know
// writes them.
func parseTime(s string) (time.Time, bool) {
	layouts := [...]string{
		time.DateTime,
		time.RFC3339Nano,
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04",
		time.DateOnly,
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}
