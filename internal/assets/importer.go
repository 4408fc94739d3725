package assets

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reject is a record of an import file that was not loaded, and why.
type Reject struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Error is the reject as file:line: reason.
func (r Reject) Error(file string) string { return fmt.Sprintf("%s:%d: %s", file, r.Line, r.Reason) }

// Parsed is what an import file holds: an update per good record, in file
// order, the records that were not, and the columns (or JSON keys) that
// name no field of an asset, which are ignored.
type Parsed struct {
	Updates []Update
	Rejects []Reject
	Ignored []string
}

// fields lists the fields of an asset an import sets, each with the names a
// column may have for it, normalised by key (lower case, letters and digits
// only), the preferred first: when a record has several, the first given
// wins.
var fields = []struct {
	name    string
	aliases []string
}{
	{"id", []string{"id", "deviceid", "aid", "hostid", "assetid", "agentid", "sensorid"}},
	{"hostname", []string{"hostname", "host", "devicename", "computername", "name"}},
	{"macs", []string{"macs", "mac", "macaddress", "macaddresses"}},
	{"owner", []string{"owner", "assignedto", "user", "username"}},
	{"os", []string{"os", "osversion", "operatingsystem"}},
	{"platform", []string{"platform", "osplatform", "eventplatform"}},
	{"tags", []string{"tags", "tag", "labels"}},
	{"serial", []string{"serial", "serialnumber"}},
	{"location", []string{"location", "site"}},
	{"notes", []string{"notes", "note", "comments", "comment", "description"}},
	{"first_seen", []string{"firstseen"}},
	{"last_seen", []string{"lastseen"}},
}

// key is a column name as the aliases are written: "Device Id", "device_id"
// and "DeviceId" are all deviceid.
func key(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fieldOf is the field a column of that name sets, or "".
func fieldOf(name string) (field string, rank int) {
	k := key(name)
	for _, f := range fields {
		if i := slices.Index(f.aliases, k); i >= 0 {
			return f.name, i
		}
	}
	return "", 0
}

// Parse reads an inventory file: CSV with a header row (comma, semicolon or
// tab separated), a JSON array of objects, or JSON lines, told apart by
// the first character. Column names are matched case-insensitively,
// ignoring spaces, hyphens and underscores, with common aliases (id,
// device_id, aid, DeviceId, host_id; hostname, host, DeviceName; mac, macs,
// mac_address; owner, user, assigned_to; os, os_version; tags; serial;
// location; notes). MACs may be separated by ; , or spaces, tags by ; or ,.
// A record without an id, with a MAC that is not one or a time that is not
// RFC 3339 is rejected with its line; the others load. name is the file's
// name, for Source ("import:NAME"); err is for input that cannot be read
// at all.
func Parse(name string, r io.Reader) (Parsed, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Parsed{}, fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	src := "import:" + filepath.Base(name)
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		return parseJSON(src, data)
	}
	return parseCSV(src, data)
}

// record is one record of a file: its line and its values by column.
type record struct {
	line   int
	values map[string]any // string, []any of strings, number, nil
}

// builder turns records into updates, keeping the rejects and the columns
// no field takes.
type builder struct {
	src     string
	out     Parsed
	ignored map[string]bool
}

func (b *builder) add(rec record) {
	type pick struct {
		rank int
		v    any
	}
	picks := map[string]pick{}
	for _, col := range sortedKeys(rec.values) {
		f, rank := fieldOf(col)
		if f == "" {
			if !b.ignored[col] {
				b.ignored[col] = true
				b.out.Ignored = append(b.out.Ignored, col)
			}
			continue
		}
		v := rec.values[col]
		p, ok := picks[f]
		if !ok || empty(p.v) && !empty(v) || empty(p.v) == empty(v) && rank < p.rank {
			picks[f] = pick{rank, v}
		}
	}
	vals := make(map[string]any, len(picks))
	for f, p := range picks {
		vals[f] = p.v
	}
	u, err := b.update(vals)
	if err != nil {
		b.out.Rejects = append(b.out.Rejects, Reject{Line: rec.line, Reason: err.Error()})
		return
	}
	b.out.Updates = append(b.out.Updates, u)
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	}
	return false
}

// update makes the update of one record's values by field.
func (b *builder) update(vals map[string]any) (Update, error) {
	u := Update{Asset: Asset{Source: b.src}}
	str := func(f string) (string, error) {
		switch v := vals[f].(type) {
		case nil:
			return "", nil
		case string:
			return strings.TrimSpace(v), nil
		case json.Number:
			return v.String(), nil
		case bool:
			return strconv.FormatBool(v), nil
		}
		return "", fmt.Errorf("%s: want text, got %s", f, jsonType(vals[f]))
	}
	list := func(f, seps string) ([]string, error) {
		var parts []string
		switch v := vals[f].(type) {
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s: want a list of text, got an element %s", f, jsonType(x))
				}
				parts = append(parts, s)
			}
		default:
			s, err := str(f)
			if err != nil {
				return nil, err
			}
			parts = []string{s}
		}
		var out []string
		for _, p := range parts {
			out = append(out, strings.FieldsFunc(p, func(r rune) bool { return strings.ContainsRune(seps, r) })...)
		}
		return out, nil
	}
	var err error
	strs := []struct {
		f   string
		dst *string
	}{{"id", &u.ID}, {"hostname", &u.Hostname}, {"owner", &u.Owner}, {"os", &u.OS}, {"platform", &u.Platform},
		{"serial", &u.Serial}, {"location", &u.Location}, {"notes", &u.Notes}}
	for _, s := range strs {
		if *s.dst, err = str(s.f); err != nil {
			return u, err
		}
	}
	if u.ID == "" {
		return u, errors.New("no device id: give it in a column id, device_id, aid, DeviceId or host_id")
	}
	if u.MACs, err = list("macs", ";, \t"); err != nil {
		return u, err
	}
	for i, m := range u.MACs {
		if u.MACs[i], err = NormalMAC(m); err != nil {
			return u, fmt.Errorf("macs: %w", err)
		}
	}
	if u.Tags, err = list("tags", ";,"); err != nil {
		return u, err
	}
	for _, t := range []struct {
		f   string
		dst *time.Time
	}{{"first_seen", &u.FirstSeen}, {"last_seen", &u.LastSeen}} {
		s, err := str(t.f)
		if err != nil || s == "" {
			if err != nil {
				return u, err
			}
			continue
		}
		if *t.dst, err = parseTime(s); err != nil {
			return u, fmt.Errorf("%s: %w", t.f, err)
		}
	}
	u.Asset = Normal(u.Asset)
	return u, nil
}

// parseTime reads an RFC 3339 time or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("bad time %q: want RFC 3339 (2026-04-06T16:05:29Z) or a date (2026-04-06)", s)
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (b *builder) done() Parsed {
	if b.out.Updates == nil {
		b.out.Updates = []Update{}
	}
	if b.out.Rejects == nil {
		b.out.Rejects = []Reject{}
	}
	if b.out.Ignored == nil {
		b.out.Ignored = []string{}
	}
	slices.Sort(b.out.Ignored)
	return b.out
}

// parseCSV reads a CSV file whose first row names the columns.
func parseCSV(src string, data []byte) (Parsed, error) {
	b := &builder{src: src, ignored: map[string]bool{}}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	switch {
	case bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")):
		cr.Comma = ';'
	case bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")):
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return b.done(), nil
	}
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: header: %w", strings.TrimPrefix(src, "import:"), err)
	}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A broken quote leaves the reader unsure where records
			// start: what follows is not read.
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			b.out.Rejects = append(b.out.Rejects, Reject{Line: line, Reason: "bad CSV, the rest of the file is not read: " + err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		if len(row) != len(header) {
			b.out.Rejects = append(b.out.Rejects, Reject{Line: line,
				Reason: fmt.Sprintf("%d fields where the header names %d", len(row), len(header))})
			continue
		}
		rec := record{line: line, values: make(map[string]any, len(row))}
		for i, v := range row {
			rec.values[header[i]] = v
		}
		b.add(rec)
	}
	return b.done(), nil
}

// parseJSON reads a JSON array of objects or JSON lines (one object a
// line, blank lines skipped).
func parseJSON(src string, data []byte) (Parsed, error) {
	b := &builder{src: src, ignored: map[string]bool{}}
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	object := func(raw []byte, line int) {
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] != '{' {
			b.out.Rejects = append(b.out.Rejects, Reject{Line: line, Reason: "not a JSON object"})
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || m == nil {
			reason := "not a JSON object"
			if err != nil {
				reason = "bad JSON: " + err.Error()
			}
			b.out.Rejects = append(b.out.Rejects, Reject{Line: line, Reason: reason})
			return
		}
		b.add(record{line: line, values: m})
	}
	if bytes.TrimSpace(data)[0] == '{' {
		for i, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				object(l, i+1)
			}
		}
		return b.done(), nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return Parsed{}, fmt.Errorf("%s: %w", strings.TrimPrefix(src, "import:"), err)
	}
	for dec.More() {
		off := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			b.out.Rejects = append(b.out.Rejects, Reject{Line: lineAt(off),
				Reason: "bad JSON, the rest of the file is not read: " + err.Error()})
			return b.done(), nil
		}
		start := off + int64(bytes.IndexFunc(data[off:], func(r rune) bool { return !strings.ContainsRune(" \t\r\n,", r) }))
		object(raw, lineAt(start))
	}
	return b.done(), nil
}
