// Command loadgen feeds homesoc serve for the service benchmarks
// (bench/serve.sh): unique netfilter lines, each its own event id, over
// syslog TCP (newline framing or octet counting), syslog UDP (a datagram a
// line) or HTTP push (POST /api/v1/ingest, gzip'd batches), at a target rate
// (a token bucket; 0: as fast as it can) for -n lines or -duration. It
// prints one JSON object: sent, elapsed, the achieved rate.
//
// With -ioc it sends instead -samples lines, one every -every, each from
// its own internal source address to the indicator, over TCP, and polls the
// JSONL notifications file -notifications for each source: the latency
// from send to notification of each sample, p50, p99 and max.
//
// It talks to loopback addresses only.
//
//	loadgen -mode tcp -addr 127.0.0.1:5514 -n 2000000
//	loadgen -mode udp -addr 127.0.0.1:5514 -rate 100000 -duration 10s
//	loadgen -mode http -url http://127.0.0.1:8478 -token T -batch 10000 -n 1000000
//	loadgen -mode tcp -addr 127.0.0.1:5514 -ioc 198.51.100.77 -samples 100 -every 500ms -notifications out.jsonl
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// options are loadgen's flags.
type options struct {
	mode, addr, url, token, format string
	rate                           float64
	n                              int64
	duration                       time.Duration
	batch, workers                 int
	start                          int64
	ioc, notifications             string
	samples                        int
	every, wait                    time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "tcp", "tcp (newline framing), tcp-octet (octet counting), udp or http")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:5514", "syslog address (tcp, tcp-octet, udp, and -ioc): loopback only")
	flag.StringVar(&o.url, "url", "", "serve's base URL (http): loopback only")
	flag.StringVar(&o.token, "token", "", "the API's bearer token (http)")
	flag.StringVar(&o.format, "format", "netfilter", "the ?format= of HTTP push")
	flag.Float64Var(&o.rate, "rate", 0, "lines a second; 0: as fast as possible")
	flag.Int64Var(&o.n, "n", 0, "lines to send (0: until -duration)")
	flag.DurationVar(&o.duration, "duration", 0, "how long to send (0: until -n lines)")
	flag.IntVar(&o.batch, "batch", 10_000, "lines per HTTP request")
	flag.IntVar(&o.workers, "workers", 2, "concurrent HTTP requests")
	flag.Int64Var(&o.start, "start", 0, "first sequence number (lines of one run differ from another's by the stamp and a random nonce too)")
	flag.StringVar(&o.ioc, "ioc", "", "indicator IP: send IoC samples and measure the latency to their notifications")
	flag.IntVar(&o.samples, "samples", 100, "IoC samples")
	flag.DurationVar(&o.every, "every", 500*time.Millisecond, "time between IoC samples")
	flag.StringVar(&o.notifications, "notifications", "", "the JSONL notifications file to poll (-ioc)")
	flag.DurationVar(&o.wait, "wait", 10*time.Second, "how long after the last IoC sample to wait for notifications")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o)
	if res != nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	}
	if errors.Is(err, errNoEndpoint) {
		log.Printf("loadgen: %v", err)
		os.Exit(3)
	}
	if err != nil {
		log.Fatalf("loadgen: %v", err)
	}
}

// errNoEndpoint: the server has no POST /api/v1/ingest (404).
var errNoEndpoint = errors.New("POST /api/v1/ingest: 404: this serve has no HTTP push")

// result is what loadgen prints.
type result struct {
	Mode      string  `json:"mode"`
	Sent      int64   `json:"sent"`
	Target    float64 `json:"target_rate,omitempty"`
	ElapsedS  float64 `json:"elapsed_s"`
	Rate      float64 `json:"rate"`
	FirstSend float64 `json:"first_send_unix"`
	LastSend  float64 `json:"last_send_unix"`
	Error     string  `json:"error,omitempty"`

	// HTTP push: what the server answered, summed.
	Requests int64            `json:"requests,omitempty"`
	Replies  map[string]int64 `json:"replies,omitempty"`

	// IoC samples.
	Samples  int       `json:"samples,omitempty"`
	Seen     int       `json:"seen,omitempty"`
	P50ms    float64   `json:"p50_ms,omitempty"`
	P99ms    float64   `json:"p99_ms,omitempty"`
	MaxMs    float64   `json:"max_ms,omitempty"`
	Latency  []float64 `json:"latency_ms,omitempty"`
	Missing  []string  `json:"missing,omitempty"`
	Indicate string    `json:"indicator,omitempty"`
}

func run(ctx context.Context, o options) (*result, error) {
	if o.ioc != "" {
		if err := loopbackHostPort(o.addr); err != nil {
			return nil, err
		}
		return runIoC(ctx, o)
	}
	if o.n <= 0 && o.duration <= 0 {
		return nil, errors.New("give -n or -duration")
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	g := newGen(o.start)
	p := &pacer{rate: o.rate, limit: o.n}
	var err error
	res := &result{Mode: o.mode, Target: o.rate}
	switch o.mode {
	case "tcp", "tcp-octet":
		if err := loopbackHostPort(o.addr); err != nil {
			return nil, err
		}
		err = sendTCP(ctx, o, g, p)
	case "udp":
		if err := loopbackHostPort(o.addr); err != nil {
			return nil, err
		}
		err = sendUDP(ctx, o, g, p)
	case "http":
		err = sendHTTP(ctx, o, g, p, res)
	default:
		return nil, fmt.Errorf("-mode %q: tcp, tcp-octet, udp or http", o.mode)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = nil
	}
	res.Sent = p.sent.Load()
	if !p.first.IsZero() {
		res.FirstSend = unix(p.first)
		res.LastSend = unix(p.last)
		res.ElapsedS = p.last.Sub(p.first).Seconds()
		if res.ElapsedS > 0 {
			res.Rate = float64(res.Sent) / res.ElapsedS
		}
	}
	if err != nil {
		res.Error = err.Error()
	}
	return res, err
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// loopbackHostPort refuses an address that is not a loopback IP.
func loopbackHostPort(hp string) error {
	host, _, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("address %q: %w", hp, err)
	}
	return loopbackHost(host)
}

func loopbackHost(host string) error {
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: loopback IPs only (127.0.0.0/8, ::1)", host)
	}
	return nil
}

// pacer is the token bucket: due says how many lines may go now.
type pacer struct {
	rate        float64
	limit       int64 // 0: none
	mu          sync.Mutex
	start       time.Time
	taken       int64 // lines handed out
	sent        atomic.Int64
	first, last time.Time
}

// take returns how many lines (at most most) the sender may send now,
// sleeping until at least one is due; 0 when -n lines were handed out or
// ctx ended.
func (p *pacer) take(ctx context.Context, most int64) int64 {
	for {
		if ctx.Err() != nil {
			return 0
		}
		p.mu.Lock()
		now := time.Now()
		if p.start.IsZero() {
			p.start = now
		}
		n := most
		if p.limit > 0 {
			n = min(n, p.limit-p.taken)
		}
		if p.rate > 0 {
			due := int64(now.Sub(p.start).Seconds()*p.rate) + 1 - p.taken
			n = min(n, due)
		}
		if n > 0 || (p.limit > 0 && p.taken >= p.limit) {
			n = max(n, 0)
			p.taken += n
			p.mu.Unlock()
			return n
		}
		wait := time.Duration(float64(time.Second) * float64(-n+1) / p.rate)
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(min(max(wait, 200*time.Microsecond), 10*time.Millisecond)):
		}
	}
}

// done counts n lines sent.
func (p *pacer) done(n int64) {
	now := time.Now()
	p.mu.Lock()
	if p.first.IsZero() {
		p.first = now
	}
	p.last = now
	p.mu.Unlock()
	p.sent.Add(n)
}

// chunk bounds the lines sent between two looks at the clock: 1 ms worth
// at the target rate, at least 1, at most 1,000.
func chunk(rate float64) int64 {
	if rate <= 0 {
		return 1000
	}
	return min(max(int64(rate/1000), 1), 1000)
}

// gen makes unique netfilter lines: the sequence number is in the source
// address, the IP ID and the source port; the stamp is the send time (UTC,
// to the second) and a random nonce picks the TTL and the length, so two
// runs' lines differ too.
type gen struct {
	seq   int64
	nonce uint32
	sec   int64
	stamp []byte
}

func newGen(start int64) *gen { return &gen{seq: start, nonce: rand.Uint32()} }

// appendLine appends the next line (no line end) to dst, with a syslog PRI
// when pri.
func (g *gen) appendLine(dst []byte, now time.Time, pri bool) []byte {
	if s := now.Unix(); s != g.sec || g.stamp == nil {
		g.sec, g.stamp = s, now.UTC().AppendFormat(g.stamp[:0], "2006-01-02T15:04:05Z")
	}
	seq := g.seq
	g.seq++
	if pri {
		dst = append(dst, "<4>"...)
	}
	dst = append(dst, g.stamp...)
	dst = append(dst, " router kernel: DROP IN=ppp0 OUT= MAC= SRC=45."...)
	dst = strconv.AppendInt(dst, seq>>16&255, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, seq>>8&255, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, seq&255, 10)
	dst = append(dst, " DST=203.0.113.7 LEN="...)
	dst = strconv.AppendInt(dst, int64(40+g.nonce%1400), 10)
	dst = append(dst, " TOS=0x00 PREC=0x00 TTL="...)
	dst = strconv.AppendInt(dst, int64(1+g.nonce/1400%254), 10)
	dst = append(dst, " ID="...)
	dst = strconv.AppendInt(dst, seq&0xffff, 10)
	dst = append(dst, " PROTO=TCP SPT="...)
	dst = strconv.AppendInt(dst, 1024+seq>>24%60000, 10)
	dst = append(dst, " DPT="...)
	dst = strconv.AppendInt(dst, []int64{22, 23, 80, 443, 445, 3389, 8080}[seq%7], 10)
	dst = append(dst, " WINDOW=1024 RES=0x00 SYN URGP=0"...)
	return dst
}

// sendTCP sends over one TCP connection, newline framed or octet counted.
func sendTCP(ctx context.Context, o options, g *gen, p *pacer) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", o.addr)
	if err != nil {
		return fmt.Errorf("syslog tcp %s: %w", o.addr, err)
	}
	defer conn.Close()
	// A server that stopped reading would hold the last flush for ever:
	// once ctx ends, writes get 5 s.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second)) })
	defer stop()
	w := bufio.NewWriterSize(conn, 256<<10)
	var line []byte
	var pending int64 // lines in w, not yet flushed
	for {
		n := p.take(ctx, chunk(o.rate))
		if n == 0 {
			break
		}
		for range n {
			line = g.appendLine(line[:0], time.Now(), true)
			if o.mode == "tcp-octet" {
				_, _ = w.WriteString(strconv.Itoa(len(line)))
				_ = w.WriteByte(' ')
				_, _ = w.Write(line)
			} else {
				_, _ = w.Write(line)
				_ = w.WriteByte('\n')
			}
		}
		pending += n
		if o.rate > 0 || w.Buffered() > 192<<10 {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("syslog tcp %s: write: %w", o.addr, err)
			}
			p.done(pending)
			pending = 0
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("syslog tcp %s: write: %w", o.addr, err)
	}
	p.done(pending)
	return nil
}

// sendUDP sends a datagram a line.
func sendUDP(ctx context.Context, o options, g *gen, p *pacer) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", o.addr)
	if err != nil {
		return fmt.Errorf("syslog udp %s: %w", o.addr, err)
	}
	defer conn.Close()
	var line []byte
	for {
		n := p.take(ctx, chunk(o.rate))
		if n == 0 {
			return nil
		}
		var sent int64
		for range n {
			line = g.appendLine(line[:0], time.Now(), true)
			if _, err := conn.Write(line); err != nil {
				// ECONNREFUSED from an earlier datagram's ICMP: not this one's fault.
				var errno syscall.Errno
				if errors.As(err, &errno) && errno == syscall.ECONNREFUSED {
					continue
				}
				p.done(sent)
				return fmt.Errorf("syslog udp %s: write: %w", o.addr, err)
			}
			sent++
		}
		p.done(sent)
	}
}

// sendHTTP posts gzip'd batches of -batch lines with -workers requests in
// flight.
func sendHTTP(ctx context.Context, o options, g *gen, p *pacer, res *result) error {
	u, err := url.Parse(o.url)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("-url %q: http://LOOPBACK:PORT", o.url)
	}
	if err := loopbackHost(u.Hostname()); err != nil {
		return err
	}
	endpoint := o.url + "/api/v1/ingest?format=" + url.QueryEscape(o.format)
	client := &http.Client{Timeout: 60 * time.Second}
	var (
		mu       sync.Mutex // g, res.Replies, firstErr
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	res.Replies = map[string]int64{}
	for range max(o.workers, 1) {
		wg.Go(func() {
			var body bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&body, gzip.BestSpeed)
			var line []byte
			for {
				n := int64(0)
				body.Reset()
				zw.Reset(&body)
				for n < int64(o.batch) {
					k := p.take(ctx, min(int64(o.batch)-n, chunk(o.rate)*10))
					if k == 0 {
						break
					}
					mu.Lock()
					for range k {
						line = g.appendLine(line[:0], time.Now(), false)
						line = append(line, '\n')
						_, _ = zw.Write(line)
					}
					mu.Unlock()
					n += k
				}
				if n == 0 {
					return
				}
				_ = zw.Close()
				if err := postBatch(context.WithoutCancel(ctx), client, endpoint, o.token, body.Bytes(), res, &mu); err != nil {
					fail(err)
					return
				}
				p.done(n)
			}
		})
	}
	wg.Wait()
	return firstErr
}

// postBatch posts one gzip'd body and adds the reply's numbers to res.
func postBatch(ctx context.Context, client *http.Client, endpoint, token string, body []byte, res *result, mu *sync.Mutex) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errNoEndpoint
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("POST %s: %s: %.300s", endpoint, resp.Status, reply)
	}
	var nums map[string]any
	_ = json.Unmarshal(reply, &nums)
	mu.Lock()
	defer mu.Unlock()
	res.Requests++
	for k, v := range nums {
		if f, ok := v.(float64); ok {
			res.Replies[k] += int64(f)
		}
	}
	return nil
}

// runIoC sends the IoC samples over TCP and waits for their notifications.
func runIoC(ctx context.Context, o options) (*result, error) {
	ind, err := netip.ParseAddr(o.ioc)
	if err != nil {
		return nil, fmt.Errorf("-ioc %q: an IP address: %w", o.ioc, err)
	}
	if o.notifications == "" {
		return nil, errors.New("-ioc needs -notifications FILE (the jsonl receiver's path)")
	}
	if o.samples < 1 || o.samples > 60_000 {
		return nil, errors.New("-samples: 1 to 60000")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("syslog tcp %s: %w", o.addr, err)
	}
	defer conn.Close()

	type sample struct {
		src        string
		sent, seen time.Time
	}
	samples := make([]sample, o.samples)
	bySrc := map[string]int{}
	for i := range samples {
		samples[i].src = fmt.Sprintf("192.168.%d.%d", 1+i/250, 1+i%250)
		bySrc[samples[i].src] = i
	}
	var mu sync.Mutex
	pollDone := make(chan struct{})
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	go func() {
		defer close(pollDone)
		pollNotifications(pollCtx, o.notifications, func(src string, at time.Time) {
			mu.Lock()
			defer mu.Unlock()
			if i, ok := bySrc[src]; ok && samples[i].seen.IsZero() && !samples[i].sent.IsZero() {
				samples[i].seen = at
			}
		})
	}()

	tick := time.NewTicker(o.every)
	defer tick.Stop()
	for i := range samples {
		now := time.Now()
		line := fmt.Sprintf("<4>%s router kernel: DROP IN=br0 OUT=ppp0 MAC= SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=%d DF PROTO=TCP SPT=%d DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0\n",
			now.UTC().Format("2006-01-02T15:04:05Z"), samples[i].src, ind, i, 40000+i)
		mu.Lock()
		samples[i].sent = now
		mu.Unlock()
		if _, err := io.WriteString(conn, line); err != nil {
			return nil, fmt.Errorf("syslog tcp %s: write: %w", o.addr, err)
		}
		if i < len(samples)-1 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-tick.C:
			}
		}
	}
	last := time.Now()
	for time.Since(last) < o.wait {
		mu.Lock()
		all := !slices.ContainsFunc(samples, func(s sample) bool { return s.seen.IsZero() })
		mu.Unlock()
		if all || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopPoll()
	<-pollDone

	res := &result{Mode: "ioc", Indicate: o.ioc, Samples: len(samples), Sent: int64(len(samples))}
	res.FirstSend, res.LastSend = unix(samples[0].sent), unix(last)
	var lat []float64
	for _, s := range samples {
		if s.seen.IsZero() {
			res.Missing = append(res.Missing, s.src)
			continue
		}
		lat = append(lat, float64(s.seen.Sub(s.sent).Microseconds())/1000)
	}
	res.Seen = len(lat)
	res.Latency = slices.Clone(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50ms, res.P99ms, res.MaxMs = percentile(lat, 50), percentile(lat, 99), lat[len(lat)-1]
	}
	return res, nil
}

// percentile is the nearest-rank percentile of sorted xs.
func percentile(xs []float64, p float64) float64 {
	i := int(float64(len(xs))*p/100+0.999999) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// pollNotifications reads file as it grows, every 10 ms, and calls seen
// with each internal (192.168.0.0/16) address a new line names.
func pollNotifications(ctx context.Context, file string, seen func(src string, at time.Time)) {
	var off int64
	var partial []byte
	for ctx.Err() == nil {
		if f, err := os.Open(file); err == nil {
			if _, err := f.Seek(off, io.SeekStart); err == nil {
				b, _ := io.ReadAll(f)
				now := time.Now()
				off += int64(len(b))
				partial = append(partial, b...)
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					for _, a := range internalAddrs(partial[:i]) {
						seen(a, now)
					}
					partial = partial[i+1:]
				}
			}
			f.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// internalAddrs are the 192.168.x.y addresses in b, whole (not a prefix
// of a longer one).
func internalAddrs(b []byte) []string {
	var out []string
	for {
		i := bytes.Index(b, []byte("192.168."))
		if i < 0 {
			return out
		}
		if i > 0 && (isDigit(b[i-1]) || b[i-1] == '.') {
			b = b[i+8:]
			continue
		}
		j := i + 8
		for j < len(b) && (isDigit(b[j]) || b[j] == '.') {
			j++
		}
		if a, err := netip.ParseAddr(strings.TrimRight(string(b[i:j]), ".")); err == nil {
			out = append(out, a.String())
		}
		b = b[j:]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
