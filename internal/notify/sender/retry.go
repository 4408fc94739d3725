package sender

import (
	"context"
	"fmt"
	"slices"

	"github.com/homesoc/homesoc/internal/notify"
	"github.com/homesoc/homesoc/internal/store"
)

// Retry makes the dead notifications of ids pending and due now ("homesoc
// notify retry ID"), Attempts and LastError kept, with a new Deadline as
// far from now as the first was from its creation (none stays none), and
// returns them. An unknown id is an error wrapping store.ErrNotFound, one
// that is not dead an error too; then nothing changes.
//
// It refuses, naming both, a notification whose integration was since
// delivered a later one (higher Seq) about one of its alerts: sent now,
// the older state would arrive after the newer one (a trigger after its
// resolve: a PagerDuty incident nothing resolves). The group's next
// message carries the alerts' current state instead.
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
		later, alert, err := s.deliveredAfter(ctx, n)
		if err != nil {
			return nil, err
		}
		if later != nil {
			return nil, fmt.Errorf("retry notification %s: notification %s to %s, about the same alert %s, was delivered after it "+
				"(seq %d > %d); sent now the older state would replace the newer one: the group's next message "+
				"(homesoc alerts notify, at its repeat interval) sends its firing alerts' current state", id, later.ID, n.Integration, alert, later.Seq, n.Seq)
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

// deliveredAfter finds the first notification of n's integration with a
// higher Seq that was delivered and shares an alert with n, and that
// alert; nil when there is none. It reads a page at a time.
func (s *Sender) deliveredAfter(ctx context.Context, n notify.Notification) (*notify.Notification, string, error) {
	after := n.Seq
	for {
		page, err := s.st.Notifications(ctx, store.NotificationFilter{Integrations: []string{n.Integration},
			States: []string{notify.StateDelivered}, AfterSeq: after, Limit: s.o.PageSize})
		if err != nil {
			return nil, "", fmt.Errorf("retry notification %s: %w", n.ID, err)
		}
		for i := range page {
			for _, a := range page[i].AlertIDs {
				if slices.Contains(n.AlertIDs, a) {
					return &page[i], a, nil
				}
			}
		}
		if len(page) < s.o.PageSize {
			return nil, "", nil
		}
		after = page[len(page)-1].Seq
	}
}
