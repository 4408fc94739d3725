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

// edrParser is a small ExtraParser for the tests: lines
//
//	conn SECONDS DEVICE SRC DST  a connection, and the device's interface address SRC
//	state SECONDS DEVICE ADDR    an interface address only
//	bad-state SECONDS DEVICE     rejected after filling Extra: nothing of it is stored
//	# ...                        skipped
type edrParser struct{ extra event.Extra }

func (p *edrParser) Extra() *event.Extra { return &p.extra }

func (p *edrParser) Parse(line []byte, ev *event.Network) error {
	*ev = event.Network{}
	p.extra.Reset()
	f := strings.Fields(string(line))
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return parse.ErrSkip
	}
	if len(f) < 3 {
		return errors.New("short line")
	}
	var sec int64
	if _, err := fmt.Sscan(f[1], &sec); err != nil {
		return fmt.Errorf("bad time %q", f[1])
	}
	t := time.Unix(sec, 0).UTC()
	state := func(addr string) error {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return fmt.Errorf("bad address %q", addr)
		}
		p.extra.Endpoints = append(p.extra.Endpoints, event.EndpointState{
			ID: event.NewID("test-edr", fmt.Appendf(nil, "%s %s", line, addr)), Time: t, DeviceID: f[2],
			Kind: event.StateInterface, Address: a, Sensor: "test", Format: "test-edr"})
		return nil
	}
	switch {
	case f[0] == "conn" && len(f) == 5:
		if err := state(f[3]); err != nil {
			return err
		}
		*ev = event.Network{ID: event.NewID("test-edr", line), Time: t, Kind: event.KindEndpoint,
			DeviceID: f[2], SrcIP: netip.MustParseAddr(f[3]), DstIP: netip.MustParseAddr(f[4]), Format: "test-edr"}
		return nil
	case f[0] == "state" && len(f) == 4:
		if err := state(f[3]); err != nil {
			return err
		}
		return parse.ErrExtraOnly
	case f[0] == "bad-state":
		_ = state("10.0.0.1")
		return errors.New("bad state record")
	}
	return errors.New("unknown record")
}

func init() {
	parse.Register(parse.Format{Name: "test-edr", Description: "pipeline tests' EDR records",
		New:   func(parse.Options) parse.Parser { return &edrParser{} },
		Sniff: func([]byte) bool { return false }})
}

const edrLog = `# export
conn 1775491529 aid-1 192.168.1.10 198.51.100.7
state 1775491530 aid-1 81.2.69.142
state 1775491531 aid-2 2a00:1450:4001:81b::200e
bad-state 1775491532 aid-3
state 1775491530 aid-1 81.2.69.142
conn 1775491533 aid-2 10.0.0.5 198.51.100.8
state 1775491534 aid-2 not-an-address
`

// TestRunExtraParser: records an ExtraParser gives for other tables are
// stored beside the events, counted per table, deduplicated like events;
// an ErrExtraOnly line is neither skipped nor rejected, and a rejected line
// stores nothing of what it put in Extra.
func TestRunExtraParser(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, size := range []int{2, 1000} { // batches filled by states, and one batch
		t.Run(fmt.Sprint("batch ", size), func(t *testing.T) {
			if _, err := st.Query(ctx, "DELETE FROM endpoint_states"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Query(ctx, "DELETE FROM network_events"); err != nil {
				t.Fatal(err)
			}
			cfg := pipeline.Config{Format: "test-edr", BatchSize: size}
			got, err := pipeline.Run(ctx, st, pipeline.Source{Name: "edr.log", R: strings.NewReader(edrLog)}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got.Seconds, got.FirstRejects = 0, nil
			want := pipeline.Stats{Format: "test-edr", Read: 8, Stored: 6, Duplicates: 1, Skipped: 1, Rejected: 2,
				Tables: map[string]pipeline.TableStats{
					"network_events":  {Stored: 2},
					"endpoint_states": {Stored: 4, Duplicates: 1},
				},
				SkipReasons: []pipeline.SkipReason{{Reason: pipeline.SkipReasonPlain, Lines: 1}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("first run:\n got %+v\nwant %+v", got, want)
			}
			res, err := st.Query(ctx, `SELECT device_id, address, address_scope, raw FROM endpoint_states ORDER BY time, address`)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(res.Rows), "[[aid-1 192.168.1.10 private conn 1775491529 aid-1 192.168.1.10 198.51.100.7] "+
				"[aid-1 81.2.69.142 global state 1775491530 aid-1 81.2.69.142] "+
				"[aid-2 2a00:1450:4001:81b::200e global state 1775491531 aid-2 2a00:1450:4001:81b::200e] "+
				"[aid-2 10.0.0.5 private conn 1775491533 aid-2 10.0.0.5 198.51.100.8]]"; got != want {
				t.Errorf("endpoint_states:\n got %s\nwant %s", got, want)
			}

			again, err := pipeline.Run(ctx, st, pipeline.Source{Name: "edr.log", R: strings.NewReader(edrLog)}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if again.Stored != 0 || again.Duplicates != 7 || again.Tables["endpoint_states"] != (pipeline.TableStats{Duplicates: 5}) {
				t.Errorf("re-ingest: %+v", again)
			}
		})
	}
}
