package notify

import (
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// States of a notification in the outbox.
const (
	// StatePending: not delivered yet; due at NextAttempt (Attempts > 0
	// means earlier attempts failed and it is being retried).
	StatePending = "pending"
	// StateDelivered: the receiver accepted it.
	StateDelivered = "delivered"
	// StateDead: it failed for good (a permanent error, or still failing at
	// its Deadline); "homesoc notify retry ID" makes it pending again.
	StateDead = "dead"
)

// Notification is one message for one integration (one entry of a
// receiver's *_configs), as the durable outbox keeps it: written to the
// store before it is sent, updated after every attempt. The sender delivers
// an integration's notifications one at a time in Seq order, so the changes
// of an alert reach each receiver in the order they happened.
type Notification struct {
	ID string `json:"id"` // NotificationID(Message.ID, Integration): sent as the delivery id
	// Integration names the destination: "RECEIVER/KIND/INDEX", e.g.
	// "soc-pager/pagerduty/0" for the first of soc-pager's
	// pagerduty_configs.
	Integration string    `json:"integration"`
	Receiver    string    `json:"receiver"`
	GroupKey    string    `json:"group_key"`
	AlertIDs    []string  `json:"alert_ids"`
	Message     Message   `json:"message"`
	Seq         int64     `json:"seq"`   // enqueue order: the store numbers notifications above every earlier one
	State       string    `json:"state"` // StatePending, StateDelivered or StateDead
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"` // when a pending one is due
	Deadline    time.Time `json:"deadline"`     // when a pending one still failing goes dead
	LastError   string    `json:"last_error"`   // the latest failure, secrets removed; "" for none
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	DeliveredAt time.Time `json:"delivered_at"` // zero until delivered
}

// NotificationID is the deterministic id of a message's notification for one
// integration: routing the same group state again gives the same id, so the
// outbox stores it once.
func NotificationID(messageID, integration string) string {
	return event.NewID("notification", []byte(messageID+"\x00"+integration)).String()
}

// GroupState is the notification log's entry of one group of one route's
// receiver: when the router first saw the group, and what its last message
// said. A group is sent again only when its alerts changed (after
// group_interval) or its repeat_interval passed.
type GroupState struct {
	Key       string            `json:"key"` // Message.GroupKey
	Receiver  string            `json:"receiver"`
	Labels    map[string]string `json:"labels"`
	CreatedAt time.Time         `json:"created_at"` // first seen by the router: the first message waits group_wait from here
	// SentAt is when the last message was made; zero when none was yet.
	SentAt    time.Time `json:"sent_at"`
	MessageID string    `json:"message_id"` // the last message's id, "" for none
	// Alerts are the alerts of the last message by id, each as
	// AlertFingerprint gives it: what "changed" is measured against.
	Alerts map[string]string `json:"alerts"`
}
