package view

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/exposure"
	"github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/silence"
	"github.com/homesoc/homesoc/internal/store"
)

func testAlert(id, rule string) alert.Alert {
	return alert.Alert{ID: id, RuleID: rule, Title: "t", Severity: "high", Group: map[string]string{"host": "192.0.2.7"},
		FirstSeen: testNow, LastSeen: testNow, Detail: map[string]string{}, Status: alert.StatusOpen, UpdatedAt: testNow}
}

func testSilence(t *testing.T, id string, start, end time.Time, matchers ...string) silence.Silence {
	t.Helper()
	ms, err := silence.ParseMatchers(matchers)
	if err != nil {
		t.Fatal(err)
	}
	return silence.Silence{ID: id, Matchers: ms, Author: "anna", Comment: "c", StartsAt: start, EndsAt: end, CreatedAt: start}
}

// TestFindAlert: a whole id or a prefix only one alert has, in any case
// and with spaces; none matches store.ErrNotFound, several ErrAmbiguous,
// each with the text the CLI prints.
func TestFindAlert(t *testing.T) {
	as := []alert.Alert{testAlert("abc1", "r"), testAlert("abc2", "r"), testAlert("abc", "r"), testAlert("def0", "r")}
	for id, want := range map[string]string{"abc": "abc", "ABC1": "abc1", " def ": "def0", "d": "def0", "abc2": "abc2"} {
		if a, err := FindAlert(as, id); err != nil || a.ID != want {
			t.Errorf("FindAlert(%q) = %q, %v; want %q", id, a.ID, err, want)
		}
	}
	_, err := FindAlert(as, "ab")
	if !errors.Is(err, ErrAmbiguous) || errors.Is(err, store.ErrNotFound) ||
		err.Error() != `id prefix "ab" matches 3 alerts: abc1, abc2, abc; give more of the id` {
		t.Errorf("ab: %v", err)
	}
	for _, id := range []string{"ffff", "", "abc12"} {
		_, err := FindAlert(as, id)
		if !errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrAmbiguous) || err.Error() != `no alert with id "`+id+`" (homesoc alerts list shows them)` {
			t.Errorf("%q: %v", id, err)
		}
	}
	if _, err := FindAlert(nil, "abc"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no alerts: %v", err)
	}
}

// TestList: each alert with the ids of the silences active now that match
// its labels (its rule's tags among them), [] for none, in JSON beside the
// alert's own keys.
func TestList(t *testing.T) {
	as := []alert.Alert{testAlert("a1", "port-scan"), testAlert("a2", "ioc-contact")}
	ss := []silence.Silence{
		testSilence(t, "s-rule", testNow.Add(-time.Hour), testNow.Add(time.Hour), "rule=port-scan"),
		testSilence(t, "s-tag", testNow.Add(-time.Hour), testNow.Add(time.Hour), `tags=~".*intel.*"`),
		testSilence(t, "s-later", testNow.Add(time.Minute), testNow.Add(time.Hour), "host=192.0.2.7"),
		testSilence(t, "s-over", testNow.Add(-time.Hour), testNow, "host=192.0.2.7"),
	}
	list := List(as, map[string][]string{"ioc-contact": {"intel", "c2"}}, ss, testNow)
	if len(list) != 2 || !slices.Equal(list[0].Silenced, []string{"s-rule"}) || !slices.Equal(list[1].Silenced, []string{"s-tag"}) {
		t.Errorf("%+v", list)
	}
	list = List(as, nil, ss, testNow) // without tags the tag silence matches nothing
	b, _ := json.Marshal(list[1])
	if !strings.Contains(string(b), `"rule":"ioc-contact"`) || !strings.HasSuffix(string(b), `,"silenced":[]}`) {
		t.Errorf("JSON: %s", b)
	}
}

// TestShow: the rule's text from rs (trimmed), an exposure ticket's own,
// none for an unknown rule; the silences active now that match, whole.
func TestShow(t *testing.T) {
	rs := []*rules.Rule{{ID: "port-scan", Description: "\n  Scans.\n", Runbook: " Block it. "}}
	ss := []silence.Silence{
		testSilence(t, "s1", testNow.Add(-time.Hour), testNow.Add(time.Hour), "host=192.0.2.7"),
		testSilence(t, "s2", testNow.Add(-time.Hour), testNow.Add(time.Hour), "rule=other"),
	}
	v := Show(testAlert("a1", "port-scan"), rs, nil, ss, testNow)
	if v.Description != "Scans." || v.Runbook != "Block it." || len(v.Silenced) != 1 || v.Silenced[0].ID != "s1" || v.ID != "a1" {
		t.Errorf("%+v", v)
	}
	v = Show(testAlert("a2", exposure.TicketRule), rs, nil, nil, testNow)
	if v.Description != exposure.TicketDescription || v.Runbook != exposure.TicketRunbook {
		t.Errorf("ticket: %+v", v)
	}
	v = Show(testAlert("a3", "gone"), rs, nil, ss[1:], testNow)
	b, _ := json.Marshal(v)
	if v.Description != "" || !strings.HasSuffix(string(b), `,"description":"","runbook":"","silenced":[]}`) {
		t.Errorf("unknown rule: %s", b)
	}
}

// TestMoved: a move that changed the alert shows it as moved; one that did
// not, as it was.
func TestMoved(t *testing.T) {
	a := testAlert("a1", "r")
	b := a
	b.Status = alert.StatusResolved
	if m := Moved(a, []alert.Alert{b}); !m.Changed || m.Alert.Status != alert.StatusResolved {
		t.Errorf("moved: %+v", m)
	}
	m := Moved(a, nil)
	if j, _ := json.Marshal(m); m.Changed || m.Alert.Status != alert.StatusOpen || !strings.HasPrefix(string(j), `{"changed":false,"alert":{"id":"a1"`) {
		t.Errorf("unmoved: %s", j)
	}
}

// TestSilences: each silence's state now and how many alerts it matches,
// whatever its state; with no alerts, 0.
func TestSilences(t *testing.T) {
	as := []alert.Alert{testAlert("a1", "port-scan"), testAlert("a2", "ioc-contact"), testAlert("a3", "ioc-contact")}
	ss := []silence.Silence{
		testSilence(t, "s1", testNow.Add(-time.Hour), testNow.Add(time.Hour), "rule=ioc-contact"),
		testSilence(t, "s2", testNow.Add(-2*time.Hour), testNow.Add(-time.Hour), "host=192.0.2.7"),
		testSilence(t, "s3", testNow.Add(time.Hour), testNow.Add(2*time.Hour), "tags=c2"),
	}
	vs := Silences(ss, as, map[string][]string{"port-scan": {"c2"}}, testNow)
	got := make([]string, len(vs))
	for i, v := range vs {
		got[i] = fmt.Sprintf("%s %s %d", v.ID, v.State, v.Alerts)
	}
	if want := []string{"s1 active 2", "s2 expired 3", "s3 pending 1"}; !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
	if vs := Silences(ss[:1], nil, nil, testNow); vs[0].Alerts != 0 {
		t.Errorf("no alerts: %+v", vs)
	}
	b, _ := json.Marshal(vs[0])
	if !strings.HasSuffix(string(b), `"state":"active","alerts":2}`) || !strings.HasPrefix(string(b), `{"id":"s1","matchers":`) {
		t.Errorf("JSON: %s", b)
	}
}
