package dispatch

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/route"
)

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

var integrations = map[string][]string{
	"soc":   {"soc/jsonl/0", "soc/webhook/0"},
	"pager": {"pager/pagerduty/0"},
}

func testTree(t testing.TB) *route.Tree {
	t.Helper()
	data, err := os.ReadFile("testdata/route.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("route.yaml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := route.New(c.Route, c.Receivers)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// mk is an alert of rule with one group label host=id.
func mk(id, rule, severity, status string, count int64, lastSeen time.Duration) alert.Alert {
	return alert.Alert{ID: id, RuleID: rule, Title: rule + " on " + id, Severity: severity, Status: status,
		Group: map[string]string{"host": id}, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(lastSeen), Count: count,
		Events: count, Detail: map[string]string{"host": id}, History: []alert.Transition{}}
}

// with is a with status and a history entry moving it there.
func with(a alert.Alert, status string, at time.Duration) alert.Alert {
	a.History = append(append([]alert.Transition{}, a.History...),
		alert.Transition{State: status, Author: "anna", At: t0.Add(at), Comment: "c", By: alert.ByOperator})
	a.Status = status
	return a
}

// summarize is the plan as tests compare it: one line per notification,
// "INTEGRATION KEY STATUS: ID CHANGE, ...".
func summarize(p Plan) []string {
	out := []string{}
	for _, n := range p.Notifications {
		var as []string
		for _, a := range n.Message.Alerts {
			as = append(as, a.ID+" "+a.Change)
		}
		out = append(out, fmt.Sprintf("%s %s %s: %s", n.Integration, n.GroupKey, n.Message.Status, strings.Join(as, ", ")))
	}
	return out
}

// merge is the notification log after saving p.Groups.
func merge(log []notify.GroupState, p Plan) []notify.GroupState {
	byKey := map[string]notify.GroupState{}
	for _, s := range log {
		byKey[s.Key] = s
	}
	for _, s := range p.Groups {
		byKey[s.Key] = s
	}
	out := make([]notify.GroupState, 0, len(byKey))
	for _, s := range byKey {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func eqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
