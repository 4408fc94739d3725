package rules

import (
	"slices"
	"strings"
)

// Requirement says what a known `requires` name needs, as a user reads it in
// the note of a skipped rule, and whether the name is known.
func Requirement(name string) (need string, ok bool) {
	switch name {
	case "geoip":
		return "a GeoIP database: --geoip-db FILE or HOMESOC_GEOIP_DB", true
	}
	return "", false
}

// requirementNames are the names Requirement knows, for messages.
var requirementNames = []string{"geoip"}

// parseRequires checks and keeps the requires key: known names, each once.
func (r *Rule) parseRequires(names []string, bad func(key, format string, args ...any)) {
	for _, n := range names {
		if slices.Contains(r.Requires, n) {
			bad("requires", "%q twice in requires", n)
			continue
		}
		if _, ok := Requirement(n); !ok {
			bad("requires", "unknown requirement %q (known: %s)", n, strings.Join(requirementNames, ", "))
			continue
		}
		r.Requires = append(r.Requires, n)
	}
}

// Missing returns what the rule requires that have lacks, in the order the
// rule lists it.
func (r *Rule) Missing(have map[string]bool) []string {
	var out []string
	for _, n := range r.Requires {
		if !have[n] {
			out = append(out, n)
		}
	}
	return out
}
