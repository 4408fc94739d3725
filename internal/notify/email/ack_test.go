package email

import (
	"time"

	"testing"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

// TestRenderAcknowledgedTest holds the text part of a test message of one
// acknowledged alert without a console: who took it on, when and why.
func TestRenderAcknowledgedTest(t *testing.T) {
	a := notifytest.Contact()
	a.State, a.Change = alert.StatusAcknowledged, notify.ChangeAcknowledged
	a.Last = &alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: notifytest.T0.Add(-time.Minute), Comment: "on it", By: "operator"}
	n := notifytest.Notification(integration, a)
	n.Message.Test, n.Message.ConsoleURL = true, ""
	r := newReceiver(t, mailConfig("127.0.0.1:587", ""))
	data, err := Render(n, r.from, r.to)
	if err != nil {
		t.Fatal(err)
	}
	h, ps := parts(t, data)
	if got := h.Get("Subject"); got != "[TEST] Contact with a known-bad address" {
		t.Errorf("subject = %q", got)
	}
	golden(t, "ack-test.golden.txt", []byte(ps["text/plain; charset=utf-8"]))
}
