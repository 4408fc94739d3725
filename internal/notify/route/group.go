package route

import (
	"slices"
	"strconv"
	"strings"
)

// Group returns the group an alert with labels falls in at this route: its
// key, "ROUTE/RECEIVER/{name="value",...}" with the group labels sorted by
// name, and the group labels. The group labels are the route's group_by
// labels the alert has (a label it lacks is left out, as Alertmanager
// does); with group_by ["..."] every label but status, which changes as an
// operator acknowledges or resolves an alert and must not move it to
// another group.
func (n *Node) Group(labels map[string]string) (key string, groupLabels map[string]string) {
	var names []string
	if n.GroupAll {
		names = make([]string, 0, len(labels))
		for k := range labels {
			if k != "status" {
				names = append(names, k)
			}
		}
		slices.Sort(names)
	} else {
		names = n.GroupBy
	}
	groupLabels = make(map[string]string, len(names))
	var b strings.Builder
	b.Grow(len(n.Name) + len(n.Receiver) + 4 + 32*len(names))
	b.WriteString(n.Name)
	b.WriteByte('/')
	b.WriteString(n.Receiver)
	b.WriteString("/{")
	first := true
	for _, k := range names {
		v := labels[k]
		if v == "" {
			continue
		}
		groupLabels[k] = v
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(v))
	}
	b.WriteByte('}')
	return b.String(), groupLabels
}
