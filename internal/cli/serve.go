package cli

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/api"
	"github.com/homesoc/homesoc/internal/detect"
	"github.com/homesoc/homesoc/internal/feeds"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/retention"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/service"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/store/duckdb"
	"github.com/homesoc/homesoc/internal/store/engine"
)

// Defaults of homesoc serve.
const (
	defaultHTTPAddr   = "127.0.0.1:8478"
	defaultSyslogAddr = "127.0.0.1:5514"
	defaultDetect     = time.Minute
	defaultExposure   = 24 * time.Hour
	tokenFileName     = "api-token"
	// serveStoreMemory is the embedded DuckDB's buffer pool under serve,
	// where writes, rules and API queries share it (80MB, a command's, ran
	// out while a checkpoint met a detection pass). DuckDB holds about as
	// much again outside the pool (vectors, metadata, its allocators'
	// caches), so every megabyte here costs about two of RSS.
	serveStoreMemory = "128MB"
	// serveGoMemory is serve's soft limit of the Go heap (debug.SetMemoryLimit)
	// unless $GOMEMLIMIT sets one: the collector works harder near it
	// rather than let a burst's garbage double the heap.
	serveGoMemory = 128 << 20
	// serveQueue is how much received records (their lines and 256 bytes
	// each) wait to be parsed at most: about 75,000 firewall lines.
	serveQueue = 32 << 20
)

// serveOptions are serve's flags.
type serveOptions struct {
	http, syslogUDP, syslogTCP, syslogTLS string
	tlsCert, tlsKey                       string
	logFormat, logLevel                   string
}

func serveCmd(e *env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [--http ADDR] [--syslog-udp ADDR] [--syslog-tcp ADDR] [--syslog-tls ADDR --tls-cert F --tls-key F]",
		Short: "Run homesoc as a service: syslog, HTTP push, tailed files and flows in; detection, intel feeds and notifications on schedule",
		Long: `Run the same pipeline as the command line, continuously:

  - sources: syslog over UDP and TCP (127.0.0.1:5514 by default) and TLS,
    HTTP push (POST /api/v1/ingest), the files and flow listeners of the
    config's serve section; each record is parsed (its format named per
    listener, or detected per sender), matched against the intel in effect,
    and stored within a fraction of a second;
  - detection: the rules run over new data every minute (serve.detect), and
    the rules that read sightings as soon as new sightings are stored, so
    an indicator contact reaches the notifier in seconds;
  - notifications are routed and delivered as "alerts notify" does; the
    config's feeds are fetched on their schedules; retention runs daily, and
    so does the exposure chain ("exposure run", which scans the suspects'
    routers; serve.exposure: 0s turns it off);
  - the HTTP API on 127.0.0.1:8478, with a bearer token: the config's
    serve.token, else $HOMESOC_TOKEN, else one serve makes and keeps in
    <data>/api-token (mode 0600).

While serve runs it holds the data directory, and the command line's
commands (alerts, ingest, detect, query, ...) run inside it over the API:
the same commands, with the same output.

An address given as "" disables that listener. SIGINT or SIGTERM stops
serve: the listeners stop, every record already received is written, and
the server file <data>/serve.json is removed.`,
		Example: `  homesoc serve
  logger --server 127.0.0.1 --port 5514 --udp "kernel: DROP IN=eth0 SRC=203.0.113.9 DST=192.0.2.1 PROTO=TCP SPT=4444 DPT=22"
  homesoc serve --http 0.0.0.0:8478 --syslog-udp 0.0.0.0:514 --syslog-tcp ""`,
		Annotations: map[string]string{localOnly: "it is the server"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.serve(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.http, "http", defaultHTTPAddr, "the API's address (config serve.http); \"\" disables it, and with it the command line's access")
	f.StringVar(&o.syslogUDP, "syslog-udp", defaultSyslogAddr, "syslog over UDP; \"\" disables it")
	f.StringVar(&o.syslogTCP, "syslog-tcp", defaultSyslogAddr, "syslog over TCP (octet counting or newline framing); \"\" disables it")
	f.StringVar(&o.syslogTLS, "syslog-tls", "", "syslog over TLS (RFC 5425), with --tls-cert and --tls-key")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate of the syslog TLS listener")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of the syslog TLS listener")
	f.StringVar(&o.logFormat, "log-format", "text", "log lines as text or json (log/slog), on stderr")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	_ = cmd.MarkFlagFilename("tls-cert")
	_ = cmd.MarkFlagFilename("tls-key")
	return cmd
}

// serveLogger is serve's structured log on stderr.
func (e *env) serveLogger(o serveOptions) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: one of debug, info, warn, error", o.logLevel)
	}
	ho := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, ho)), nil
	}
	return nil, fmt.Errorf("--log-format %q: text or json", o.logFormat)
}

// server is a running homesoc serve.
type server struct {
	e   *env
	st  store.Store
	log *slog.Logger
	in  *pipeline.Ingester
	sh  *shared

	rules     []*rules.Rule        // the rules the service runs
	iocRules  []*rules.Rule        // those that read sightings: run at once on new ones
	lastRun   map[string]time.Time // under sh.detectMu
	detectAll *service.Loop
	detectIoC *service.Loop
	deliver   *service.Loop
	intelLoop *service.Loop
	exposure  *service.Loop
	retention *service.Loop

	metrics    *serveMetrics
	indicators atomic.Int64 // in the live matcher
	fatal      chan error   // a store error no retry mends: serve stops
	broken     atomic.Pointer[error]
}

// failed reports whether err is one no retry mends (DuckDB invalidated the
// database) and then asks serve to stop.
func (s *server) failed(err error) bool {
	if !duckdb.Invalidated(err) {
		return false
	}
	s.broken.Store(&err)
	select {
	case s.fatal <- err:
	default:
	}
	return true
}

// job is a loop's job whose fatal errors stop serve.
func (s *server) job(fn func(context.Context) (time.Time, error)) func(context.Context) (time.Time, error) {
	return func(ctx context.Context) (time.Time, error) {
		next, err := fn(ctx)
		s.failed(err)
		return next, err
	}
}

// loops are the service's scheduled jobs.
func (s *server) loops() []*service.Loop {
	return []*service.Loop{s.detectAll, s.detectIoC, s.deliver, s.intelLoop, s.exposure, s.retention}
}

// command runs a command line of homesoc inside the service, as a client's
// would run, and logs what it prints.
func (s *server) command(ctx context.Context, args ...string) error {
	if s.e.configFile != "" {
		args = append([]string{"--config", s.e.configFile}, args...)
	}
	var out, errs strings.Builder
	c := newEnv(strings.NewReader(""), &out, &errs)
	c.shared, c.dir = s.sh, s.e.dir
	code := c.main(ctx, args)
	s.log.Info("ran "+strings.Join(args, " "), "exit", code, "output", strings.TrimSpace(out.String()))
	if code != 0 {
		return fmt.Errorf("homesoc %s: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(errs.String()))
	}
	return nil
}

func (e *env) serve(cmd *cobra.Command, o serveOptions) error {
	ctx := cmd.Context()
	log, err := e.serveLogger(o)
	if err != nil {
		return err
	}
	if c := e.cfg.Serve.HTTP; c != nil && !cmd.Flags().Changed("http") {
		o.http = *c
	}
	if si := runningServer(e.dataDir); si != nil && si.PID != os.Getpid() && si.answers() {
		return fmt.Errorf("homesoc serve (pid %d) already serves data directory %s at %s", si.PID, e.dataDir, si.URL)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveGoMemory)
	}
	e.storeMemory = serveStoreMemory
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	token, tokenFrom, err := e.ensureToken()
	if err != nil {
		return err
	}
	// The API's port first: one in use fails before anything runs.
	var ln net.Listener
	if o.http != "" {
		if ln, err = net.Listen("tcp", o.http); err != nil {
			return fmt.Errorf("--http %s: %w", o.http, err)
		}
	}
	s, err := e.newServer(st, log)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	return s.run(ctx, cmd, o, ln, token, tokenFrom)
}

// newServer builds the service's parts on st: the ingester, its matcher,
// the jobs and the feed scheduler; run starts them.
func (e *env) newServer(st store.Store, log *slog.Logger) (*server, error) {
	s := &server{e: e, st: st, log: log, fatal: make(chan error, 1)}
	s.sh = &shared{st: st, dataDir: e.dataDir, store: e.store,
		indicatorsChanged: func() { s.intelLoop.Trigger() }, sightingsAdded: func() { s.detectIoC.Trigger() }}
	if err := s.loadRules(); err != nil {
		return nil, err
	}
	s.metrics = newServeMetrics(s)
	s.in = pipeline.NewIngester(st, pipeline.LiveConfig{Log: log, OnWrite: s.written, Fatal: s.failed, QueueBytes: serveQueue})
	if err := s.refreshMatcher(context.Background()); err != nil {
		return nil, err
	}
	every := cmp.Or(time.Duration(e.cfg.Serve.Detect), defaultDetect)
	s.detectAll = &service.Loop{Name: "detect", Every: every, Log: log,
		Job: s.job(func(ctx context.Context) (time.Time, error) { return time.Time{}, s.detect(ctx, s.dueRules(every)) })}
	s.detectIoC = &service.Loop{Name: "detect-sightings", Log: log,
		Job: s.job(func(ctx context.Context) (time.Time, error) { return time.Time{}, s.detect(ctx, s.iocRules) })}
	s.deliver = &service.Loop{Name: "deliver", Every: 30 * time.Second, Log: log, Job: s.job(s.deliverJob)}
	// The exposure chain, as "homesoc exposure run" (first 10 minutes after
	// the start, not at every restart); serve.exposure: 0s turns it off.
	exposureEvery := defaultExposure
	if p := e.cfg.Serve.Exposure; p != nil {
		exposureEvery = time.Duration(*p)
	}
	s.exposure = &service.Loop{Name: "exposure", Every: exposureEvery, StartAfter: 10 * time.Minute, Log: log,
		Job: s.job(func(ctx context.Context) (time.Time, error) { return time.Time{}, s.command(ctx, "exposure", "run") })}
	// Retention, daily (first 15 minutes after the start).
	s.retention = &service.Loop{Name: "retention", Every: 24 * time.Hour, StartAfter: 15 * time.Minute, Log: log,
		Job: s.job(func(ctx context.Context) (time.Time, error) {
			res, err := retention.Run(ctx, s.st, e.cfg.Retention, time.Now(), false)
			for _, t := range res.Tables {
				if t.Rows > 0 || len(t.Partitions) > 0 {
					log.Info("retention", "table", t.Table, "before", t.Before, "rows", t.Rows, "partitions", t.Partitions)
				}
			}
			return time.Time{}, err
		})}
	// New intel: a new matcher for what comes in, a retro-hunt over what is stored.
	s.intelLoop = &service.Loop{Name: "intel", Log: log, Job: s.job(func(ctx context.Context) (time.Time, error) {
		if err := s.refreshMatcher(ctx); err != nil {
			return time.Time{}, err
		}
		s.detectIoC.Trigger()
		return time.Time{}, nil
	})}
	var err error
	s.sh.feeds, err = feeds.New(st, e.cfg.Feeds, e.dataDir, feeds.SchedulerOptions{Logger: log.With("job", "feeds"),
		OnUpdate: func(r feeds.Result) {
			if r.Changed() {
				s.intelLoop.Trigger()
			}
		}})
	return s, err
}

// run runs the service until ctx ends (or the store fails for good), then
// stops it in order: the server file goes, requests and the commands
// inside end, the sources hand on what they read, the ingester writes all
// it holds, the jobs stop.
func (s *server) run(ctx context.Context, cmd *cobra.Command, o serveOptions, ln net.Listener, token, tokenFrom string) (err error) {
	e, log := s.e, s.log
	// The service's own work outlives the signal: it drains after it.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	ingested := make(chan error, 1)
	go func() { ingested <- s.in.Run(runCtx) }()
	for _, l := range s.loops() {
		wg.Go(func() { l.Run(runCtx) })
	}
	wg.Go(func() { _ = s.sh.feeds.Run(runCtx) })
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		closeErr := s.in.Close(stopCtx)
		stopRun()
		wg.Wait()
		if err := <-ingested; err != nil && closeErr == nil {
			closeErr = err
		}
		if err == nil && closeErr != nil {
			err = fmt.Errorf("stopping: %w", closeErr)
		}
		log.Info("homesoc serve stopped", "stored", s.in.Stats().Tables)
	}()

	srcs, err := s.startSources(ctx, cmd, o)
	if ln != nil && err != nil {
		ln.Close()
	}
	if err != nil {
		return err
	}
	defer srcs.close() // each hands on what it read
	s.metrics.srcs = srcs
	var apiURL string
	if ln != nil {
		apiURL = "http://" + ln.Addr().String()
		defer s.serveHTTP(ln, token)()
		if err := writeServerFile(e.dataDir, serverInfo{PID: os.Getpid(), URL: apiURL, Store: storeText(e.store),
			Syslog: srcs.syslogAddrs(), Flows: srcs.flowAddrs(), Started: time.Now().UTC(), Version: readVersion(ctx).Version}); err != nil {
			return fmt.Errorf("server file: %w", err)
		}
		defer os.Remove(filepath.Join(e.dataDir, serverFileName)) // first: clients wait for the lock, not a server that is going
	}
	log.Info("homesoc serve started", "data", e.dataDir, "store", storeText(e.store), "api", apiURL,
		"token", tokenFrom, "pid", os.Getpid())
	select {
	case <-ctx.Done():
		log.Info("stopping: writing what was received")
		return nil
	case fatal := <-s.fatal:
		log.Error("the store failed for good: stopping, for a restart to open it again", "err", fatal)
		return fmt.Errorf("the store failed: %w; homesoc serve stopped (its unit restarts it; files are read again from their checkpoints)", fatal)
	}
}

// serveHTTP serves the API on ln and returns its stop: requests get 10 s to
// end, then are cancelled, and the commands running inside end before the
// store closes.
func (s *server) serveHTTP(ln net.Listener, token string) (stop func()) {
	httpCtx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{Handler: s.handler(token), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return httpCtx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return func() {
		defer cancel()
		s.sh.stopCommands()
		graceCtx, cancelGrace := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelGrace()
		if err := srv.Shutdown(graceCtx); err != nil {
			s.log.Warn("requests still running after 10s: cancelled", "err", err)
			cancel()
			srv.Close()
		}
		if !s.sh.waitCommands(20 * time.Second) {
			s.log.Warn("commands still running 20s after the stop")
		}
	}
}

// handler is serve's HTTP API.
func (s *server) handler(token string) http.Handler {
	return api.New(api.Options{Store: s.st, Token: token, Log: s.log, Rules: s.e.configRules(),
		Ingest: func(ctx context.Context, source, format string, r io.Reader) (pipeline.Stats, error) {
			return s.in.Ingest(ctx, source, format, r)
		},
		IntelLoaded:   func(context.Context) { s.intelLoop.Trigger() },
		AlertsChanged: func(context.Context, []alert.Alert) { s.deliver.Trigger() }, // it routes, then delivers
		Metrics:       s.metrics.handler(),
		Command:       s.sh.commandHandler(),
		Ready: func() error { // not ready once the store failed for good (serve is stopping)
			if err := s.broken.Load(); err != nil {
				return *err
			}
			return nil
		},
	})
}

// written hears of every stored batch: new sightings call for the rules
// that read them at once.
func (s *server) written(w pipeline.Written) {
	if w.Sightings > 0 {
		s.detectIoC.Trigger()
	}
}

// loadRules loads the rules the service runs: the built-in ones and the
// config's, less those this install cannot run (GeoIP).
func (s *server) loadRules() error {
	rs, probs := loadRules(s.e.cfg.Rules.Dirs)
	for _, p := range probs {
		s.log.Error("rule file not loaded", "problem", p.String())
	}
	rs, skipped, err := s.e.runnable(rs)
	if err != nil {
		return err
	}
	for _, sk := range skipped {
		s.log.Warn("rule not run", "rule", sk.Rule, "why", sk.Skipped)
	}
	s.rules = rs
	for _, r := range rs {
		if readsTable(r.SQL, "sightings") {
			s.iocRules = append(s.iocRules, r)
		}
	}
	return nil
}

// readsTable reports whether a rule's SQL names table.
func readsTable(sql, table string) bool {
	for _, w := range strings.FieldsFunc(sql, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if w == table {
			return true
		}
	}
	return false
}

// refreshMatcher makes the active indicators the live matcher's.
func (s *server) refreshMatcher(ctx context.Context) error {
	inds, err := s.st.Indicators(ctx, true)
	if err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	s.in.SetMatcher(intel.NewMatcher(inds))
	s.indicators.Store(int64(len(inds)))
	s.log.Info("matcher loaded", "indicators", len(inds))
	return nil
}

// dueRules are the rules whose schedule (at least every) has come since
// they last ran.
func (s *server) dueRules(every time.Duration) []*rules.Rule {
	s.sh.detectMu.Lock()
	defer s.sh.detectMu.Unlock()
	now := time.Now()
	var due []*rules.Rule
	for _, r := range s.rules {
		if last, ok := s.lastRun[r.ID]; !ok || now.Sub(last) >= max(r.Schedule, every)-time.Second {
			due = append(due, r)
		}
	}
	return due
}

// detect runs rs over the data new to them (retro-hunting new indicators
// first), and routes what changed.
func (s *server) detect(ctx context.Context, rs []*rules.Rule) error {
	s.sh.detectMu.Lock()
	defer s.sh.detectMu.Unlock()
	if err := s.e.refreshIntervals(ctx, s.st); err != nil {
		return err
	}
	start := time.Now()
	res, err := detect.Run(ctx, s.st, rs, time.Time{})
	if err != nil {
		return err
	}
	if s.lastRun == nil {
		s.lastRun = map[string]time.Time{}
	}
	for _, r := range rs {
		s.lastRun[r.ID] = start
	}
	for _, r := range res.Rules {
		if !r.UpToDate && r.Skipped == "" {
			s.metrics.ruleSeconds.WithLabelValues(r.Rule).Observe(r.ElapsedS)
		}
		if r.Error != "" {
			s.log.Warn("rule failed", "rule", r.Rule, "err", r.Error)
		}
	}
	if res.UpToDate && res.Hunt.Sightings == 0 {
		return nil
	}
	s.log.Info("detect", "rules", len(rs), "opened", res.Opened, "updated", res.Updated, "resolved", res.Resolved,
		"failed", res.Failed, "hunt_sightings", res.Hunt.Sightings, "took", time.Duration(res.ElapsedS*float64(time.Second)))
	if res.Opened+res.Updated+res.Resolved > 0 {
		s.deliver.Trigger() // it routes, then delivers
	}
	return nil
}

// deliverJob routes and delivers what is due, as alerts notify does, and
// says when to come back.
func (s *server) deliverJob(ctx context.Context) (time.Time, error) {
	s.sh.deliverMu.Lock()
	defer s.sh.deliverMu.Unlock()
	run, err := s.e.deliver(ctx, s.st, 0, false)
	if err != nil {
		return time.Time{}, err
	}
	if d := run.Delivery; d.Delivered+d.Retried+d.Dead > 0 {
		s.log.Info("notifications", "delivered", d.Delivered, "retried", d.Retried, "dead", d.Dead, "pending", d.Pending)
	}
	next := run.Delivery.NextAttempt
	if run.NextDue != nil {
		next = earliest(next, *run.NextDue)
	}
	return next, nil
}

// apiToken is the API's bearer token: the config's serve.token, else
// $HOMESOC_TOKEN, else the one serve keeps in the data directory.
func (e *env) apiToken() (string, error) {
	t, _, err := e.token(false)
	return t, err
}

// ensureToken is apiToken, making and keeping a token when there is none;
// it also says where the token comes from.
func (e *env) ensureToken() (token, from string, err error) { return e.token(true) }

func (e *env) token(create bool) (token, from string, err error) {
	if t := e.cfg.Serve.Token.Reveal(); t != "" {
		return t, "the config's serve.token", nil
	}
	if t := os.Getenv("HOMESOC_TOKEN"); t != "" {
		return t, "$HOMESOC_TOKEN", nil
	}
	name := filepath.Join(e.dataDir, tokenFileName)
	b, err := os.ReadFile(name)
	switch {
	case err == nil && len(strings.TrimSpace(string(b))) > 0:
		return strings.TrimSpace(string(b)), name, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", "", err
	case !create:
		return "", "", fmt.Errorf("no token: %s does not exist", name)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token = hex.EncodeToString(raw)
	if err := os.MkdirAll(e.dataDir, 0o750); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(name, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("keep the API token: %w", err)
	}
	return token, name + " (new)", nil
}

// storeText is the store's URL with its secrets masked.
func storeText(u string) string {
	return engine.Redacted(u)
}
