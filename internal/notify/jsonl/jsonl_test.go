package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const integration = "jsonl/jsonl/0"

func newReceiver(t *testing.T, path string) *Receiver {
	t.Helper()
	r, err := New(config.JSONLConfig{Path: path}, integration, notify.Options{Now: func() time.Time { return notifytest.T0.Add(3 * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name, as every receiver's goldens are.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	notifytest.Golden(t, filepath.Join("testdata", name), got, *update)
}

func TestSendGoldenLineAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "sub")
	path := filepath.Join(dir, "notifications.jsonl")
	r := newReceiver(t, path)
	n := notifytest.Notification(integration)
	if err := r.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "line.golden.jsonl", b)
	if bytes.Count(b, []byte("\n")) != 1 || b[len(b)-1] != '\n' {
		t.Errorf("want exactly one line ending in a newline, got %q", b)
	}

	var l Line
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.ID != n.ID || l.ID != notify.NotificationID("msg-0001", integration) {
		t.Errorf("line id = %q, want the notification's %q", l.ID, n.ID)
	}
	if l.Title != "[FIRING:2] user=anna: Router of NAS-ANNA exposes 2 port(s) to the internet (+1 more)" || l.Status != "firing" || l.GroupKey != `route 1/soc/{user="anna"}` ||
		l.Receiver != "soc" || l.Integration != integration || !l.SentAt.Equal(notifytest.T0.Add(3*time.Second)) {
		t.Errorf("line = %+v", l)
	}
	if len(l.Message.Alerts) != 2 || l.Message.Alerts[0].ID != notifytest.Ticket().ID {
		t.Errorf("message alerts = %+v", l.Message.Alerts)
	}

	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700, filepath.Dir(dir): 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", p, got, want)
		}
	}

	// A retried send appends the same id again: readers dedupe on it.
	if err := r.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || lines[0] != lines[1] {
		t.Errorf("a retry should append the identical line, got %d lines", len(lines))
	}
}

func TestEncodeEmptyMessageHasNoNulls(t *testing.T) {
	n := &notify.Notification{ID: "n1", Integration: integration, Message: notify.Message{ID: "m1", Status: notify.StatusResolved, Test: true}}
	b, err := Encode(n, notifytest.T0)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"alerts":[]`, `"group_labels":{}`, `"sent_at":"2026-11-28T02:10:00Z"`, `"title":"[TEST]"`} {
		if !strings.Contains(s, want) {
			t.Errorf("line lacks %s: %s", want, s)
		}
	}
}

// TestConcurrentWritersNeverInterleave writes from many receivers (as many
// processes would) on one file: every line must parse whole.
func TestConcurrentWritersNeverInterleave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.jsonl")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		r := newReceiver(t, path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := notifytest.Notification(fmt.Sprintf("w%d/jsonl/%d", w, i))
				if err := r.Send(context.Background(), n); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d does not parse: %v", len(seen)+1, err)
		}
		seen[l.Integration] = true
	}
	if len(seen) != writers*each {
		t.Errorf("got %d distinct lines, want %d", len(seen), writers*each)
	}
}

func TestSendErrorsAreRetriedAndSayWhy(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "plain-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(base, "read-only")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
		needsNonRoot     bool
	}{
		{"parent is a file", filepath.Join(file, "n.jsonl"),
			"jsonl jsonl/jsonl/0: make directory for " + filepath.Join(file, "n.jsonl") + ": not a directory", false},
		{"read-only directory", filepath.Join(ro, "n.jsonl"),
			"jsonl jsonl/jsonl/0: open " + filepath.Join(ro, "n.jsonl") + ": permission denied", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needsNonRoot && os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory")
			}
			err := newReceiver(t, tt.path).Send(context.Background(), notifytest.Notification(integration))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if perm, _ := notify.Classify(err); perm {
				t.Error("a file-system error must be retried, not permanent")
			}
		})
	}
}

func TestNewAndCancelledSend(t *testing.T) {
	if _, err := New(config.JSONLConfig{Path: "  "}, "x/jsonl/1", notify.Options{}); err == nil || err.Error() != "jsonl x/jsonl/1: no path" {
		t.Errorf("err = %v", err)
	}
	path := filepath.Join(t.TempDir(), "n.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newReceiver(t, path).Send(ctx, notifytest.Notification(integration)); err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a cancelled send wrote the file: %v", err)
	}
}
