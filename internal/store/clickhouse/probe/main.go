package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func main() {
	ctx := context.Background()
	opts, err := clickhouse.ParseDSN("clickhouse://default:@127.0.0.1:29000/default")
	if err != nil {
		panic(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		panic(err)
	}
	if err := conn.Ping(ctx); err != nil {
		panic(err)
	}
	v, err := conn.ServerVersion()
	fmt.Println(v, err)
	rows, err := conn.Query(ctx, "SELECT id, v, t, u, count() AS c, toInt64(1) AS i, uniqExact(id) AS ue FROM t1.a GROUP BY id, v, t, u")
	if err != nil {
		panic(err)
	}
	for _, ct := range rows.ColumnTypes() {
		fmt.Println(ct.Name(), ct.DatabaseTypeName(), ct.ScanType())
	}
	for rows.Next() {
		vals := make([]any, len(rows.ColumnTypes()))
		for i, ct := range rows.ColumnTypes() {
			_ = ct
			vals[i] = new(any)
		}
		_ = vals
	}
	rows.Close()
	if err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS t1.b (id String, t DateTime('UTC'), u UUID, n Int32) ENGINE = MergeTree ORDER BY id"); err != nil {
		panic(err)
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO t1.b (id, t, u, n)")
	if err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		if err := b.Append(fmt.Sprint("x", i), time.Now(), "24d3191c-f792-ff18-7806-a45702a4c37a", int32(i)); err != nil {
			panic(err)
		}
	}
	if err := b.Send(); err != nil {
		panic(err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM t1.b").Scan(&n); err != nil {
		panic(err)
	}
	fmt.Println("count", n)
}
