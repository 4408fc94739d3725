package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/homesoc/homesoc/internal/notify"
)

// serveMetrics are serve's Prometheus metrics: the counters its parts
// keep, read at each scrape, and the rules' durations.
type serveMetrics struct {
	s    *server
	srcs *sources
	reg  *prometheus.Registry

	ruleSeconds *prometheus.HistogramVec

	mu    sync.Mutex
	descs map[string]*prometheus.Desc
}

func newServeMetrics(s *server) *serveMetrics {
	m := &serveMetrics{s: s, reg: prometheus.NewRegistry(), descs: map[string]*prometheus.Desc{},
		ruleSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "homesoc_rule_duration_seconds",
			Help:    "How long a detection rule took to evaluate and upsert its alerts.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"rule"})}
	m.reg.MustRegister(m, m.ruleSeconds, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves /metrics.
func (m *serveMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Describe sends nothing: the metrics are read at each scrape (an
// unchecked collector).
func (m *serveMetrics) Describe(chan<- *prometheus.Desc) {}

// emit sends one sample of metric name with the label pairs kv.
func (m *serveMetrics) emit(ch chan<- prometheus.Metric, name, help string, t prometheus.ValueType, v float64, kv ...string) {
	var names, values []string
	for i := 0; i+1 < len(kv); i += 2 {
		names, values = append(names, kv[i]), append(values, kv[i+1])
	}
	m.mu.Lock()
	d := m.descs[name]
	if d == nil {
		d = prometheus.NewDesc(name, help, names, nil)
		m.descs[name] = d
	}
	m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(d, t, v, values...)
}

// Collect reads every part's counters.
func (m *serveMetrics) Collect(ch chan<- prometheus.Metric) {
	const (
		counter = prometheus.CounterValue
		gauge   = prometheus.GaugeValue
	)
	st := m.s.in.Stats()
	for k, c := range st.Sources {
		kv := []string{"source", k.Kind, "format", k.Format}
		m.emit(ch, "homesoc_events_received_total", "Records received, by kind of source and format.", counter, float64(c.Read), kv...)
		m.emit(ch, "homesoc_events_skipped_total", "Well-formed records with nothing to store.", counter, float64(c.Skipped), kv...)
		m.emit(ch, "homesoc_events_rejected_total", "Records that could not be parsed (kept in rejects).", counter, float64(c.Rejected), kv...)
	}
	for table, t := range st.Tables {
		m.emit(ch, "homesoc_records_stored_total", "New records stored, by table.", counter, float64(t.Stored), "table", table)
		m.emit(ch, "homesoc_records_duplicate_total", "Records already stored (same event id), by table.", counter, float64(t.Duplicates), "table", table)
	}
	m.emit(ch, "homesoc_sightings_total", "Indicator sightings found at ingest.", counter, float64(st.Sightings))
	m.emit(ch, "homesoc_ingest_queue_records", "Records waiting to be parsed.", gauge, float64(st.Queued))
	m.emit(ch, "homesoc_ingest_queue_capacity_bytes", "What the ingest queue holds at most: lines and 256 bytes a record.", gauge, float64(st.QueueCap))
	m.emit(ch, "homesoc_ingest_batches_total", "Batches written to the store.", counter, float64(st.Batches))
	m.emit(ch, "homesoc_ingest_write_errors_total", "Failed batch writes (retried).", counter, float64(st.WriteErrors))
	m.emit(ch, "homesoc_ingest_write_seconds_total", "Time spent writing batches.", counter, st.WriteSeconds)
	if !st.LastWrite.IsZero() {
		m.emit(ch, "homesoc_ingest_last_write_timestamp_seconds", "When a batch was last written.", gauge, float64(st.LastWrite.UnixNano())/1e9)
	}
	m.emit(ch, "homesoc_matcher_indicators", "Active indicators the live matcher holds.", gauge, float64(m.s.indicators.Load()))

	if m.srcs != nil {
		for _, l := range m.srcs.syslog {
			s, kv := l.Stats(), []string{"listener", l.URL()}
			m.emit(ch, "homesoc_syslog_messages_total", "Syslog messages handed to the pipeline (rejected ones included; dropped ones are homesoc_syslog_dropped_total).", counter, float64(s.Messages), kv...)
			m.emit(ch, "homesoc_syslog_received_bytes_total", "Bytes received, framing included.", counter, float64(s.Bytes), kv...)
			m.emit(ch, "homesoc_syslog_framing_errors_total", "Frames handed on as rejects (bad octet counts, cut frames, oversized messages).", counter, float64(s.FramingErrors), kv...)
			m.emit(ch, "homesoc_syslog_dropped_total", "Messages lost: UDP messages the full queue had no room for.", counter, float64(s.Dropped), kv...)
			m.emit(ch, "homesoc_syslog_connections", "Open TCP/TLS connections.", gauge, float64(s.Connections), kv...)
			m.emit(ch, "homesoc_syslog_connections_accepted_total", "TCP/TLS connections accepted.", counter, float64(s.Accepted), kv...)
			m.emit(ch, "homesoc_syslog_connections_refused_total", "TCP/TLS connections closed at once (too many).", counter, float64(s.Refused), kv...)
			m.emit(ch, "homesoc_syslog_tls_errors_total", "Failed TLS handshakes.", counter, float64(s.TLSErrors), kv...)
		}
		for _, l := range m.srcs.flows {
			s, kv := l.Stats(), []string{"listener", l.Addr().String()}
			m.emit(ch, "homesoc_flow_datagrams_total", "Flow export datagrams read.", counter, float64(s.Datagrams), kv...)
			m.emit(ch, "homesoc_flow_records_total", "Flow records decoded.", counter, float64(s.Records), kv...)
			m.emit(ch, "homesoc_flow_skipped_total", "Records with nothing to store (options data, sFlow counters).", counter, float64(s.Skipped), kv...)
			m.emit(ch, "homesoc_flow_decode_errors_total", "Datagrams that could not be decoded (kept as rejects).", counter, float64(s.DecodeErrors), kv...)
			m.emit(ch, "homesoc_flow_template_misses_total", "Data sets that came before their template.", counter, float64(s.TemplateMisses), kv...)
			m.emit(ch, "homesoc_flow_no_template_drops_total", "Data sets whose template never came in time: lost.", counter, float64(s.NoTemplateDrops), kv...)
			m.emit(ch, "homesoc_flow_dropped_total", "Records the full queue had no room for.", counter, float64(s.Dropped), kv...)
			m.emit(ch, "homesoc_flow_exporters", "Exporters heard from.", gauge, float64(len(s.Exporters)), kv...)
		}
		for i, t := range m.srcs.tailers {
			s, kv := t.Stats(), []string{"files", fmt.Sprintf("%d:%s", i+1, strings.Join(m.s.e.cfg.Serve.Files[i].Paths, ","))}
			m.emit(ch, "homesoc_tail_lines_total", "Lines read from tailed files.", counter, float64(s.Lines), kv...)
			m.emit(ch, "homesoc_tail_read_bytes_total", "Bytes read from tailed files.", counter, float64(s.Bytes), kv...)
			m.emit(ch, "homesoc_tail_files_open", "Files followed now.", gauge, float64(s.FilesOpen), kv...)
			m.emit(ch, "homesoc_tail_rotations_total", "Renames, replacements, deletions and truncations seen.", counter, float64(s.Rotations), kv...)
			m.emit(ch, "homesoc_tail_failed_batches_total", "Batches the store could not take (read again).", counter, float64(s.Failed), kv...)
			m.emit(ch, "homesoc_tail_lag_bytes", "Bytes of the files beyond their checkpoints.", gauge, float64(s.LagBytes), kv...)
		}
	}

	for _, l := range m.s.loops() {
		s, kv := l.Status(), []string{"job", l.Name}
		m.emit(ch, "homesoc_job_runs_total", "Runs of a scheduled job.", counter, float64(s.Runs), kv...)
		m.emit(ch, "homesoc_job_failures_total", "Failed runs of a scheduled job.", counter, float64(s.Failures), kv...)
		if !s.LastRun.IsZero() {
			m.emit(ch, "homesoc_job_last_run_timestamp_seconds", "When a job last ran.", gauge, float64(s.LastRun.UnixNano())/1e9, kv...)
			m.emit(ch, "homesoc_job_last_duration_seconds", "How long a job's last run took.", gauge, s.LastDuration.Seconds(), kv...)
		}
	}

	for _, f := range m.s.sh.feeds.Status() {
		kv := []string{"feed", f.Name}
		if f.AgeS >= 0 {
			m.emit(ch, "homesoc_feed_age_seconds", "Seconds since a feed was last fetched and loaded.", gauge, f.AgeS, kv...)
		}
		m.emit(ch, "homesoc_feed_indicators", "A feed's active indicators after its last load.", gauge, float64(f.Active), kv...)
		m.emit(ch, "homesoc_feed_failures", "A feed's failed fetches since its last success.", gauge, float64(f.Failures), kv...)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := m.s.st.NotificationCounts(ctx); err == nil {
		for _, state := range []string{notify.StatePending, notify.StateDelivered, notify.StateDead} { // zeros too
			m.emit(ch, "homesoc_notifications", "Notifications in the outbox, by state.", gauge, float64(counts[state]), "state", state)
		}
	}
}
