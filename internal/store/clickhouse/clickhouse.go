// Package clickhouse is homesoc's scale-out store: ClickHouse over its native
// protocol (network events optionally over HTTP in RowBinary, which is
// faster), on one server or, with ?cluster=NAME, on the shards of a cluster.
// It runs on ClickHouse as old as Debian's 18.16.
//
// Where the state lives, and why (ClickHouse has no cheap UPDATE, and
// MergeTree tables only ever gain rows; duplicates of a sorting key collapse
// when a ReplacingMergeTree merges its parts, at a time of its choosing, and
// only within a partition):
//
//   - network_events, sightings, rejects are append-only. The writers skip
//     what is stored already (an insert-side check, under the store's write
//     lock), so the counts they report are exact. The tables are
//     ReplacingMergeTrees whose sorting key ends in the dedup key (event_id;
//     event_id + indicator_id; source + line + raw), so a duplicate that a
//     race between two processes lets in disappears at the next merge. The
//     other sort-key and partition columns of events and sightings (their
//     time) are functions of the event, so duplicates share key and
//     partition; a rejected line's time is when it was rejected, so a racing
//     duplicate collapses only within a month.
//   - indicators and alerts change: a refresh, a new detection. Each change
//     appends a full row with a larger version to indicator_versions or
//     alert_versions, ReplacingMergeTree(version) tables sorted by the id,
//     unpartitioned (their times move, and a row and its replacement must
//     share a partition to collapse). The views indicators and alerts read
//     them with FINAL, so rules, Indicators and Alerts see exactly the
//     latest version of each row, merged or not; writers read the latest
//     versions of the ids they write with FINAL too.
//
// With a cluster every table is a <name>_local table on each shard behind a
// Distributed table, sharded by a hash of the dedup key, so a duplicate
// always lands on the shard that holds the original and merges away there.
// The Distributed tables have the plain names, except under views: those of
// indicators and alerts (over indicator_versions, alert_versions) and of
// sightings (over sightings_all; see table.joined for why).
package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/homesoc/homesoc/internal/store"
)

// Store is a ClickHouse-backed store.Store.
type Store struct {
	conn    driver.Conn
	db      string        // the database, a plain identifier
	cluster string        // the cluster the schema spans; "" on one server
	temp    bool          // drop the database on Close
	http    *httpInserter // writes network events, if the URL gives an http_port

	// mu serialises writers: each writer's insert-side dedup check must see
	// the rows of the writes before it.
	mu          sync.Mutex
	lastVersion uint64 // the last version given to a row of a mutable table
}

var _ store.Store = (*Store)(nil)

// identifier is what database and cluster names may be: they are spliced
// into DDL.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to the ClickHouse server of a URL such as
// clickhouse://user:pass@host:9000/db?cluster=NAME, creates the database if
// it is missing (on every node of the cluster, if one is named) and brings
// its schema up to date. Without a database in the URL it uses "default".
// With http_port=PORT, network events are inserted through the server's
// HTTP interface on that port, in RowBinary, which costs the client a
// quarter of the CPU of the native protocol (see BenchmarkWriteNetwork).
// Other query parameters are the driver's (compress, dial_timeout, ...) or
// ClickHouse settings with integer values; 18.16 takes no others over the
// native protocol.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return open(ctx, cfg, false)
}

// ErrNoDatabase is OpenExisting's error for a database that does not exist.
var ErrNoDatabase = errors.New("database does not exist")

// OpenExisting is Open for a reader: it fails with ErrNoDatabase, creating
// nothing, when the URL's database does not exist.
func OpenExisting(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg.mustExist = true
	return open(ctx, cfg, false)
}

// OpenTemp is Open on a fresh database with a unique name (the URL's database
// is ignored), which Close drops: every rule test case gets its own.
func OpenTemp(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var b [8]byte
	rand.Read(b[:])
	cfg.opts.Auth.Database = "homesoc_tmp_" + hex.EncodeToString(b[:])
	return open(ctx, cfg, true)
}

// config is what a URL says.
type config struct {
	opts     *ch.Options
	cluster  string // the cluster the schema spans
	httpPort string // the server's HTTP port, for inserting network events
	// mustExist says to fail with ErrNoDatabase rather than create the
	// database.
	mustExist bool
}

// parseURL splits homesoc's parameters (cluster, http_port) from the
// driver's options.
func parseURL(rawURL string) (config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return config{}, fmt.Errorf("clickhouse url: %w", redact(err))
	}
	if u.Scheme != "clickhouse" {
		return config{}, fmt.Errorf("clickhouse url %q: want clickhouse://host:port/db", u.Redacted())
	}
	shown := u.Redacted()
	q := u.Query()
	cluster, httpPort := q.Get("cluster"), q.Get("http_port")
	q.Del("cluster")
	q.Del("http_port")
	u.RawQuery = q.Encode()
	opts, err := ch.ParseDSN(u.String())
	if err != nil {
		return config{}, fmt.Errorf("clickhouse url %q: %w", shown, err)
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
	}
	if !identifier.MatchString(opts.Auth.Database) {
		return config{}, fmt.Errorf("clickhouse url %q: database %q: want letters, digits and _", shown, opts.Auth.Database)
	}
	if cluster != "" && !identifier.MatchString(cluster) {
		return config{}, fmt.Errorf("clickhouse url %q: cluster %q: want letters, digits and _", shown, cluster)
	}
	return config{opts: opts, cluster: cluster, httpPort: httpPort}, nil
}

// redact drops the URL, which may hold a password, from a url.Parse error.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func open(ctx context.Context, cfg config, temp bool) (*Store, error) {
	opts, cluster := cfg.opts, cfg.cluster
	db := opts.Auth.Database
	if opts.Settings == nil {
		opts.Settings = ch.Settings{}
	}
	if cluster != "" {
		// A write to a Distributed table returns once every shard has its
		// rows, so the next write's dedup check sees them.
		opts.Settings["insert_distributed_sync"] = 1
	}
	var inserter *httpInserter
	if cfg.httpPort != "" {
		settings := url.Values{}
		if cluster != "" {
			settings.Set("insert_distributed_sync", "1")
		}
		var err error
		inserter, err = newHTTPInserter(opts.Addr[0], cfg.httpPort, db, opts.Auth.Username, opts.Auth.Password, settings)
		if err == nil {
			err = inserter.ping(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("clickhouse http interface: %w", err)
		}
	}
	// The database may not exist yet, and a connection to a missing database
	// fails: create it over a connection to the user's default one.
	opts.Auth.Database = ""
	admin, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	l := layout{db: db, cluster: cluster}
	if cfg.mustExist {
		var n uint64
		err = admin.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", db).Scan(&n)
		if err == nil && n == 0 {
			err = ErrNoDatabase
		}
	} else {
		err = admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db+l.onCluster())
	}
	admin.Close()
	if errors.Is(err, ErrNoDatabase) {
		return nil, fmt.Errorf("clickhouse database %s: %w", db, err)
	}
	if err != nil {
		return nil, fmt.Errorf("create database %s: %w", db, err)
	}
	opts.Auth.Database = db
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse database %s: %w", db, err)
	}
	s := &Store{conn: conn, db: db, cluster: cluster, temp: temp, http: inserter}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate clickhouse database %s: %w", db, err)
	}
	return s, nil
}

// DropDatabase drops the database a URL names (on every node of its
// cluster), if it exists: tests that Open a database of their own remove it
// with it.
func DropDatabase(ctx context.Context, rawURL string) error {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	opts, cluster := cfg.opts, cfg.cluster
	db := opts.Auth.Database
	opts.Auth.Database = ""
	conn, err := ch.Open(opts)
	if err != nil {
		return fmt.Errorf("open clickhouse: %w", err)
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+layout{db: db, cluster: cluster}.onCluster()); err != nil {
		return fmt.Errorf("drop database %s: %w", db, err)
	}
	return nil
}

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "clickhouse" }

// Close implements store.Store; a store from OpenTemp drops its database.
func (s *Store) Close() error {
	var err error
	if s.temp {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err = s.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+s.db+s.layout().onCluster()); err != nil {
			err = fmt.Errorf("drop database %s: %w", s.db, err)
		}
	}
	return errors.Join(err, s.conn.Close())
}

// Database returns the name of the store's database.
func (s *Store) Database() string { return s.db }

func (s *Store) layout() layout { return layout{db: s.db, cluster: s.cluster} }

// Counts implements store.Store. Append-only tables are counted as stored,
// which is exact unless a race between processes let a duplicate in that no
// merge has removed yet; indicators and alerts count their latest versions.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(store.Tables))
	for _, t := range store.Tables {
		var n uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = int64(n)
	}
	return out, nil
}

// nextVersion returns a version for a new row of a mutable table: the
// current time in nanoseconds, so the latest write wins across processes
// too, and always above the last one this store gave and above floor.
func (s *Store) nextVersion(floor uint64) uint64 {
	v := max(uint64(time.Now().UnixNano()), s.lastVersion+1, floor+1)
	s.lastVersion = v
	return v
}
