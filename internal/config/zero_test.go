package config

import "testing"

// TestExplicitZeroTimer: group_wait: 0s is kept (send at once), and a child
// that leaves it out inherits the 0s; a route that leaves it out takes
// its parent's.
func TestExplicitZeroTimer(t *testing.T) {
	c, err := Parse("z.yaml", []byte(`route:
  receiver: r
  routes:
    - receiver: r
      group_wait: 0s
      routes:
        - receiver: r
    - receiver: r
receivers:
  - name: r
    jsonl_configs: [{path: /tmp/x.jsonl}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	top := c.Route
	got := []Duration{top.GroupWait, top.Routes[0].GroupWait, top.Routes[0].Routes[0].GroupWait, top.Routes[1].GroupWait}
	want := []Duration{DefaultGroupWait, 0, 0, DefaultGroupWait}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group_wait of route %d = %s, want %s", i, got[i], want[i])
		}
	}
	if !top.Routes[0].Sets("group_wait") || top.Routes[1].Sets("group_wait") {
		t.Errorf("Sets(group_wait) = %v, %v, want true, false", top.Routes[0].Sets("group_wait"), top.Routes[1].Sets("group_wait"))
	}
}
