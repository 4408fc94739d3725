// Package store defines what homesoc keeps and how the rest of the program
// asks for it. Engines live in subpackages (store/duckdb); every other package
// talks to this interface, never to an engine's tables.
package store

import (
	"context"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/event"
)

// Store is the storage of one homesoc installation. All methods must return
// when ctx is cancelled. Implementations are safe for concurrent use.
type Store interface {
	// Dialect names the SQL engine ("duckdb", "clickhouse") for rule macros.
	Dialect() string

	// WriteNetwork stores events, skipping any whose ID is already stored
	// or repeats within evs, and reports how many were new.
	WriteNetwork(ctx context.Context, evs []event.Network) (stored int, err error)
	// WriteEndpointStates stores what EDRs reported about devices, with the
	// same dedup as WriteNetwork: a state whose ID is already stored, or
	// repeats within sts, is skipped. It records the ingest spans of the
	// rows it stores under table endpoint_states.
	WriteEndpointStates(ctx context.Context, sts []event.EndpointState) (stored int, err error)
	// WriteVPNSessions stores the facts VPN concentrators logged about
	// sessions, with WriteEndpointStates' dedup, recording the ingest
	// spans of the rows it stores under table vpn_sessions.
	WriteVPNSessions(ctx context.Context, vs []event.VPNSession) (stored int, err error)
	// WriteHTTP stores the requests proxies and sensors logged, with
	// WriteEndpointStates' dedup, recording the ingest spans of the rows
	// it stores under table http_events.
	WriteHTTP(ctx context.Context, hs []event.HTTP) (stored int, err error)
	// WriteRejects keeps input records that could not be parsed, whatever
	// bytes their Raw holds: it stores r.Stored() of each, which no caller
	// can forget.
	WriteRejects(ctx context.Context, rs []event.Reject) error
	// Rejects returns up to limit records rejected since a time, in input
	// order, and how many there are in all; each as Stored() returns it, so
	// RawBytes gives back the record's exact bytes.
	Rejects(ctx context.Context, since time.Time, limit int) ([]event.Reject, int, error)

	// WriteIndicators adds new indicators and refreshes known ones.
	WriteIndicators(ctx context.Context, ins []event.Indicator) (IndicatorCounts, error)
	// Indicators returns the indicators, only the active ones if active.
	Indicators(ctx context.Context, active bool) ([]event.Indicator, error)
	// WriteSightings stores sightings not stored before (by event and
	// indicator) and reports how many were new.
	WriteSightings(ctx context.Context, ss []event.Sighting) (added int, err error)
	// EventAddresses calls fn with every distinct address found in stored
	// network events (either side) and proxy events (the server, dst_ip),
	// for a retro-hunt to match.
	EventAddresses(ctx context.Context, fn func(netip.Addr) error) error
	// SightingsFromMatches turns address matches into sightings over all
	// stored events that carry a matched address, skipping known ones (a
	// proxy event's sightings as ProxyAction says).
	SightingsFromMatches(ctx context.Context, ms []AddrMatch, source string) (added int, err error)
	// HTTPNames calls fn with every distinct host and URL of stored proxy
	// events, for a retro-hunt to match against domain and url indicators.
	HTTPNames(ctx context.Context, fn func(name string) error) error
	// SightingsFromNames turns name matches into sightings over all stored
	// proxy events whose host or URL is a matched name, skipping known ones.
	SightingsFromNames(ctx context.Context, ms []NameMatch, source string) (added int, err error)

	// UpsertAlerts opens new alerts and updates known ones (by ID), as
	// alert.Alert.Apply merges a finding into the stored alert.
	UpsertAlerts(ctx context.Context, as []alert.Alert) (AlertCounts, error)
	// Alerts lists alerts, the most recently seen first.
	Alerts(ctx context.Context) ([]alert.Alert, error)
	// FindAlerts lists the alerts f selects, the most recently seen first.
	FindAlerts(ctx context.Context, f AlertFilter) ([]alert.Alert, error)
	// MoveAlerts moves every alert f selects as alert.Alert.Move does with
	// t (one read and one write, however many) and returns those that
	// changed; an alert Move refuses fails the call and changes nothing.
	MoveAlerts(ctx context.Context, f AlertFilter, t alert.Transition) ([]alert.Alert, error)

	// IngestedSince returns the ingest spans recorded after sequence number
	// seq, by sequence number then time. WriteNetwork, WriteEndpointStates,
	// WriteVPNSessions, WriteHTTP, WriteSightings and SightingsFromMatches record the spans of the rows
	// they store (IngestSpan.Table names the table), under a
	// number higher than any recorded before (on ClickHouse: the writer's
	// clock in nanoseconds, as versions are), and nothing when they store
	// nothing new.
	IngestedSince(ctx context.Context, seq int64) ([]IngestSpan, error)
	// Watermarks returns the saved watermarks by name.
	Watermarks(ctx context.Context) (map[string]Watermark, error)
	// SaveWatermark saves a watermark, replacing the one of its name.
	SaveWatermark(ctx context.Context, w Watermark) error
	// IndicatorsChangedSince returns the active indicators whose load
	// number is above after, as Indicators does, and the highest load
	// number among them (after when there are none). A write of indicators
	// numbers the ones it adds or changes (re-activation included) above
	// every earlier load: the clock in nanoseconds, as versions are. An
	// after of -1 returns every active indicator, those stored before load
	// numbers (0) and fixtures included.
	IndicatorsChangedSince(ctx context.Context, after int64) ([]event.Indicator, int64, error)

	// Query runs a read-only SQL statement, as rules do.
	Query(ctx context.Context, sql string) (*Result, error)
	// ReadQuery runs one SELECT statement from a source that is not
	// trusted (a user's "homesoc query", later an API client) in a
	// sandbox: it refuses, with an error that says so, anything but a
	// single SELECT, any write or schema change, any change of settings,
	// and any access to files, the network or other databases from SQL
	// (table functions such as read_csv, file, url, remote; COPY, ATTACH,
	// INSTALL, LOAD). The caller bounds its time with ctx.
	ReadQuery(ctx context.Context, sql string) (*Result, error)
	// Events returns the stored network events f selects, the most recent
	// first, at most f.Limit of them, with every column of network_events
	// (as Query returns them), and how many f selects in all.
	Events(ctx context.Context, f EventFilter) (*Result, int64, error)
	// Schema describes the tables and views the store's migrations made,
	// the tables of Tables first, in that order, then the others by name.
	Schema(ctx context.Context) ([]TableSchema, error)
	// LoadRows inserts rows given as column -> value into a table, filling
	// omitted columns with their defaults; rule tests load fixtures with it.
	LoadRows(ctx context.Context, table string, rows []map[string]any) error

	// Counts reports how many rows each table holds.
	Counts(ctx context.Context) (map[string]int64, error)
	Close() error

	ScanStore      // scans, the intended-port allowlist, UPnP mappings (scans.go)
	IntervalStore  // VPN sessions as intervals, attribution's lookups (intervals.go)
	AssetStore     // the asset inventory (assets.go)
	SilenceStore   // silences of alerts' delivery (silences.go)
	NotifyStore    // the notification outbox and log (notify.go)
	RetentionStore // deleting rows past their retention (retention.go)
}

// IndicatorCounts says what WriteIndicators did.
type IndicatorCounts struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// AlertCounts says what UpsertAlerts did.
type AlertCounts struct {
	Opened  int `json:"opened"`
	Updated int `json:"updated"`
}

// AddrMatch is an address that falls under an indicator.
type AddrMatch struct {
	Addr        netip.Addr
	IndicatorID string
}

// Result is the outcome of Query: column names and rows of driver values
// (string, int64, float64, time.Time, bool, nil, ...).
type Result struct {
	Columns []string
	Rows    [][]any
}

// Tables every engine holds, in the order Counts reports them.
var Tables = []string{"network_events", "endpoint_states", "vpn_sessions", "vpn_intervals", "http_events", "rejects", "indicators", "sightings", "alerts",
	"scans", "scan_hosts", "scan_ports", "allowances", "upnp_listings", "upnp_mappings", "assets"}

// Now returns the current time at the resolution stores keep.
func Now() time.Time { return event.SecondsUTC(time.Now()) }
