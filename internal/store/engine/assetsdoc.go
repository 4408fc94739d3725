package engine

func init() {
	tableDocs["assets"] = "The asset inventory, one row per device id: what `homesoc assets import` loaded (owner, tags, notes) " +
		"merged with what EDR host records said at ingest (host name, OS, MACs, last seen); see `homesoc assets list`."
	tableDocs["asset_versions"] = "(ClickHouse) Every version of every asset; the view `assets` reads the latest."
}
