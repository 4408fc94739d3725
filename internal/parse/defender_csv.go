package parse

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/homesoc/homesoc/internal/event"
)

// defenderCSVName is the registered name of the Defender CSV export format.
const defenderCSVName = "defender-csv"

func init() {
	Register(Format{
		Name: defenderCSVName,
		Description: "Microsoft Defender for Endpoint advanced hunting exported as CSV: one of DeviceNetworkEvents, " +
			"DeviceNetworkInfo or DeviceInfo, recognised from the header's columns",
		New:   func(Options) Parser { return newDefenderCSVParser() },
		Sniff: sniffDefenderCSV,
	})
}

// sniffDefenderCSV matches the header line of an export of one of the three
// tables; Detect needs only that one line, as no other format claims the
// rows.
func sniffDefenderCSV(line []byte) bool {
	line = trimSpaces(bytes.TrimPrefix(line, utf8BOM))
	return len(line) > 0 && line[0] != '{' &&
		bytes.Contains(line, []byte("DeviceId")) && bytes.IndexByte(line, ',') >= 0 &&
		(bytes.Contains(line, []byte("ActionType")) && bytes.Contains(line, []byte("RemoteIP")) ||
			bytes.Contains(line, []byte("IPAddresses")) || bytes.Contains(line, []byte("PublicIP")))
}

// utf8BOM starts files that Excel and the portal save.
var utf8BOM = []byte("\ufeff")

// defenderColumns maps the columns homesoc reads to their place in a row.
var defenderColumns = map[string]func(*defenderRow) *jsonText{
	"Timestamp":                    func(r *defenderRow) *jsonText { return &r.Timestamp },
	"DeviceId":                     func(r *defenderRow) *jsonText { return &r.DeviceID },
	"DeviceName":                   func(r *defenderRow) *jsonText { return &r.DeviceName },
	"ReportId":                     func(r *defenderRow) *jsonText { return &r.ReportID },
	"ActionType":                   func(r *defenderRow) *jsonText { return &r.ActionType },
	"RemoteIP":                     func(r *defenderRow) *jsonText { return &r.RemoteIP },
	"RemotePort":                   func(r *defenderRow) *jsonText { return &r.RemotePort },
	"LocalIP":                      func(r *defenderRow) *jsonText { return &r.LocalIP },
	"LocalPort":                    func(r *defenderRow) *jsonText { return &r.LocalPort },
	"Protocol":                     func(r *defenderRow) *jsonText { return &r.Protocol },
	"InitiatingProcessAccountName": func(r *defenderRow) *jsonText { return &r.AccountName },
	"AdditionalFields":             func(r *defenderRow) *jsonText { return &r.AdditionalFields },
	"NetworkAdapterName":           func(r *defenderRow) *jsonText { return &r.AdapterName },
	"NetworkAdapterDescription":    func(r *defenderRow) *jsonText { return &r.AdapterDescription },
	"NetworkAdapterType":           func(r *defenderRow) *jsonText { return &r.AdapterType },
	"MacAddress":                   func(r *defenderRow) *jsonText { return &r.MacAddress },
	"IPAddresses":                  func(r *defenderRow) *jsonText { return &r.IPAddresses },
	"PublicIP":                     func(r *defenderRow) *jsonText { return &r.PublicIP },
	"OSPlatform":                   func(r *defenderRow) *jsonText { return &r.OSPlatform },
	"OSVersion":                    func(r *defenderRow) *jsonText { return &r.OSVersion },
	"OSBuild":                      func(r *defenderRow) *jsonText { return &r.OSBuild },
	"LoggedOnUsers":                func(r *defenderRow) *jsonText { return &r.LoggedOnUsers },
}

// defenderCSVParser parses a CSV export. It keeps the header: the table
// and where each column is. A record must fit on one line: a quoted field
// with a line break in it is rejected.
type defenderCSVParser struct {
	defenderMapper
	table  string                         // "" until a header, otherTable for other tables
	cols   []func(*defenderRow) *jsonText // per field of a row; nil for columns not read
	fields []string
}

// otherTable is the table of a header that names none of the three.
const otherTable = "other"

func newDefenderCSVParser() *defenderCSVParser {
	return &defenderCSVParser{defenderMapper: newDefenderMapper(defenderCSVName)}
}

var errNoCSVHeader = errors.New("no defender CSV header line (DeviceId, Timestamp, ...) before this row")

// Parse implements Parser.
func (p *defenderCSVParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	text := trimSpaces(bytes.TrimPrefix(line, utf8BOM))
	if len(text) == 0 {
		return ErrSkip
	}
	if !utf8.Valid(text) {
		return errors.New("not valid UTF-8")
	}
	if err := p.split(text); err != nil {
		return err
	}
	if isDefenderHeader(p.fields) {
		return p.header()
	}
	switch p.table {
	case "":
		return errNoCSVHeader
	case otherTable:
		return fmt.Errorf("defender CSV row of a table other than %s, %s or %s: %w",
			tableNetworkEvents, tableNetworkInfo, tableDeviceInfo, ErrSkip)
	}
	if len(p.fields) != len(p.cols) {
		return fmt.Errorf("%d fields, the header names %d", len(p.fields), len(p.cols))
	}
	var r defenderRow
	for i, f := range p.fields {
		if c := p.cols[i]; c != nil {
			*c(&r) = jsonText(f)
		}
	}
	return p.row(p.table, &r, line, ev)
}

// split parses one CSV record into p.fields.
func (p *defenderCSVParser) split(text []byte) error {
	rd := csv.NewReader(bytes.NewReader(text))
	rd.FieldsPerRecord = -1
	rec, err := rd.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("bad CSV: %w", err)
	}
	if _, err := rd.Read(); err == nil {
		return errors.New("bad CSV: a quoted field runs over a line break")
	}
	p.fields = append(p.fields[:0], rec...)
	return nil
}

// columnName is a header's column name without the " [UTC]" the portal
// adds to times; Log Analytics calls the time column TimeGenerated.
func columnName(f string) string {
	f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "[UTC]"))
	if f == "TimeGenerated" {
		return "Timestamp"
	}
	return f
}

// isDefenderHeader reports whether fields are a header: they name DeviceId
// and the time column.
func isDefenderHeader(fields []string) bool {
	var id, ts bool
	for _, f := range fields {
		switch columnName(f) {
		case "DeviceId":
			id = true
		case "Timestamp":
			ts = true
		}
	}
	return id && ts
}

// header takes the table and the columns' places from a header line.
func (p *defenderCSVParser) header() error {
	have := map[string]bool{}
	p.cols = p.cols[:0]
	for _, f := range p.fields {
		name := columnName(f)
		have[name] = true
		p.cols = append(p.cols, defenderColumns[name])
	}
	switch {
	case have["ActionType"] && have["LocalIP"] && have["RemoteIP"]:
		p.table = tableNetworkEvents
	case have["IPAddresses"]:
		p.table = tableNetworkInfo
	case have["PublicIP"] || have["OSPlatform"]:
		p.table = tableDeviceInfo
	default:
		p.table = otherTable
		return fmt.Errorf("defender CSV header of a table other than %s, %s or %s: %w",
			tableNetworkEvents, tableNetworkInfo, tableDeviceInfo, ErrSkip)
	}
	return fmt.Errorf("defender CSV header of %s: %w", p.table, ErrSkip)
}
