package store

import (
	"context"

	"github.com/homesoc/homesoc/internal/notify"
)

// NotifyStore keeps the durable outbox (issue 11): every notification is
// written here before it is sent and updated after each attempt; and the
// notification log, the state of each group the router has seen. Every
// engine implements it as part of Store.
type NotifyStore interface {
	// Enqueue stores the notifications whose ID is not stored yet, numbering
	// them (Seq) above every notification stored before, in the order given,
	// and returns how many it added. Enqueueing the same notification twice
	// (a crash between the write and the notification log's) stores it once.
	Enqueue(ctx context.Context, ns []notify.Notification) (added int, err error)
	// Notifications lists the notifications f selects, by Seq.
	Notifications(ctx context.Context, f NotificationFilter) ([]notify.Notification, error)
	// UpdateNotifications saves the delivery state of notifications by ID:
	// State, Attempts, NextAttempt, Deadline, LastError, UpdatedAt and
	// DeliveredAt. An unknown ID is an error wrapping ErrNotFound.
	UpdateNotifications(ctx context.Context, ns []notify.Notification) error
	// NotificationCounts returns how many notifications the outbox holds in
	// each state (notify.StatePending, StateDelivered, StateDead); a state
	// none is in is absent.
	NotificationCounts(ctx context.Context) (map[string]int64, error)
	// NotifyGroups returns the notification log: every group's state.
	NotifyGroups(ctx context.Context) ([]notify.GroupState, error)
	// SaveNotifyGroups saves group states, replacing those of the same Key.
	SaveNotifyGroups(ctx context.Context, gs []notify.GroupState) error
}

// NotificationFilter selects notifications: each field that is set narrows
// the selection (a list matches any of its values); the zero filter selects
// every notification.
type NotificationFilter struct {
	IDs          []string // whole ids
	States       []string // notify.StatePending, StateDelivered, StateDead
	Integrations []string // "soc-pager/pagerduty/0"
	Receivers    []string // receiver names
	AfterSeq     int64    // Seq above this (paging by Seq); 0: any
	Limit        int      // at most this many, lowest Seq first; 0: all
}
