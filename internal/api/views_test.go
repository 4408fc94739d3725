package api

import (
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/view"
)

// TestIntelSkipReasons: an upload of well-formed entries with nothing to
// store answers why, as homesoc intel load --json does (skip_reasons).
func TestIntelSkipReasons(t *testing.T) {
	e := newEnv(t, nil)
	feed := "# Listingdate,SHA1,Listingreason\n" +
		"2026-04-01 10:00:00,0123456789abcdef0123456789abcdef01234567,Foo C&C\n" +
		"2026-04-01 11:00:00,1123456789abcdef0123456789abcdef01234567,Foo C&C\n"
	var rep view.IntelLoad
	r := e.do("POST", "/api/v1/intel?feed=sslbl", strings.NewReader(feed))
	r.json(t, &rep)
	if r.status != 200 || len(rep.SkipReasons) != 1 || rep.SkipReasons[0].Count != 2 ||
		!strings.Contains(rep.SkipReasons[0].Reason, "certificate") || rep.Added != 0 {
		t.Errorf("%d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/intel?feed=csv", strings.NewReader("10.0.0.1\n"))
	if r.status != 200 || !strings.Contains(string(r.body), `"skip_reasons":[]`) {
		t.Errorf("no skips: %d %s", r.status, r.body)
	}
}

// TestZeroDays: "0d" is now where a time is taken (as the CLI's --since
// takes it); a duration that must be positive still refuses it.
func TestZeroDays(t *testing.T) {
	e := newEnv(t, nil)
	for _, q := range []string{"/api/v1/alerts?since=0d", "/api/v1/events?since=0d", "/api/v1/scans?since=0d", "/api/v1/whois?addr=192.0.2.1&at=0d"} {
		if r := e.do("GET", q, nil); r.status != 200 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	for _, body := range []string{`{"sql":"SELECT 1","window":"0d"}`, `{"sql":"SELECT 1","timeout":"0d"}`} {
		if r := e.do("POST", "/api/v1/query", strings.NewReader(body), "Content-Type", "application/json"); r.status != 400 ||
			!strings.Contains(r.errText(t), "want a positive duration") {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/v1/silences", strings.NewReader(`{"matchers":["rule=x"],"comment":"c","duration":"0d"}`), "Content-Type", "application/json")
	if r.status != 400 || !strings.Contains(r.errText(t), "want a positive duration") {
		t.Errorf("silence 0d: %d %s", r.status, r.body)
	}
}
