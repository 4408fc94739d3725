package sender_test

import (
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify/sender"
)

func TestBackoffDelay(t *testing.T) {
	b := sender.DefaultBackoff
	for _, tc := range []struct {
		attempts int
		r        float64
		want     time.Duration
	}{
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{3, 0.5, 4 * time.Second},
		{9, 0.5, 256 * time.Second},
		{10, 0.5, 5 * time.Minute},
		{1, 0, 800 * time.Millisecond},
		{1, 0.75, 1100 * time.Millisecond},
		{20, 0, 4 * time.Minute},
	} {
		if got := b.Delay(tc.attempts, tc.r); got != tc.want {
			t.Errorf("Delay(%d, %v) = %s, want %s", tc.attempts, tc.r, got, tc.want)
		}
	}
}

func TestKind(t *testing.T) {
	for in, want := range map[string]string{"soc-pager/pagerduty/0": "pagerduty", "a/b/slack/12": "slack", "x/1": "", "x": "", "": ""} {
		if got := sender.Kind(in); got != want {
			t.Errorf("Kind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		`Post "https://hooks.slack.com/services/T0/B0/XXXX": dial tcp: connection refused`: `Post "https://hooks.slack.com": dial tcp: connection refused`,
		`get http://user:pw@127.0.0.1:8080/x?routing_key=abc#f failed`:                     `get http://127.0.0.1:8080 failed`,
		`smtp 127.0.0.1:25: 535 auth failed`:                                               `smtp 127.0.0.1:25: 535 auth failed`,
		`webhook a/webhook/0: HTTP 500: "busy"`:                                            `webhook a/webhook/0: HTTP 500: "busy"`,
	} {
		if got := sender.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
