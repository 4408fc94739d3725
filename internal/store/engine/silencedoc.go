package engine

func init() {
	for name, doc := range map[string]string{
		"silences":         "Silences (issue 11): matchers on alerts' labels that mute delivery from starts_at until ends_at; a silenced alert is still stored and listed. Never deleted: `homesoc silence expire` ends one now.",
		"silence_versions": "(ClickHouse) Every version of every silence, expiries included; the view `silences` reads the latest.",
	} {
		tableDocs[name] = doc
	}
}
