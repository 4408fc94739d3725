package cli

import (
	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/store/engine"
	"github.com/homesoc/homesoc/internal/view"
)

func schemaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Describe the tables rules and queries read",
		Long: `Describe every table of the store --store names: its columns, their types and
defaults, and what they mean - the Markdown of docs/schema.md for the embedded
DuckDB store; with a ClickHouse --store, that server's tables and types.`,
		Example: "  homesoc schema\n  homesoc --json schema\n  homesoc --store clickhouse://localhost:9000/homesoc schema",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tables, err := engine.Schema(cmd.Context(), e.store)
			if err != nil {
				return err
			}
			if e.json {
				for i := range tables {
					tables[i].Columns = view.NonNil(tables[i].Columns)
				}
				return e.printJSON(map[string]any{"tables": view.NonNil(tables)})
			}
			_, err = e.stdout.Write([]byte(engine.SchemaMarkdown(tables)))
			return err
		},
	}
}
