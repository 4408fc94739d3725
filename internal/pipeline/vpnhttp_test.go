package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/parse"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// vpnProxyParser is a small ExtraParser for the tests, giving records of
// both issue 10 tables and no network events: lines
//
//	vpn SECONDS KIND USER ADDR   a VPN fact (remote address for start/end, pool address for assign)
//	http SECONDS SRC HOST        a proxy request, with its Raw left to the pipeline
//	both SECONDS USER ADDR SRC   a start and a request from one line
//	-- ...                       skipped
type vpnProxyParser struct{ extra event.Extra }

func (p *vpnProxyParser) Extra() *event.Extra { return &p.extra }

func (p *vpnProxyParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	f := strings.Fields(string(line))
	if len(f) == 0 || f[0] == "--" {
		return fmt.Errorf("comment: %w", parse.ErrSkip)
	}
	if len(f) < 4 {
		return errors.New("short line")
	}
	var sec int64
	if _, err := fmt.Sscan(f[1], &sec); err != nil {
		return fmt.Errorf("bad time %q", f[1])
	}
	t := time.Unix(sec, 0).UTC()
	addr := func(s string) (netip.Addr, error) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return a, fmt.Errorf("bad address %q", s)
		}
		return a, nil
	}
	vpn := func(kind, user, s string) error {
		a, err := addr(s)
		if err != nil {
			return err
		}
		v := event.VPNSession{ID: event.NewID("test-vpnproxy", fmt.Appendf(nil, "%s vpn", line)), Time: t,
			Kind: kind, User: user, Sensor: "gw", Format: "test-vpnproxy", Raw: string(line)}
		if kind == event.VPNAssign {
			v.AssignedIP = a
		} else {
			v.RemoteIP = a
		}
		p.extra.VPNSessions = append(p.extra.VPNSessions, v)
		return nil
	}
	request := func(src, host string) error {
		a, err := addr(src)
		if err != nil {
			return err
		}
		p.extra.HTTP = append(p.extra.HTTP, event.HTTP{ID: event.NewID("test-vpnproxy", fmt.Appendf(nil, "%s http", line)),
			Time: t, SrcIP: a, Method: "GET", Host: host, Status: 200, Format: "test-vpnproxy"})
		return nil
	}
	var err error
	switch {
	case f[0] == "vpn" && len(f) == 5:
		err = vpn(f[2], f[3], f[4])
	case f[0] == "http" && len(f) == 4:
		err = request(f[2], f[3])
	case f[0] == "both" && len(f) == 5:
		if err = vpn(event.VPNStart, f[2], f[3]); err == nil {
			err = request(f[4], "example.com")
		}
	default:
		err = errors.New("unknown record")
	}
	if err != nil {
		return err
	}
	return parse.ErrExtraOnly
}

func init() {
	parse.Register(parse.Format{Name: "test-vpnproxy", Description: "pipeline tests' VPN and proxy records",
		New:   func(parse.Options) parse.Parser { return &vpnProxyParser{} },
		Sniff: func([]byte) bool { return false }})
}

const vpnProxyLog = `-- gateway export
vpn 1775491529 start alice 81.2.69.142
vpn 1775491530 assign alice 10.8.0.2
http 1775491531 10.8.0.2 example.org
vpn 1775491530 assign alice 10.8.0.2
both 1775491532 bob 2a00:1450:4001:81b::200e 10.8.0.3
http 1775491533 nowhere example.net
vpn 1775491534 end alice 81.2.69.142
`

// TestRunVPNAndHTTP: VPN facts and proxy requests an ExtraParser gives are
// stored in vpn_sessions and http_events, counted per table and
// deduplicated; a line may give records of both; Raw defaults to the line.
func TestRunVPNAndHTTP(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, size := range []int{1, 1000} { // a batch a record, and one batch
		t.Run(fmt.Sprint("batch ", size), func(t *testing.T) {
			for _, tb := range []string{"vpn_sessions", "http_events"} {
				if _, err := st.Query(ctx, "DELETE FROM "+tb); err != nil {
					t.Fatal(err)
				}
			}
			cfg := pipeline.Config{Format: "test-vpnproxy", BatchSize: size}
			got, err := pipeline.Run(ctx, st, pipeline.Source{Name: "gw.log", R: strings.NewReader(vpnProxyLog)}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got.Seconds, got.FirstRejects = 0, nil
			want := pipeline.Stats{Format: "test-vpnproxy", Read: 8, Stored: 6, Duplicates: 1, Skipped: 1, Rejected: 1,
				Tables: map[string]pipeline.TableStats{
					"vpn_sessions": {Stored: 4, Duplicates: 1},
					"http_events":  {Stored: 2},
				},
				SkipReasons: []pipeline.SkipReason{{Reason: "comment", Lines: 1}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("first run:\n got %+v\nwant %+v", got, want)
			}
			res, err := st.Query(ctx, `SELECT kind, user_name, remote_ip, remote_scope, assigned_ip, assigned_scope, raw
				FROM vpn_sessions ORDER BY time`)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(res.Rows), "[[start alice 81.2.69.142 global   vpn 1775491529 start alice 81.2.69.142] "+
				"[assign alice   10.8.0.2 private vpn 1775491530 assign alice 10.8.0.2] "+
				"[start bob 2a00:1450:4001:81b::200e global   both 1775491532 bob 2a00:1450:4001:81b::200e 10.8.0.3] "+
				"[end alice 81.2.69.142 global   vpn 1775491534 end alice 81.2.69.142]]"; got != want {
				t.Errorf("vpn_sessions:\n got %s\nwant %s", got, want)
			}
			res, err = st.Query(ctx, `SELECT src_ip, src_scope, host, status, raw FROM http_events ORDER BY time`)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(res.Rows), "[[10.8.0.2 private example.org 200 http 1775491531 10.8.0.2 example.org] "+
				"[10.8.0.3 private example.com 200 both 1775491532 bob 2a00:1450:4001:81b::200e 10.8.0.3]]"; got != want {
				t.Errorf("http_events:\n got %s\nwant %s", got, want)
			}

			again, err := pipeline.Run(ctx, st, pipeline.Source{Name: "gw.log", R: strings.NewReader(vpnProxyLog)}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if again.Stored != 0 || again.Duplicates != 7 || again.Tables["vpn_sessions"] != (pipeline.TableStats{Duplicates: 5}) ||
				again.Tables["http_events"] != (pipeline.TableStats{Duplicates: 2}) {
				t.Errorf("re-ingest: %+v", again)
			}
		})
	}
}
