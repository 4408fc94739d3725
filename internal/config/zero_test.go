package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

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

// TestZeroIntervalRefused: group_interval and repeat_interval of 0s would
// send a group at every run, so they are errors at their route's line (as
// Alertmanager refuses them); group_wait: 0s is fine.
func TestZeroIntervalRefused(t *testing.T) {
	_, err := Parse("z.yaml", []byte(`route:
  receiver: r
  group_wait: 0s
  routes:
    - receiver: r
      repeat_interval: 0s
    - receiver: r
      group_interval: 0s
receivers:
  - name: r
    jsonl_configs: [{path: /tmp/x.jsonl}]
`), nil)
	want := "z.yaml:5: repeat_interval in route 1 must be above 0 (0s would send the group at every run)\n" +
		"z.yaml:7: group_interval in route 2 must be above 0 (0s would send the group at every run)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want\n%s", err, want)
	}
}

// TestURLPasswordMasked: a URL's basic-auth password never prints.
func TestURLPasswordMasked(t *testing.T) {
	u := URL("http://admin:hunter2pw@127.0.0.1:9093/")
	b, _ := json.Marshal(struct{ U URL }{u})
	y, _ := yaml.Marshal(struct{ U URL }{u})
	for _, got := range []string{u.String(), fmt.Sprint(u), string(b), string(y)} {
		if strings.Contains(got, "hunter2pw") || !strings.Contains(got, "@127.0.0.1:9093") {
			t.Errorf("printed %s", got)
		}
	}
	if got := u.String(); got != "http://admin:<secret>@127.0.0.1:9093/" {
		t.Errorf("String() = %s", got)
	}
	if got := URL("https://soc.example.org/").String(); got != "https://soc.example.org/" {
		t.Errorf("a URL without a password printed as %s", got)
	}
}
