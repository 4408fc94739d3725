package email

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

// TestSendGivesUpWithCtx talks to a server that accepts and never greets:
// Send returns when ctx ends, with a retried error.
func TestSendGivesUpWithCtx(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	r := newReceiver(t, mailConfig(ln.Addr().String(), ""))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = r.Send(ctx, notifytest.Notification(integration))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %v after its context ended", took)
	}
	want := "email anna-mail/email/0: send to " + ln.Addr().String() + ": context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if perm, _ := notify.Classify(err); perm || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("a time-out must be retried: %v", err)
	}
}
