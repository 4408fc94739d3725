package duckdb

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// TEMP probe: where the time of one batch goes.
func TestProbePhases(t *testing.T) {
	if os.Getenv("PHASES") == "" {
		t.Skip()
	}
	ctx := context.Background()
	s := open(t)
	if q := os.Getenv("BENCH_SQL"); q != "" {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	batch, _ := strconv.Atoi(os.Getenv("PHASES"))
	evs := make([]event.Network, batch)
	var dDedup, dIns, dCommit, cDedup, cIns, cCommit time.Duration
	for i := 0; i < 1_000_000/batch; i++ {
		for j := range evs {
			evs[j] = netfilterEvent(i*batch + j)
		}
		c0, t0 := cpuTime(), time.Now()
		fresh := make(map[event.ID]struct{}, len(evs))
		lo, hi := evs[0].Time, evs[0].Time
		for i := range evs {
			fresh[evs[i].ID] = struct{}{}
			lo, hi = minTime(lo, evs[i].Time), maxTime(hi, evs[i].Time)
		}
		if err := s.dropStored(ctx, fresh, lo, hi); err != nil {
			t.Fatal(err)
		}
		b := &networkBatch{evs: evs, rows: make([]int32, 0, len(fresh))}
		for i := range evs {
			if _, ok := fresh[evs[i].ID]; ok {
				delete(fresh, evs[i].ID)
				b.rows = append(b.rows, int32(i))
			}
		}
		c1, t1 := cpuTime(), time.Now()
		if _, err := s.conn.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.insertNetwork(ctx, b); err != nil {
			t.Fatal(err)
		}
		c2, t2 := cpuTime(), time.Now()
		if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
		c3, t3 := cpuTime(), time.Now()
		dDedup += t1.Sub(t0)
		dIns += t2.Sub(t1)
		dCommit += t3.Sub(t2)
		cDedup += c1 - c0
		cIns += c2 - c1
		cCommit += c3 - c2
	}
	c0, t0 := cpuTime(), time.Now()
	if _, err := s.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	dCk, cCk := time.Since(t0), cpuTime()-c0
	per := func(d time.Duration) int64 { return d.Nanoseconds() / 1_000_000 }
	t.Logf("ns/event wall(cpu): dedup %d(%d) insert %d(%d) commit %d(%d) final checkpoint %d(%d) => total %d ns/event = %.0f events/s",
		per(dDedup), per(cDedup), per(dIns), per(cIns), per(dCommit), per(cCommit), per(dCk), per(cCk),
		per(dDedup+dIns+dCommit+dCk), 1e9/float64(per(dDedup+dIns+dCommit+dCk)))
}
