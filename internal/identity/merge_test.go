package identity

import (
	"net/netip"
	"strings"
	"testing"
)

func TestMerge(t *testing.T) {
	addr := netip.MustParseAddr("172.16.1.10")
	vpn := func(user, id string, from, to int) Candidate {
		return Candidate{Source: "vpn", User: user, IntervalID: id, From: at(from), To: at(to),
			Interval: &Span{From: at(from), To: at(to)}}
	}
	answer := func(status string, from, to int, cs ...Candidate) *Answer {
		return &Answer{Addr: addr, From: at(from), To: at(to), Status: status, Candidates: cs}
	}
	brief := func(a *Answer) string {
		if a == nil {
			return "nil"
		}
		var b strings.Builder
		b.WriteString(a.Status + " " + a.From.Format("15:04") + "-" + a.To.Format("15:04"))
		for _, c := range a.Candidates {
			b.WriteString("; " + c.User + c.DeviceID)
		}
		return b.String()
	}
	kimura, sato := vpn("kimura", "i1", 0, 60), vpn("sato", "i2", 90, 120)
	for _, c := range []struct {
		name string
		a, b *Answer
		want string
	}{
		{"none", nil, nil, "nil"},
		{"the first finding", nil, answer(Resolved, 10, 10, kimura), "resolved 10:10-10:10; kimura"},
		{"a finding that was not attributed adds nothing", answer(Resolved, 10, 10, kimura), nil, "resolved 10:10-10:10; kimura"},
		{"the same session again", answer(Resolved, 10, 10, kimura), answer(Resolved, 20, 30, kimura), "resolved 10:10-10:30; kimura"},
		{"a later session of another user", answer(Resolved, 10, 10, kimura), answer(Resolved, 100, 100, sato),
			"several 10:10-11:40; kimura; sato"},
		{"older evidence comes first", answer(Resolved, 100, 100, sato), answer(Resolved, 10, 10, kimura),
			"several 10:10-11:40; kimura; sato"},
		{"a newer span nobody held keeps who held the older", answer(Resolved, 10, 10, kimura), answer(Unknown, 70, 70),
			"resolved 10:10-11:10; kimura"},
		{"two users at one moment", answer(Resolved, 10, 10, kimura), answer(Resolved, 30, 30, vpn("ono", "i3", 20, 50)),
			"ambiguous 10:10-10:30; kimura; ono"},
		{"an ambiguous finding stays so", answer(Ambiguous, 10, 10, kimura, vpn("ono", "i3", 0, 50)), answer(Resolved, 100, 100, sato),
			"ambiguous 10:10-11:40; kimura; ono; sato"},
	} {
		if got := brief(Merge(c.a, c.b)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
