package sender

import (
	"context"
	"fmt"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
)

// Retry makes the dead notifications of ids pending and due now ("homesoc
// notify retry ID"), Attempts and LastError kept, with a new Deadline as
// far from now as the first was from its creation (none stays none), and
// returns them. An unknown id is an error wrapping store.ErrNotFound, one
// that is not dead an error too; then nothing changes.
func (s *Sender) Retry(ctx context.Context, ids []string) ([]notify.Notification, error) {
	got, err := s.st.Notifications(ctx, store.NotificationFilter{IDs: ids})
	if err != nil {
		return nil, fmt.Errorf("retry notifications: %w", err)
	}
	byID := map[string]notify.Notification{}
	for _, n := range got {
		byID[n.ID] = n
	}
	now := s.o.Now()
	out := make([]notify.Notification, 0, len(ids))
	for _, id := range ids {
		n, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("retry notification %q: %w", id, store.ErrNotFound)
		}
		if n.State != notify.StateDead {
			return nil, fmt.Errorf("retry notification %s: it is %s, not dead", id, n.State)
		}
		if !n.Deadline.IsZero() {
			n.Deadline = store.OutboxTime(now.Add(n.Deadline.Sub(n.CreatedAt)))
		}
		n.State, n.NextAttempt, n.UpdatedAt = notify.StatePending, store.OutboxTime(now), store.OutboxTime(now)
		out = append(out, n)
	}
	if err := s.st.UpdateNotifications(ctx, out); err != nil {
		return nil, fmt.Errorf("retry notifications: %w", err)
	}
	return out, nil
}
