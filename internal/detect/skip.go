package detect

import (
	"strings"

	"github.com/homesoc/homesoc/internal/rules"
)

// Runnable splits rs into the rules this run can evaluate, given what it
// has (e.g. "geoip" when a GeoIP database is configured), and a result for
// each rule that needs something it lacks, saying what. Such a rule is not
// run and keeps its watermark, so once what it needs is there it sees the
// data it missed.
func Runnable(rs []*rules.Rule, have map[string]bool) (run []*rules.Rule, skipped []RuleResult) {
	for _, r := range rs {
		missing := r.Missing(have)
		if len(missing) == 0 {
			run = append(run, r)
			continue
		}
		needs := make([]string, 0, len(missing))
		for _, m := range missing {
			need, _ := rules.Requirement(m)
			needs = append(needs, need)
		}
		skipped = append(skipped, RuleResult{Rule: r.ID, UpToDate: true, Skipped: "needs " + strings.Join(needs, "; ")})
	}
	return run, skipped
}

// AddSkipped adds the results of skipped rules (from Runnable) to a pass's.
func (res *Result) AddSkipped(skipped []RuleResult) {
	res.Rules = append(res.Rules, skipped...)
	res.Skipped += len(skipped)
}
