package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/homesoc/homesoc/internal/event"
)

// loadFeodoJSON reads ipblocklist.json, an array of objects, one entry at a
// time with json.Decoder so a large feed is never held whole in memory.
func loadFeodoJSON(r io.Reader, opts LoadOptions, c *collector) error {
	lc := &lineCounter{r: r}
	dec := json.NewDecoder(lc)
	tok, err := dec.Token()
	if err != nil {
		line := lc.errorLine(err)
		return brokenAt(line, fmt.Errorf("feodo json: line %d: %w", line, err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return brokenAt(1, fmt.Errorf("feodo json: want an array of entries, got %s", jsonKind(tok)))
	}
	var compact bytes.Buffer
	for n := 1; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			line := lc.errorLine(err)
			return brokenAt(line, fmt.Errorf("feodo json: entry %d: line %d: %w", n, line, err))
		}
		line := lc.lineAt(dec.InputOffset() - int64(len(raw)))
		compact.Reset()
		if err := json.Compact(&compact, raw); err != nil {
			// Cannot happen: the decoder only returns valid JSON values.
			return fmt.Errorf("feodo json: entry %d: line %d: %w", n, line, err)
		}
		ind, err := feodoJSONEntry(compact.Bytes(), opts)
		if err != nil {
			c.reject(line, err.Error(), compact.String())
			continue
		}
		c.add(ind)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		line := lc.errorLine(err)
		return brokenAt(line, fmt.Errorf("feodo json: line %d: %w", line, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line := lc.lineAt(dec.InputOffset())
		return brokenAt(line, fmt.Errorf("feodo json: line %d: data after the array", line))
	}
	return nil
}

// feodoJSONEntry turns one compact JSON entry into an indicator.
func feodoJSONEntry(raw []byte, opts LoadOptions) (event.Indicator, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return event.Indicator{}, errors.New("entry is not a JSON object")
	}
	var e feodoEntry
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"ip_address", &e.ip},
		{"first_seen", &e.firstSeen},
		{"last_online", &e.lastOnline},
		{"status", &e.status},
		{"malware", &e.malware},
	} {
		s, err := jsonString(obj, f.key)
		if err != nil {
			return event.Indicator{}, err
		}
		*f.dst = s
	}
	e.ipKey, e.firstSeenKey, e.lastOnlineKey = "ip_address", "first_seen", "last_online"
	e.fields = fieldsJSON(obj)
	return e.indicator(opts)
}

// jsonString returns the string value of key, "" when the key is absent or
// null, and an error naming the key when the value is not a string.
func jsonString(obj map[string]json.RawMessage, key string) (string, error) {
	v, ok := obj[key]
	if !ok || string(v) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("bad %s %s", key, quoteRaw(v))
	}
	return s, nil
}

// jsonKind names the kind of JSON value a token starts.
func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// quoteRaw shows a JSON value in an error message, cut short if long.
func quoteRaw(v []byte) string {
	const max = 64
	if len(v) > max {
		return string(v[:max]) + "..."
	}
	return string(v)
}

// lineCounter passes reads through and remembers where the newlines are, so
// the loader can tell the line of a byte offset the JSON decoder reports.
// Offsets must be asked in increasing order; newlines before the last offset
// asked are only counted, so memory stays bounded by the decoder's
// read-ahead.
type lineCounter struct {
	r       io.Reader
	off     int64   // bytes read so far
	counted int     // newlines before pending[0]
	pending []int64 // offsets of newlines not yet counted
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	b := p[:n]
	for i := bytes.IndexByte(b, '\n'); i >= 0; {
		c.pending = append(c.pending, c.off+int64(n-len(b)+i))
		b = b[i+1:]
		i = bytes.IndexByte(b, '\n')
	}
	c.off += int64(n)
	return n, err
}

// errorLine returns the line of a decoding error: where a syntax error is,
// else (an unexpected end of input, a read error) the last line read.
func (c *lineCounter) errorLine(err error) int {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return c.lineAt(se.Offset)
	}
	return c.lineAt(c.off)
}

// lineAt returns the 1-based line of byte offset off.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.pending) && c.pending[i] < off {
		i++
	}
	c.counted += i
	c.pending = c.pending[i:]
	return c.counted + 1
}
