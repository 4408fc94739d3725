package config

// Retention says how long rows are kept; a table left out is kept forever.
type Retention struct{}

// checkRetention adds the errors of the retention section.
func (p *parser) checkRetention(r *Retention) {}
