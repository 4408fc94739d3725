package clickhouse

import (
	"context"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
)

// notifyMigration makes the outbox and the notification log (issue 11),
// mutable tables as silences are: every change of a notification appends a
// version to notification_versions, every save of a group one to
// notify_group_versions, and the views notifications and notify_groups
// read the latest version of each, columns as store.NotificationColumns
// and store.NotifyGroupColumns.
var notifyMigration = migration{tables: []table{{
	name: "notification_versions",
	columns: `id           String,
			integration  String,
			receiver     String,
			group_key    String,
			alert_ids    String DEFAULT '[]',
			message      String DEFAULT '{}',
			seq          Int64,
			state        String,
			attempts     Int64,
			next_attempt DateTime('UTC'),
			deadline     DateTime('UTC'),
			last_error   String,
			created_at   DateTime('UTC'),
			updated_at   DateTime('UTC'),
			delivered_at DateTime('UTC'),
			version      UInt64`,
	engine: "ReplacingMergeTree(version)",
	order:  "id",
	shard:  "cityHash64(id)",
}, {
	name: "notify_group_versions",
	columns: `key        String,
			receiver   String,
			labels     String DEFAULT '{}',
			created_at DateTime('UTC'),
			sent_at    DateTime('UTC'),
			message_id String,
			alerts     String DEFAULT '{}',
			version    UInt64`,
	engine: "ReplacingMergeTree(version)",
	order:  "key",
	shard:  "cityHash64(key)",
}},
	views: []view{
		{"notifications", `SELECT ` + store.NotificationColumns + ` FROM {db}.notification_versions FINAL`},
		{"notify_groups", `SELECT ` + store.NotifyGroupColumns + ` FROM {db}.notify_group_versions FINAL`},
	},
	columns: notifyComments(),
}

// The views read their rows from the version tables; kept here as
// silences.go keeps its own.
func init() {
	versioned["notifications"] = "notification_versions"
	versioned["notify_groups"] = "notify_group_versions"
}

// notifyComments are store.NotificationComments on the version tables.
func notifyComments() []addedColumn {
	tables := map[string]string{"notifications": "notification_versions", "notify_groups": "notify_group_versions"}
	out := commentsOf(store.NotificationComments)
	for i := range out {
		out[i].table = tables[out[i].table]
	}
	return out
}

// Enqueue implements store.Store: each notification not stored yet gets
// the first version, numbered (Seq) by the writer's clock in nanoseconds as
// versions are, so Seq grows in the order notifications are enqueued; the
// first is above the highest Seq stored, so a notification enqueued by a
// second process, or after this host's clock stepped back, still goes
// after every earlier one. (Two processes enqueueing at the same instant
// may interleave their numbers; one process delivers, see the sender.)
func (s *Store) Enqueue(ctx context.Context, ns []notify.Notification) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	now := store.OutboxTime(store.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := map[string]bool{}
	for ids := store.NotificationIDs(ns); len(ids) > 0; {
		chunk := ids[:min(len(ids), 1000)]
		ids = ids[len(chunk):]
		got, err := store.ReadNotifications(ctx, s.querier(), store.NotificationFilter{IDs: chunk})
		if err != nil {
			return 0, fmt.Errorf("enqueue %d notifications: %w", len(ns), err)
		}
		for _, n := range got {
			stored[n.ID] = true
		}
	}
	var highest int64
	if err := s.conn.QueryRow(ctx, `SELECT max(seq) FROM `+s.layout().stored("notifications")).Scan(&highest); err != nil {
		return 0, fmt.Errorf("enqueue %d notifications: highest seq: %w", len(ns), err)
	}
	var rows [][]any
	for _, n := range ns {
		if stored[n.ID] {
			continue
		}
		n, err := store.PrepareEnqueue(n, now)
		if err != nil {
			return 0, err
		}
		v := s.nextVersion(uint64(max(highest, 0)))
		n.Seq = int64(v)
		row, err := store.NotificationRow(n)
		if err != nil {
			return 0, err
		}
		rows = append(rows, append(row, v))
		stored[n.ID] = true
	}
	if err := s.writeNotifications(ctx, rows); err != nil {
		return 0, fmt.Errorf("enqueue %d notifications: %w", len(ns), err)
	}
	return len(rows), nil
}

// writeNotifications appends versions of notification rows, each
// store.NotificationRow's with its version.
func (s *Store) writeNotifications(ctx context.Context, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := append(strings.Split(store.NotificationColumns, ", "), "version")
	return s.insertRows(ctx, s.layout().stored("notifications"), cols, rows)
}

// Notifications implements store.Store.
func (s *Store) Notifications(ctx context.Context, f store.NotificationFilter) ([]notify.Notification, error) {
	return store.ReadNotifications(ctx, s.querier(), f)
}

// NotificationCounts implements store.Store.
func (s *Store) NotificationCounts(ctx context.Context) (map[string]int64, error) {
	return store.CountNotifications(ctx, s.querier())
}

// UpdateNotifications implements store.Store: a new version of each, its
// other columns as stored.
func (s *Store) UpdateNotifications(ctx context.Context, ns []notify.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Above every version stored, whoever wrote it: an update from a
	// process whose clock is behind another's (or stepped back) must not
	// lose to the version it updates.
	var highest uint64
	if err := s.conn.QueryRow(ctx, `SELECT max(version) FROM `+s.layout().stored("notifications")).Scan(&highest); err != nil {
		return fmt.Errorf("update notifications: highest version: %w", err)
	}
	var rows [][]any
	for len(ns) > 0 {
		chunk := ns[:min(len(ns), 1000)]
		ns = ns[len(chunk):]
		stored, err := store.ReadNotifications(ctx, s.querier(), store.NotificationFilter{IDs: store.NotificationIDs(chunk)})
		if err != nil {
			return fmt.Errorf("update notifications: %w", err)
		}
		updated, err := store.UpdatedNotifications(stored, chunk)
		if err != nil {
			return err
		}
		for _, n := range updated {
			row, err := store.NotificationRow(n)
			if err != nil {
				return err
			}
			rows = append(rows, append(row, s.nextVersion(max(highest, uint64(max(n.Seq, 0))))))
		}
	}
	if err := s.writeNotifications(ctx, rows); err != nil {
		return fmt.Errorf("update %d notifications: %w", len(rows), err)
	}
	return nil
}

// NotifyGroups implements store.Store.
func (s *Store) NotifyGroups(ctx context.Context) ([]notify.GroupState, error) {
	return store.ReadNotifyGroups(ctx, s.querier())
}

// SaveNotifyGroups implements store.Store: a new version of each group.
func (s *Store) SaveNotifyGroups(ctx context.Context, gs []notify.GroupState) error {
	if len(gs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := make([][]any, 0, len(gs))
	for _, g := range gs {
		row, err := store.NotifyGroupRow(g)
		if err != nil {
			return err
		}
		rows = append(rows, append(row, s.nextVersion(0)))
	}
	cols := append(strings.Split(store.NotifyGroupColumns, ", "), "version")
	if err := s.insertRows(ctx, s.layout().stored("notify_groups"), cols, rows); err != nil {
		return fmt.Errorf("save %d notify groups: %w", len(gs), err)
	}
	return nil
}
