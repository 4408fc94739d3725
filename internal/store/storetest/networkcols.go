package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// ColumnsEvent is event i with every column of migration 2 set (the rule,
// ICMP type and code, MACs, IP ID, TCP window, packet length, flow uid and
// service), some varying between events and some not.
func ColumnsEvent(i int) event.Network {
	ev := MixedEvent(i)
	ev.Raw = fmt.Sprintf("columns %d", i)
	ev.ID = event.NewID("columns", []byte(ev.Raw))
	ev.RuleName = fmt.Sprintf("WAN_IN-%d", 10+i%2)
	ev.Protocol, ev.ICMPType, ev.ICMPCode = "ipv6-icmp", uint8(128+i), uint8(i%2)
	ev.SrcMAC, ev.DstMAC = fmt.Sprintf("52:54:00:aa:bb:%02x", i), "33:33:00:00:00:01"
	ev.IPID, ev.TCPWindow, ev.PacketLen = 54321, uint16(65535-i), uint32(1<<31+i)
	ev.FlowUID, ev.Service = fmt.Sprintf("CHhAvVGS1DHFjwGM%d", i), "ssl,http"
	return ev
}

// testWriteNetworkColumns round-trips the columns migration 2 added, in a
// batch where some vary and in batches of one, where every column is
// constant.
func testWriteNetworkColumns(t *testing.T, s store.Store) {
	ctx := context.Background()
	batch := []event.Network{ColumnsEvent(0), ColumnsEvent(1), ColumnsEvent(2)}
	if n, err := s.WriteNetwork(ctx, batch); err != nil || n != len(batch) {
		t.Fatalf("stored %d, %v", n, err)
	}
	if n, err := s.WriteNetwork(ctx, []event.Network{ColumnsEvent(3)}); err != nil || n != 1 {
		t.Fatalf("stored %d, %v", n, err)
	}
	for i := range 4 {
		e := ColumnsEvent(i)
		CheckStored(t, s, e)
		res, err := s.Query(ctx, fmt.Sprintf(`SELECT rule_name, icmp_type, icmp_code, src_mac, dst_mac,
			ip_id, tcp_window, packet_len, flow_uid, service FROM network_events WHERE raw = '%s'`, e.Raw))
		if err != nil {
			t.Fatal(err)
		}
		want := []any{e.RuleName, int32(e.ICMPType), int32(e.ICMPCode), e.SrcMAC, e.DstMAC,
			int32(e.IPID), int32(e.TCPWindow), int64(e.PacketLen), e.FlowUID, e.Service}
		if got, want := fmt.Sprintf("%#v", res.Rows), fmt.Sprintf("%#v", [][]any{want}); got != want {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
	// Rule tests' fixtures may name them, as YAML types the values.
	if err := s.LoadRows(ctx, "network_events", []map[string]any{{"time": T0, "raw": "fixture",
		"rule_name": "WAN_LOCAL-2000", "icmp_type": 8, "icmp_code": 0, "src_mac": "52:54:00:aa:bb:cc",
		"ip_id": 54321, "tcp_window": 1024, "packet_len": 40, "flow_uid": "Cx", "service": "dns"}}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT rule_name, icmp_type, icmp_code, src_mac, dst_mac, ip_id, tcp_window, packet_len,
		flow_uid, service FROM network_events WHERE raw = 'fixture'`); got != "[[WAN_LOCAL-2000 8 0 52:54:00:aa:bb:cc  54321 1024 40 Cx dns]]" {
		t.Errorf("fixture: got %s", got)
	}
	// An event that sets none of them reads back zero values.
	if got := query(t, s, `SELECT rule_name, icmp_type, src_mac, ip_id, packet_len, flow_uid, service
		FROM network_events WHERE raw = 'line 7'`); got != "[]" {
		t.Fatalf("unexpected row %s", got)
	}
	if _, err := s.WriteNetwork(ctx, []event.Network{TestEvent(7)}); err != nil {
		t.Fatal(err)
	}
	if got := query(t, s, `SELECT rule_name, icmp_type, src_mac, ip_id, packet_len, flow_uid, service
		FROM network_events WHERE raw = 'line 7'`); got != "[[ 0  0 0  ]]" {
		t.Errorf("defaults: got %s", got)
	}
}
