package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
)

// notifyMigration makes the outbox (notifications) and the notification
// log (notify_groups) of issue 11, plain tables updated in place, with
// store.NotificationComments.
var notifyMigration = `CREATE TABLE notifications (
		id           VARCHAR   NOT NULL PRIMARY KEY,
		integration  VARCHAR   NOT NULL,
		receiver     VARCHAR   NOT NULL DEFAULT '',
		group_key    VARCHAR   NOT NULL DEFAULT '',
		alert_ids    VARCHAR   NOT NULL DEFAULT '[]',
		message      VARCHAR   NOT NULL DEFAULT '{}',
		seq          BIGINT    NOT NULL,
		state        VARCHAR   NOT NULL,
		attempts     BIGINT    NOT NULL DEFAULT 0,
		next_attempt TIMESTAMP NOT NULL,
		deadline     TIMESTAMP NOT NULL,
		last_error   VARCHAR   NOT NULL DEFAULT '',
		created_at   TIMESTAMP NOT NULL,
		updated_at   TIMESTAMP NOT NULL,
		delivered_at TIMESTAMP NOT NULL
	);
	CREATE TABLE notify_groups (
		key        VARCHAR   NOT NULL,
		receiver   VARCHAR   NOT NULL DEFAULT '',
		labels     VARCHAR   NOT NULL DEFAULT '{}',
		created_at TIMESTAMP NOT NULL,
		sent_at    TIMESTAMP NOT NULL,
		message_id VARCHAR   NOT NULL DEFAULT '',
		alerts     VARCHAR   NOT NULL DEFAULT '{}'
	);
` + columnComments(store.NotificationComments)

// Enqueue implements store.Store: in one transaction, the notifications
// not stored yet are numbered from the highest Seq stored plus one.
func (s *Store) Enqueue(ctx context.Context, ns []notify.Notification) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	now := store.OutboxTime(store.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	// A few hundred a transaction: 10,000 notifications of large messages
	// in one would pass DuckDB's memory limit before the commit. A crash
	// between two leaves the first ones stored, in order; routing the same
	// state again stores the rest (their ids are the same).
	for len(ns) > 0 {
		chunk := ns[:min(len(ns), notificationRowsPerInsert)]
		ns = ns[len(chunk):]
		k := 0 // stored by this chunk's transaction, once it commits
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			k = 0
			stored, err := storedIDs(ctx, tx, store.NotificationIDs(chunk))
			if err != nil {
				return err
			}
			var seq int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM notifications`).Scan(&seq); err != nil {
				return err
			}
			var rows []any
			for _, n := range chunk {
				if stored[n.ID] {
					continue
				}
				n, err := store.PrepareEnqueue(n, now)
				if err != nil {
					return err
				}
				seq++
				n.Seq = seq
				row, err := store.NotificationRow(n)
				if err != nil {
					return err
				}
				rows = append(rows, row...)
				stored[n.ID] = true
				k++
			}
			return insertNotifications(ctx, tx, rows)
		})
		if err == nil {
			added += k
		}
		if err != nil {
			return added, fmt.Errorf("enqueue notifications (%d stored, %d left): %w", added, len(ns)+len(chunk), err)
		}
	}
	return added, nil
}

// notificationRowsPerInsert is how many rows one INSERT carries: one
// statement per row costs DuckDB kilobytes each until the transaction
// commits, more than an in-memory store's memory limit for 10,000.
const notificationRowsPerInsert = 256

// insertNotifications inserts rows, the values of store.NotificationRow
// one after the other, a few hundred rows a statement.
func insertNotifications(ctx context.Context, tx *sql.Tx, rows []any) error {
	width := len(strings.Split(store.NotificationColumns, ", "))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for len(rows) > 0 {
		k := min(len(rows)/width, notificationRowsPerInsert)
		q := `INSERT INTO notifications (` + store.NotificationColumns + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(tuple+", ", k), ", ")
		if _, err := tx.ExecContext(ctx, q, rows[:k*width]...); err != nil {
			return err
		}
		rows = rows[k*width:]
	}
	return nil
}

// storedIDs reports which of ids notifications holds, asking in chunks.
func storedIDs(ctx context.Context, tx *sql.Tx, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 1000)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM notifications WHERE id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		if err := closeRows(rows); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// closeRows closes rows and returns the first error of reading or closing.
func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// Notifications implements store.Store.
func (s *Store) Notifications(ctx context.Context, f store.NotificationFilter) ([]notify.Notification, error) {
	return store.ReadNotifications(ctx, s.querier(), f)
}

// NotificationCounts implements store.Store.
func (s *Store) NotificationCounts(ctx context.Context) (map[string]int64, error) {
	return store.CountNotifications(ctx, s.querier())
}

// UpdateNotifications implements store.Store: the rows are updated in place,
// all or none; one alone (the sender's case) without a transaction around
// its one statement, which costs DuckDB more than the update.
func (s *Store) UpdateNotifications(ctx context.Context, ns []notify.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ns) == 1 {
		return updateNotification(ctx, s.conn, ns[0])
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, n := range ns {
			if err := updateNotification(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// updateNotification saves the delivery state of n.
func updateNotification(ctx context.Context, db interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}, n notify.Notification) error {
	if err := store.CheckNotificationUpdate(n); err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `UPDATE notifications SET state = ?, attempts = ?, next_attempt = ?,
		deadline = ?, last_error = ?, updated_at = ?, delivered_at = ? WHERE id = ?`,
		n.State, int64(n.Attempts), store.OutboxTime(n.NextAttempt), store.OutboxTime(n.Deadline), n.LastError,
		store.OutboxTime(n.UpdatedAt), store.OutboxTime(n.DeliveredAt), n.ID)
	if err != nil {
		return fmt.Errorf("update notification %s: %w", n.ID, err)
	}
	if k, err := res.RowsAffected(); err != nil || k == 0 {
		return fmt.Errorf("update notification %q: %w", n.ID, store.ErrNotFound)
	}
	return nil
}

// NotifyGroups implements store.Store.
func (s *Store) NotifyGroups(ctx context.Context) ([]notify.GroupState, error) {
	return store.ReadNotifyGroups(ctx, s.querier())
}

// SaveNotifyGroups implements store.Store: the rows of the groups' keys
// are replaced in one transaction, a chunk of keys a DELETE and a
// multi-row INSERT (a statement per group costs DuckDB a few hundred
// kilobytes each until the commit: an in-memory store ran out at the
// 372nd group). When gs names a key twice the last one is kept.
func (s *Store) SaveNotifyGroups(ctx context.Context, gs []notify.GroupState) error {
	if len(gs) == 0 {
		return nil
	}
	last := make(map[string]int, len(gs))
	for i, g := range gs {
		last[g.Key] = i
	}
	var rows []any
	var keys []any
	for i, g := range gs {
		if last[g.Key] != i {
			continue
		}
		row, err := store.NotifyGroupRow(g)
		if err != nil {
			return err
		}
		rows = append(rows, row...)
		keys = append(keys, g.Key)
	}
	width := len(strings.Split(store.NotifyGroupColumns, ", "))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for len(keys) > 0 {
			k := min(len(keys), notificationRowsPerInsert)
			if _, err := tx.ExecContext(ctx, `DELETE FROM notify_groups WHERE key IN (`+
				strings.TrimSuffix(strings.Repeat("?, ", k), ", ")+`)`, keys[:k]...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_groups (`+store.NotifyGroupColumns+`) VALUES `+
				strings.TrimSuffix(strings.Repeat(tuple+", ", k), ", "), rows[:k*width]...); err != nil {
				return err
			}
			keys, rows = keys[k:], rows[k*width:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %d notify groups: %w", len(gs), err)
	}
	return nil
}
