package notifytest

import (
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/notify"
)

// Acknowledged is a sample notification of Contact acknowledged by anna.
func Acknowledged(integration string) *notify.Notification {
	a := Contact()
	a.State, a.Change = alert.StatusAcknowledged, notify.ChangeAcknowledged
	a.Labels["status"] = alert.StatusAcknowledged
	a.Last = &alert.Transition{State: alert.StatusAcknowledged, Author: "anna", At: T0.Add(-time.Minute),
		Comment: "looking at kimura's laptop", By: alert.ByOperator}
	return Notification(integration, a)
}

// Resolved is a sample notification of Ticket resolved by a rescan that
// found every port closed.
func Resolved(integration string) *notify.Notification {
	a := Ticket()
	a.State, a.Change = alert.StatusResolved, notify.ChangeResolved
	a.Labels["status"] = alert.StatusResolved
	a.Last = &alert.Transition{State: alert.StatusResolved, Author: "homesoc", At: T0.Add(-2 * time.Minute),
		Comment: "rescan found every port closed", By: alert.ByRescan}
	return Notification(integration, a)
}

// Test is a sample notification of "homesoc notify test": one made-up info
// alert, no console.
func Test(integration string) *notify.Notification {
	a := notify.Alert{
		ID: "00000000-0000-5000-8000-000000000001", Rule: "test", Title: "Test notification from homesoc",
		Severity: "info", State: alert.StatusOpen, Change: notify.ChangeNew,
		Labels:    map[string]string{"rule": "test", "severity": "info", "status": alert.StatusOpen},
		Group:     map[string]string{},
		FirstSeen: T0, LastSeen: T0, Count: 1, Events: 0, Detail: map[string]string{},
		Description: "homesoc notify test sent this message to check the receiver.",
	}
	n := Notification(integration, a)
	n.Message.Test = true
	n.Message.ConsoleURL = ""
	n.Message.ID = "msg-test"
	n.ID = notify.NotificationID(n.Message.ID, integration)
	return n
}

// Samples are the sample notifications every HTTP receiver's golden files
// keep, by name: "firing" (Ticket and Contact), "acknowledged",
// "resolved", "test".
func Samples(integration string) map[string]*notify.Notification {
	return map[string]*notify.Notification{
		"firing":       Notification(integration),
		"acknowledged": Acknowledged(integration),
		"resolved":     Resolved(integration),
		"test":         Test(integration),
	}
}
