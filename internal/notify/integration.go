package notify

import "strings"

// IntegrationKind is the KIND of an integration named "RECEIVER/KIND/INDEX"
// ("pagerduty" for "soc-pager/pagerduty/0"), read from the right so that a
// receiver name holding "/" does not matter; "" for a name not of that form.
func IntegrationKind(name string) string {
	rest, _, ok := cutLast(name, "/")
	if !ok {
		return ""
	}
	if _, kind, ok := cutLast(rest, "/"); ok {
		return kind
	}
	return ""
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
