package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
)

// NotificationColumns are the columns of a notifications row, in the order
// NotificationRow gives them.
const NotificationColumns = "id, integration, receiver, group_key, alert_ids, message, seq, state, attempts, " +
	"next_attempt, deadline, last_error, created_at, updated_at, delivered_at"

// NotifyGroupColumns are the columns of a notify_groups row, in the order
// NotifyGroupRow gives them.
const NotifyGroupColumns = "key, receiver, labels, created_at, sent_at, message_id, alerts"

// NotificationComments document the columns of notifications and
// notify_groups.
var NotificationComments = []ColumnComment{
	{"notifications", "id", "the notification's id: a hash of its message's id and its integration, sent as the delivery id"},
	{"notifications", "integration", `where it goes: RECEIVER/KIND/INDEX, e.g. "soc-pager/pagerduty/0" for the first of soc-pager's pagerduty_configs`},
	{"notifications", "receiver", "the receiver's name in the config's receivers"},
	{"notifications", "group_key", "the key of the alert group the message is about"},
	{"notifications", "alert_ids", "the ids of the alerts in the message, as a JSON array"},
	{"notifications", "message", "the message as sent to the receiver, as JSON"},
	{"notifications", "seq", "enqueue order: above every notification stored before; an integration's notifications are sent by it"},
	{"notifications", "state", "pending (not delivered yet), delivered, or dead (failed for good; 'homesoc notify retry ID' makes it pending)"},
	{"notifications", "attempts", "how many sends failed so far"},
	{"notifications", "next_attempt", "when a pending notification is due"},
	{"notifications", "deadline", "when a pending notification still failing goes dead; 1970-01-01 for none"},
	{"notifications", "last_error", "the latest failure, secrets removed; '' for none"},
	{"notifications", "created_at", "when it was written to the outbox"},
	{"notifications", "updated_at", "when its delivery state last changed"},
	{"notifications", "delivered_at", "when the receiver accepted it; 1970-01-01 until then"},
	{"notify_groups", "key", "the alert group's key (route and group_by values)"},
	{"notify_groups", "receiver", "the receiver the group's messages go to"},
	{"notify_groups", "labels", "the group's labels (its group_by values), as a JSON object"},
	{"notify_groups", "created_at", "when the router first saw the group: its first message waits group_wait from here"},
	{"notify_groups", "sent_at", "when its last message was made; 1970-01-01 for none"},
	{"notify_groups", "message_id", "the id of its last message; '' for none"},
	{"notify_groups", "alerts", "the alerts of its last message, as a JSON object of alert id to fingerprint: what a change is measured against"},
}

// OutboxTime is t as the outbox keeps it: UTC, whole seconds as the rest
// of the store (ClickHouse 18.16 has no finer DateTime), the epoch for the
// zero time.
func OutboxTime(t time.Time) time.Time {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

// DueTime is t rounded up to the outbox's whole seconds: the sender makes
// a retry's NextAttempt with it, so the stored retry is never due before
// the time its back-off or Retry-After asked for (OutboxTime, which the
// store applies to every time, rounds down).
func DueTime(t time.Time) time.Time {
	if s := OutboxTime(t); s.Before(t) {
		return s.Add(time.Second)
	}
	return OutboxTime(t)
}

// NotificationRow is n as a row of NotificationColumns.
func NotificationRow(n notify.Notification) ([]any, error) {
	ids := n.AlertIDs
	if ids == nil {
		ids = []string{}
	}
	a, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("notification %s: alert ids: %w", n.ID, err)
	}
	m, err := json.Marshal(n.Message)
	if err != nil {
		return nil, fmt.Errorf("notification %s: message: %w", n.ID, err)
	}
	return []any{n.ID, n.Integration, n.Receiver, n.GroupKey, string(a), string(m), n.Seq, n.State, int64(n.Attempts),
		OutboxTime(n.NextAttempt), OutboxTime(n.Deadline), n.LastError, OutboxTime(n.CreatedAt), OutboxTime(n.UpdatedAt),
		OutboxTime(n.DeliveredAt)}, nil
}

// PrepareEnqueue fills what Enqueue fills in a new notification: State
// pending when unset, CreatedAt, UpdatedAt and NextAttempt now when zero,
// times as the outbox keeps them (OutboxTime). It refuses one without an ID or
// Integration, or of an unknown state.
func PrepareEnqueue(n notify.Notification, now time.Time) (notify.Notification, error) {
	if n.ID == "" || n.Integration == "" {
		return n, fmt.Errorf("enqueue notification %q for %q: no id or integration", n.ID, n.Integration)
	}
	if n.State == "" {
		n.State = notify.StatePending
	}
	if err := checkState("enqueue", n); err != nil {
		return n, err
	}
	for _, t := range []*time.Time{&n.CreatedAt, &n.UpdatedAt, &n.NextAttempt} {
		if t.IsZero() {
			*t = now
		}
	}
	for _, t := range []*time.Time{&n.CreatedAt, &n.UpdatedAt, &n.NextAttempt, &n.Deadline, &n.DeliveredAt} {
		*t = outboxRead(OutboxTime(*t))
	}
	if n.AlertIDs == nil {
		n.AlertIDs = []string{}
	}
	return n, nil
}

// outboxRead is a stored outbox time as read: the epoch as the zero time.
func outboxRead(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

// notificationsQuery is the SELECT of cols of the notifications f selects,
// by Seq, and its arguments; with seqs, only those of them whose seq is one
// of seqs (f.Limit then does not apply).
func notificationsQuery(f NotificationFilter, cols string, seqs []string) (string, []any) {
	var w conditions
	w.in("id", f.IDs)
	w.in("state", f.States)
	w.in("integration", f.Integrations)
	w.in("receiver", f.Receivers)
	where, args := w.where, w.args
	if f.AfterSeq > 0 {
		where = append(where, "seq > ?")
		args = append(args, f.AfterSeq)
	}
	if len(seqs) > 0 {
		where = append(where, "seq IN ("+strings.Join(seqs, ", ")+")")
	}
	q := "SELECT " + cols + " FROM notifications"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq"
	if f.Limit > 0 && len(seqs) == 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return q, args
}

// CountNotifications implements NotifyStore.NotificationCounts on an engine.
func CountNotifications(ctx context.Context, qr Querier) (map[string]int64, error) {
	counts := map[string]int64{}
	err := qr.collect(ctx, "notifications", "SELECT state, CAST(count(*) AS Int64) FROM notifications GROUP BY state" /* ClickHouse's count is UInt64 */, nil, func(r Rows) error {
		var state string
		var n int64
		if err := r.Scan(&state, &n); err != nil {
			return err
		}
		counts[state] = n
		return nil
	})
	return counts, err
}

// ReadNotifications implements NotifyStore.Notifications on an engine. A
// page (f.Limit) is read in two steps: the seqs of the page, then its rows,
// so that the engine does not sort every row's message to keep a few
// (10,000 PagerDuty notifications' messages pass DuckDB's memory limit).
func ReadNotifications(ctx context.Context, qr Querier, f NotificationFilter) ([]notify.Notification, error) {
	if f.Limit > 0 {
		q, args := notificationsQuery(f, "seq", nil)
		var seqs []string
		if err := qr.collect(ctx, "notifications", q, args, func(r Rows) error {
			var seq int64
			if err := r.Scan(&seq); err != nil {
				return err
			}
			seqs = append(seqs, strconv.FormatInt(seq, 10))
			return nil
		}); err != nil || len(seqs) == 0 {
			return []notify.Notification{}, err
		}
		q, args = notificationsQuery(f, NotificationColumns, seqs) // the filter again: a row may have changed since
		return readNotifications(ctx, qr, q, args)
	}
	q, args := notificationsQuery(f, NotificationColumns, nil)
	return readNotifications(ctx, qr, q, args)
}

// readNotifications reads the notifications of a query of NotificationColumns.
func readNotifications(ctx context.Context, qr Querier, q string, args []any) ([]notify.Notification, error) {
	out := []notify.Notification{}
	err := qr.collect(ctx, "notifications", q, args, func(r Rows) error {
		var n notify.Notification
		var ids, msg string
		var attempts int64
		if err := r.Scan(&n.ID, &n.Integration, &n.Receiver, &n.GroupKey, &ids, &msg, &n.Seq, &n.State, &attempts,
			&n.NextAttempt, &n.Deadline, &n.LastError, &n.CreatedAt, &n.UpdatedAt, &n.DeliveredAt); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(ids), &n.AlertIDs); err != nil {
			return fmt.Errorf("notification %s: alert ids: %w", n.ID, err)
		}
		if err := json.Unmarshal([]byte(msg), &n.Message); err != nil {
			return fmt.Errorf("notification %s: message: %w", n.ID, err)
		}
		n.Attempts = int(attempts)
		for _, t := range []*time.Time{&n.NextAttempt, &n.Deadline, &n.CreatedAt, &n.UpdatedAt, &n.DeliveredAt} {
			*t = outboxRead(*t)
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

// NotificationIDs are the ids of ns.
func NotificationIDs(ns []notify.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

// CheckNotificationUpdate refuses an update of a notification to a state
// that is none of notify's states; every engine's UpdateNotifications
// calls it before writing.
func CheckNotificationUpdate(n notify.Notification) error {
	return checkState("update", n)
}

// checkState is an error naming verb unless n.State is one of notify's
// states.
func checkState(verb string, n notify.Notification) error {
	switch n.State {
	case notify.StatePending, notify.StateDelivered, notify.StateDead:
		return nil
	}
	return fmt.Errorf("%s notification %s: unknown state %q", verb, n.ID, n.State)
}

// UpdatedNotifications applies the delivery state of updates (State,
// Attempts, NextAttempt, Deadline, LastError, UpdatedAt, DeliveredAt) to
// the stored notifications of their ids, and returns them in the order of
// updates; an id not stored is an error wrapping ErrNotFound.
func UpdatedNotifications(stored, updates []notify.Notification) ([]notify.Notification, error) {
	byID := make(map[string]notify.Notification, len(stored))
	for _, n := range stored {
		byID[n.ID] = n
	}
	out := make([]notify.Notification, 0, len(updates))
	for _, u := range updates {
		n, ok := byID[u.ID]
		if !ok {
			return nil, fmt.Errorf("update notification %q: %w", u.ID, ErrNotFound)
		}
		if err := CheckNotificationUpdate(u); err != nil {
			return nil, err
		}
		n.State, n.Attempts, n.NextAttempt, n.Deadline = u.State, u.Attempts, u.NextAttempt, u.Deadline
		n.LastError, n.UpdatedAt, n.DeliveredAt = u.LastError, u.UpdatedAt, u.DeliveredAt
		out = append(out, n)
	}
	return out, nil
}

// NotifyGroupRow is g as a row of NotifyGroupColumns.
func NotifyGroupRow(g notify.GroupState) ([]any, error) {
	labels, alerts := g.Labels, g.Alerts
	if labels == nil {
		labels = map[string]string{}
	}
	if alerts == nil {
		alerts = map[string]string{}
	}
	l, err := json.Marshal(labels)
	if err != nil {
		return nil, fmt.Errorf("notify group %s: labels: %w", g.Key, err)
	}
	a, err := json.Marshal(alerts)
	if err != nil {
		return nil, fmt.Errorf("notify group %s: alerts: %w", g.Key, err)
	}
	return []any{g.Key, g.Receiver, string(l), OutboxTime(g.CreatedAt), OutboxTime(g.SentAt), g.MessageID, string(a)}, nil
}

// ReadNotifyGroups implements NotifyStore.NotifyGroups on an engine: by key.
func ReadNotifyGroups(ctx context.Context, qr Querier) ([]notify.GroupState, error) {
	out := []notify.GroupState{}
	err := qr.collect(ctx, "notify groups", "SELECT "+NotifyGroupColumns+" FROM notify_groups ORDER BY key", nil, func(r Rows) error {
		var g notify.GroupState
		var l, a string
		if err := r.Scan(&g.Key, &g.Receiver, &l, &g.CreatedAt, &g.SentAt, &g.MessageID, &a); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(l), &g.Labels); err != nil {
			return fmt.Errorf("notify group %s: labels: %w", g.Key, err)
		}
		if err := json.Unmarshal([]byte(a), &g.Alerts); err != nil {
			return fmt.Errorf("notify group %s: alerts: %w", g.Key, err)
		}
		g.CreatedAt, g.SentAt = outboxRead(g.CreatedAt), outboxRead(g.SentAt)
		out = append(out, g)
		return nil
	})
	return out, err
}
