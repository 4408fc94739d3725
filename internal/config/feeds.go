package config

// Feed is an intel feed homesoc serve fetches on a schedule (and
// homesoc intel update on demand).
type Feed struct {
	// Name identifies the feed; a built-in feed's name alone enables it.
	Name string `yaml:"name" json:"name"`
}

// checkFeeds adds the errors of the feeds section.
func (p *parser) checkFeeds(fs []Feed) {}
