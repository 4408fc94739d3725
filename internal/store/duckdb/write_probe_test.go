package duckdb

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// TEMP probe: cost of INSERT ... SELECT from a temp table by slice size.
func TestProbeInsertSlices(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	ctx := context.Background()
	s := open(t)
	const total = 1_000_000
	if _, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE src AS SELECT * FROM network_events LIMIT 0; ALTER TABLE src ADD COLUMN k INTEGER`); err != nil {
		t.Fatal(err)
	}
	err := s.appendRows(ctx, "temp", "src", func(a *duckdb.Appender) error {
		for i := 0; i < total; i++ {
			ev := netfilterEvent(i)
			if err := a.AppendRow(duckdb.UUID(ev.ID), ev.Time, ev.Time, ev.DurationS,
				ev.Kind, ev.Action, ev.Direction, ev.Protocol,
				addrText(ev.SrcIP), int32(ev.SrcPort), addrText(ev.DstIP), int32(ev.DstPort),
				int64(ev.BytesOut), int64(ev.BytesIn), int64(ev.PacketsOut), int64(ev.PacketsIn),
				int32(ev.TTL), ev.TCPFlags, ev.InIface, ev.OutIface, addrText(ev.NATIP),
				ev.DeviceID, ev.Hostname, ev.UserName, ev.Sensor, ev.Format, ev.Status, ev.Raw, int32(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if q := os.Getenv("BENCH_SQL"); q != "" {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	slice, _ := strconv.Atoi(os.Getenv("PROBE"))
	c0, t0 := cpuTime(), time.Now()
	for lo := 0; lo < total; lo += slice {
		if _, err := s.conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO network_events SELECT * EXCLUDE (k) FROM src WHERE k >= %d AND k < %d`, lo, lo+slice)); err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(t0)
	c1 := cpuTime()
	if _, err := s.conn.ExecContext(ctx, `CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	el2 := time.Since(t0)
	t.Logf("slice %d: %.0f rows/s, cpu %d ns/row; with final checkpoint %.0f rows/s, cpu %d ns/row", slice,
		total/el.Seconds(), (c1-c0).Nanoseconds()/total, total/el2.Seconds(), (cpuTime()-c0).Nanoseconds()/total)
}
