package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func exampleEnv(name string) (string, bool) {
	v, ok := ExampleEnv()[name]
	return v, ok
}

// yamlPaths lists the key paths of every field of t, e.g. "route.routes".
func yamlPaths(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		p := prefix + tag
		if out[p] {
			continue // a recursive type (route.routes) is walked once
		}
		out[p] = true
		if p == "route.routes" {
			continue
		}
		yamlPaths(f.Type, p+".", out)
	}
}

// nodePaths lists the key paths present in n; routes' keys count as the
// top route's.
func nodePaths(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			nodePaths(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := prefix + n.Content[i].Value
			out[p] = true
			next := p + "."
			if p == "route.routes" || strings.HasPrefix(p, "route.routes.") && strings.HasSuffix(p, ".routes") {
				next = "route."
			}
			if strings.HasSuffix(p, ".headers") {
				continue // names of headers, not keys of ours
			}
			nodePaths(n.Content[i+1], next, out)
		}
	}
}

func TestExampleHoldsEveryKey(t *testing.T) {
	want := map[string]bool{}
	yamlPaths(reflect.TypeOf(Config{}), "", want)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(Example()), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	nodePaths(&doc, "", got)
	for p := range want {
		if !got[p] {
			t.Errorf("config example lacks %s", p)
		}
	}
	for p := range got {
		if !want[p] {
			t.Errorf("config example has %s, which Config lacks", p)
		}
	}
	if len(want) < 40 {
		t.Errorf("only %d keys found by reflection", len(want))
	}
}

func TestExampleParses(t *testing.T) {
	c, err := Parse("homesoc.yaml", []byte(Example()), exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.URL != "duckdb" || len(c.Rules.Dirs) != 0 || len(c.GeoIP.Databases) != 0 ||
		time.Duration(c.VPN.MaxSession) != 24*time.Hour || time.Duration(c.Exposure.Expires) != 30*24*time.Hour {
		t.Errorf("parsed %+v", c)
	}
	r := c.Route
	if r.Receiver != "jsonl" || r.GroupWait != DefaultGroupWait || r.GroupInterval != DefaultGroupInterval || r.RepeatInterval != DefaultRepeatInterval {
		t.Errorf("top route %+v", r)
	}
	r2, r3 := r.Routes[1], r.Routes[1].Routes[0]
	if time.Duration(r2.GroupWait) != time.Minute || time.Duration(r3.GroupWait) != time.Minute ||
		r3.RepeatInterval != DefaultRepeatInterval || !slices.Equal(r3.GroupBy, []string{"rule", "device"}) || r3.Receiver != "anna-mail" {
		t.Errorf("inherited timers: route 2 %+v, route 3 %+v", r2, r3)
	}
	if got := r2.Matchers[0].String(); got != `rule=~"exposure|port-.*|inbound-.*"` {
		t.Errorf("matcher %s", got)
	}
	if !r2.Matchers[0].Matches("port-open") || r2.Matchers[0].Matches("xport-open") || !r3.Matchers[1].Matches("d1") || r3.Matchers[1].Matches("") {
		t.Error("matchers match wrongly")
	}
	if got := c.Receivers[1].PagerDutyConfigs[0].RoutingKey.Reveal(); got != "R0UT1NGKEY0123456789" {
		t.Errorf("routing key %q", got)
	}
	if got := c.Receivers[2].WebhookConfigs[0].Headers["Authorization"].Reveal(); got != "Bearer bearer-token-value" {
		t.Errorf("header %q", got)
	}
	if c.Route.Routes[0].Line() != 73 || c.Receivers[1].Line() != 98 {
		t.Errorf("lines: route 1 at %d, receiver 2 at %d", c.Route.Routes[0].Line(), c.Receivers[1].Line())
	}
}

// TestSecretsNeverPrinted prints the parsed example every way a program
// might, and looks for every secret's value in it.
func TestSecretsNeverPrinted(t *testing.T) {
	c, err := Parse("homesoc.yaml", []byte(Example()), exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	j := buf.String()
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := j + string(y) + fmt.Sprintf("%v %+v %#v", c.Receivers, c.Receivers, c.Receivers)
	for name, v := range ExampleEnv() {
		for _, part := range []string{v, "SECRET", "WEBHOOKTOKEN", "bearer-token"} {
			if strings.Contains(out, part) {
				t.Errorf("$%s's value shows in output (%q)", name, part)
			}
		}
	}
	if n := strings.Count(j, `"<secret>"`); n != 7 {
		t.Errorf("JSON holds %d <secret>, want 7:\n%s", n, j)
	}
	if !strings.Contains(j, `"group_wait_s":30`) || !strings.Contains(j, `"url":"https://events.pagerduty.com/v2/enqueue"`) {
		t.Errorf("JSON:\n%s", j)
	}
	st := StoreURL("clickhouse://homesoc:pa55word@127.0.0.1:9000/soc")
	if got := fmt.Sprint(st); got != "clickhouse://homesoc:<secret>@127.0.0.1:9000/soc" {
		t.Errorf("store URL prints as %s", got)
	}
}

func TestSecretInLogs(t *testing.T) {
	var b strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&b, nil), slog.NewJSONHandler(&b, nil)} {
		slog.New(h).Info("send", "key", Secret("pd-key-value"), "url", SecretURL{Secret("https://x.example/tok-value")},
			"store", StoreURL("clickhouse://u:pw-value@127.0.0.1:9000/db"))
	}
	out := b.String()
	if strings.Contains(out, "-value") || strings.Count(out, "<secret>") != 6 {
		t.Errorf("log:\n%s", out)
	}
}
