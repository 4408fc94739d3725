package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// defenderName is the registered name of the Defender Streaming API format.
const defenderName = "defender"

// defenderSensor is the Sensor of every Defender record, and defenderIDs the
// id space of its records, which the JSON and CSV formats share: the same
// Defender record exported both ways is stored once.
const (
	defenderSensor = "defender"
	defenderIDs    = "defender"
)

// defenderPrefix starts the category of every advanced hunting record the
// Streaming API writes ("AdvancedHunting-DeviceNetworkEvents").
const defenderPrefix = "AdvancedHunting-"

func init() {
	Register(Format{
		Name: defenderName,
		Description: "Microsoft Defender for Endpoint advanced hunting as the Streaming API writes it: JSON lines of " +
			"DeviceNetworkEvents, DeviceNetworkInfo and DeviceInfo",
		New:   func(Options) Parser { return newDefenderParser() },
		Sniff: sniffDefender,
	})
}

// sniffDefender matches a JSON object with an advanced hunting category.
func sniffDefender(line []byte) bool {
	line = trimSpaces(line)
	return len(line) > 0 && line[0] == '{' &&
		bytes.Contains(line, []byte(`"category"`)) &&
		bytes.Contains(line, []byte(`"`+defenderPrefix))
}

// defenderRecord is one Streaming API line: the table in category, its
// columns under properties.
type defenderRecord struct {
	Time       jsonText     `json:"time"`
	Category   jsonText     `json:"category"`
	Properties *defenderRow `json:"properties"`
}

// defenderRow holds the columns homesoc reads of the three tables. List
// columns (IPAddresses, LoggedOnUsers) and AdditionalFields are
// JSON-encoded strings.
type defenderRow struct {
	Timestamp  jsonText `json:"Timestamp"`
	DeviceID   jsonText `json:"DeviceId"`
	DeviceName jsonText `json:"DeviceName"`
	ReportID   jsonText `json:"ReportId"`
	// DeviceNetworkEvents
	ActionType       jsonText `json:"ActionType"`
	RemoteIP         jsonText `json:"RemoteIP"`
	RemotePort       jsonText `json:"RemotePort"`
	LocalIP          jsonText `json:"LocalIP"`
	LocalPort        jsonText `json:"LocalPort"`
	Protocol         jsonText `json:"Protocol"`
	AccountName      jsonText `json:"InitiatingProcessAccountName"`
	AdditionalFields jsonText `json:"AdditionalFields"`
	// DeviceNetworkInfo
	AdapterName        jsonText `json:"NetworkAdapterName"`
	AdapterDescription jsonText `json:"NetworkAdapterDescription"`
	AdapterType        jsonText `json:"NetworkAdapterType"`
	MacAddress         jsonText `json:"MacAddress"`
	IPAddresses        jsonText `json:"IPAddresses"`
	// DeviceInfo
	PublicIP      jsonText `json:"PublicIP"`
	OSPlatform    jsonText `json:"OSPlatform"`
	OSVersion     jsonText `json:"OSVersion"`
	OSBuild       jsonText `json:"OSBuild"`
	LoggedOnUsers jsonText `json:"LoggedOnUsers"`
}

// The advanced hunting tables homesoc reads.
const (
	tableNetworkEvents = "DeviceNetworkEvents"
	tableNetworkInfo   = "DeviceNetworkInfo"
	tableDeviceInfo    = "DeviceInfo"
)

// defenderMapper turns rows of the three tables into events and states; the
// JSON and CSV parsers share it.
type defenderMapper struct {
	edrExtra
	format string // the parser's format, for Format
}

func newDefenderMapper(format string) defenderMapper {
	return defenderMapper{format: format}
}

// defenderParser parses Streaming API lines. It keeps no state between
// lines beyond its interner and the last line's endpoint states.
type defenderParser struct {
	defenderMapper
}

func newDefenderParser() *defenderParser {
	return &defenderParser{newDefenderMapper(defenderName)}
}

var errDefenderNotJSON = errors.New("not a defender line: not a JSON object")

// Parse implements Parser.
func (p *defenderParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	obj := trimSpaces(line)
	if len(obj) == 0 {
		return ErrSkip
	}
	if obj[0] != '{' {
		return errDefenderNotJSON
	}
	var r defenderRecord
	if err := json.Unmarshal(obj, &r); err != nil {
		return fmt.Errorf("bad defender JSON: %w", err)
	}
	if r.Category == "" {
		return errors.New("missing category")
	}
	table, ok := strings.CutPrefix(string(r.Category), defenderPrefix)
	if !ok {
		return fmt.Errorf("defender category %q is not an advanced hunting table: %w", quote([]byte(r.Category)), ErrSkip)
	}
	if r.Properties == nil {
		return errors.New("missing properties")
	}
	if r.Properties.Timestamp == "" {
		r.Properties.Timestamp = r.Time // when the API sent it: a few seconds after
	}
	return p.row(table, r.Properties, line, ev)
}

// row maps one row of a table.
func (p *defenderMapper) row(table string, r *defenderRow, line []byte, ev *event.Network) error {
	switch table {
	case tableNetworkEvents, tableNetworkInfo, tableDeviceInfo:
	default:
		return fmt.Errorf("defender table %q holds no connections or device addresses: %w", quote([]byte(table)), ErrSkip)
	}
	if r.DeviceID == "" {
		return errors.New("missing DeviceId")
	}
	if r.Timestamp == "" {
		return errors.New("missing Timestamp")
	}
	t, err := textTime(r.Timestamp, "Timestamp")
	if err != nil {
		return err
	}
	switch table {
	case tableNetworkEvents:
		return p.networkEvent(r, t, line, ev)
	case tableNetworkInfo:
		return p.networkInfo(r, t, line)
	}
	return p.deviceInfo(r, t, line)
}
