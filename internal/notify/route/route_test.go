package route

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/config"
)

func load(t *testing.T, file string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(file, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tree(t *testing.T) *Tree {
	t.Helper()
	c := load(t, "testdata/tree.yaml")
	tr, err := New(c.Route, c.Receivers)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// summary is a node as the tests compare it.
func summary(n *Node) string {
	g := strings.Join(n.GroupBy, ",")
	if n.GroupAll {
		g = "..."
	}
	return n.Name + " " + n.Receiver + " [" + g + "] " + n.GroupWait.String() + " " + n.GroupInterval.String() + " " + n.RepeatInterval.String()
}

func TestInheritanceAndNumbering(t *testing.T) {
	tr := tree(t)
	var got []string
	for _, n := range tr.Nodes() {
		got = append(got, summary(n))
	}
	want := []string{
		"top route default [rule] 10s 5m0s 4h0m0s",
		"route 1 pager [rule] 0s 5m0s 4h0m0s", // group_wait: 0s is kept, not taken as left out
		"route 2 tickets [device_id,target] 0s 5m0s 24h0m0s",
		"route 3 team-chat [...] 10s 5m0s 4h0m0s",
		"route 4 team-chat [...] 10s 1m0s 4h0m0s",
		"route 5 team-chat [rule] 10s 5m0s 4h0m0s",
	}
	if !slices.Equal(got, want) {
		t.Errorf("nodes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if l := tr.Nodes()[2].Line; l != 11 {
		t.Errorf("route 2 line %d, want 11", l)
	}
}

func TestMatch(t *testing.T) {
	tr := tree(t)
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"nothing matches: the top route", map[string]string{"rule": "ioc-contact", "severity": "medium"}, []string{"top route"}},
		{"no labels at all", map[string]string{}, []string{"top route"}},
		{"critical: route 1 continues to route 5", map[string]string{"rule": "ioc-contact", "severity": "critical"}, []string{"route 1", "route 5"}},
		{"critical exposure: nested route 2, then route 5", map[string]string{"rule": "exposure", "severity": "critical"}, []string{"route 2", "route 5"}},
		{"critical vpn: route 1 continues, route 3 stops (no continue)", map[string]string{"rule": "vpn-unusual-hours", "severity": "critical"}, []string{"route 1", "route 3"}},
		{"vpn of anna: the nested route 4", map[string]string{"rule": "vpn-impossible-travel", "severity": "high", "user": "anna"}, []string{"route 4"}},
		{"high: first match route 5", map[string]string{"rule": "port-scan-burst", "severity": "high"}, []string{"route 5"}},
		{"regex anchored: xvpn- is not vpn-", map[string]string{"rule": "xvpn-a", "severity": "low"}, []string{"top route"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, n := range tr.Match(tc.labels) {
				got = append(got, n.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNilRoute(t *testing.T) {
	tr, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ns := tr.Match(map[string]string{"rule": "x"})
	if len(ns) != 1 || summary(ns[0]) != "top route jsonl [] 30s 5m0s 4h0m0s" {
		t.Errorf("nil route: %v", ns)
	}
}

// TestNumberingAsConfig checks that New names routes as config's own
// messages do: the same undefined receiver gives the same route name.
func TestNumberingAsConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/tree.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// route 4 (under route 3) gets a receiver of its own, undefined.
	bad := strings.Replace(string(data), "group_interval: 1m", "group_interval: 1m\n          receiver: nobody", 1)
	_, cerr := config.Parse("homesoc.yaml", []byte(bad), nil)
	if cerr == nil || !strings.Contains(cerr.Error(), `undefined receiver "nobody" used in route 4`) {
		t.Fatalf("config says %v", cerr)
	}
	c := load(t, "testdata/tree.yaml")
	c.Route.Routes[1].Routes[0].Receiver = "nobody"
	_, err = New(c.Route, c.Receivers)
	if err == nil || err.Error() != `undefined receiver "nobody" used in route 4` {
		t.Errorf("New says %v", err)
	}
	c.Route.Routes[1].Routes[0].Receiver = ""
	c.Route.Receiver = ""
	if _, err := New(c.Route, c.Receivers); err == nil || err.Error() != "the top route has no receiver: every alert needs one" {
		t.Errorf("New without a top receiver says %v", err)
	}
}

func TestGroup(t *testing.T) {
	labels := map[string]string{"rule": "vpn-x", "severity": "high", "status": "open", "user": "anna", "host": "10.0.0.5"}
	tests := []struct {
		node  Node
		key   string
		group map[string]string
	}{
		{Node{Name: "route 2", Receiver: "team-chat", GroupBy: []string{"rule", "user"}},
			`route 2/team-chat/{rule="vpn-x",user="anna"}`, map[string]string{"rule": "vpn-x", "user": "anna"}},
		{Node{Name: "route 2", Receiver: "team-chat", GroupBy: []string{"device", "rule"}}, // device missing: left out
			`route 2/team-chat/{rule="vpn-x"}`, map[string]string{"rule": "vpn-x"}},
		{Node{Name: "top route", Receiver: "jsonl"}, `top route/jsonl/{}`, map[string]string{}},
		{Node{Name: "route 1", Receiver: "r", GroupAll: true}, // every label but status
			`route 1/r/{host="10.0.0.5",rule="vpn-x",severity="high",user="anna"}`,
			map[string]string{"host": "10.0.0.5", "rule": "vpn-x", "severity": "high", "user": "anna"}},
	}
	for _, tc := range tests {
		key, g := tc.node.Group(labels)
		if key != tc.key {
			t.Errorf("key %s, want %s", key, tc.key)
		}
		if !mapsEqual(g, tc.group) {
			t.Errorf("%s: group %v, want %v", key, g, tc.group)
		}
	}
	// A quote in a value is escaped, so keys stay unambiguous.
	n := Node{Name: "route 1", Receiver: "r", GroupBy: []string{"user"}}
	if key, _ := n.Group(map[string]string{"user": `a",b="c`}); key != `route 1/r/{user="a\",b=\"c"}` {
		t.Errorf("escaped key %s", key)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
