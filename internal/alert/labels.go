package alert

import (
	"slices"
	"strings"

	"github.com/homesoc/homesoc/internal/identity"
)

// Labels are the names silences, routes and inhibit rules match an alert
// on, as Alertmanager matches its alerts' labels:
//
//   - rule: the rule's id;
//   - severity: the rule's severity;
//   - status: open, acknowledged or resolved;
//   - every group_by column by its name, with the alert's value (ioc-contact's
//     host, an exposure rule's target, ...);
//   - from the alert's Identity, where no group column of the same name
//     says otherwise (what the rule found wins over what enrichment added):
//     host, the subject address attributed (so `host=192.168.10.41` means
//     one address whatever the rule calls it); and, when the identity is
//     resolved (one candidate), user (the VPN or EDR user, else the
//     device's owner from the inventory), device (the EDR device id) and
//     hostname (the device's name);
//   - tags: the rule's tags, given by the caller (alerts do not store
//     them), sorted and joined by commas: "c2,intel"; match one with
//     tags=~".*intel.*".
//
// A label an alert lacks matches as the empty string.
func (a *Alert) Labels(tags ...string) map[string]string {
	l := make(map[string]string, len(a.Group)+8)
	for k, v := range a.Group {
		l[k] = v
	}
	l["rule"] = a.RuleID
	l["severity"] = a.Severity
	l["status"] = a.Status
	if len(tags) > 0 {
		fill(l, "tags", strings.Join(slices.Compact(slices.Sorted(slices.Values(tags))), ","))
	}
	id := a.Identity
	if id == nil {
		return l
	}
	if id.Addr.IsValid() {
		fill(l, "host", id.Addr.String())
	}
	if id.Status == identity.Resolved && len(id.Candidates) == 1 {
		c := id.Candidates[0]
		user := c.User
		if user == "" {
			user = c.Owner
		}
		fill(l, "user", user)
		fill(l, "device", c.DeviceID)
		fill(l, "hostname", c.Hostname)
	}
	return l
}

// fill sets l[k] to a non-empty v unless l holds k already.
func fill(l map[string]string, k, v string) {
	if _, ok := l[k]; !ok && v != "" {
		l[k] = v
	}
}
