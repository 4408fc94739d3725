// Package jsonl is the default receiver: it appends one JSON line per
// notification to a file, so a fresh install loses nothing even before any
// other receiver is configured.
//
// Each line is
//
//	{"id", "integration", "receiver", "group_key", "status", "title", "message", "sent_at"}
//
// with "message" the notify.Message as the outbox keeps it. A line is
// written with one write(2) on a file opened O_APPEND, so writers in other
// processes never interleave within a line, and fsynced before Send
// returns: once Send returns nil the line is on disk and the outbox counts
// the notification delivered.
//
// Delivery is at-least-once: a crash after the fsync and before the outbox
// records the delivery makes the outbox send the notification again, and
// the file then holds the same "id" twice. Readers dedupe on "id" (the
// notification's id, the same on every retry).
package jsonl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// Line is one line of the file.
type Line struct {
	ID          string         `json:"id"` // the notification's id: readers dedupe on it
	Integration string         `json:"integration"`
	Receiver    string         `json:"receiver"`
	GroupKey    string         `json:"group_key"`
	Status      string         `json:"status"` // notify.StatusFiring or StatusResolved
	Title       string         `json:"title"`  // Message.Title()
	Message     notify.Message `json:"message"`
	SentAt      time.Time      `json:"sent_at"` // when the line was written (UTC)
}

// Receiver appends notifications to one file.
type Receiver struct {
	path        string
	integration string
	now         func() time.Time
	mu          sync.Mutex // one Send at a time within the process: lines keep the outbox's order
}

var _ notify.Receiver = (*Receiver)(nil)

// New checks c and returns its receiver; integration names it in errors
// ("jsonl/jsonl/0").
func New(c config.JSONLConfig, integration string, o notify.Options) (*Receiver, error) {
	p := strings.TrimSpace(c.Path)
	if p == "" {
		return nil, fmt.Errorf("jsonl %s: no path", integration)
	}
	return &Receiver{path: filepath.Clean(p), integration: integration, now: o.Clock}, nil
}

// Path is the file the receiver appends to.
func (r *Receiver) Path() string { return r.path }

// Send appends n as one line and fsyncs the file. Every error is retried:
// a full disk or a directory made writable again mends itself.
func (r *Receiver) Send(ctx context.Context, n *notify.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := Encode(n, r.now().UTC())
	if err != nil {
		return notify.Permanent(fmt.Errorf("jsonl %s: encode notification %s: %w", r.integration, n.ID, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.appendLine(b); err != nil {
		return fmt.Errorf("jsonl %s: %w", r.integration, err)
	}
	return nil
}

// appendLine writes b with one write and syncs it.
func (r *Receiver) appendLine(b []byte) (err error) {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return fmt.Errorf("make directory for %s: %w", r.path, unwrapPath(err))
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", r.path, unwrapPath(err))
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", r.path, unwrapPath(cerr))
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("append to %s: %w", r.path, unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", r.path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops os.PathError's repetition of the path the message
// already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Encode is n's line, newline included, as Send writes it at sentAt.
func Encode(n *notify.Notification, sentAt time.Time) ([]byte, error) {
	m := n.Message
	if m.Alerts == nil {
		m.Alerts = []notify.Alert{}
	}
	if m.GroupLabels == nil {
		m.GroupLabels = map[string]string{}
	}
	l := Line{ID: n.ID, Integration: n.Integration, Receiver: n.Receiver, GroupKey: n.GroupKey,
		Status: m.Status, Title: m.Title(), Message: m, SentAt: sentAt}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil { // Encode ends the line with '\n'
		return nil, err
	}
	return buf.Bytes(), nil
}
