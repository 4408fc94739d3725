package cli

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"runtime/debug"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
	"github.com/spf13/cobra"
)

// versionInfo is what homesoc version prints.
type versionInfo struct {
	Version    string `json:"version"`               // the module version, "(devel)" for a build from a checkout
	Commit     string `json:"commit"`                // the VCS revision built, "" when unknown
	CommitTime string `json:"commit_time,omitempty"` // RFC 3339, absent when unknown
	Modified   bool   `json:"modified"`              // the checkout had uncommitted changes
	DuckDB     string `json:"duckdb"`                // the embedded DuckDB's version
	Go         string `json:"go"`
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print homesoc's version, commit, DuckDB and Go versions",
		Long: `Print the module version homesoc was built as, the VCS commit it was built
from (with "+modified" when the checkout had uncommitted changes), the version
of the embedded DuckDB, and the Go version that built it. "homesoc --version"
prints the same.`,
		Example: "  homesoc version\n  homesoc --json version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.printVersion(cmd.Context())
		},
	}
}

func (e *env) printVersion(ctx context.Context) error {
	v := readVersion(ctx)
	if e.json {
		return e.printJSON(v)
	}
	commit := v.Commit
	if commit == "" {
		commit = "unknown"
	}
	if v.Modified {
		commit += "+modified"
	}
	if v.CommitTime != "" {
		commit += " (" + v.CommitTime + ")"
	}
	fmt.Fprintf(e.stdout, "homesoc %s\ncommit  %s\nduckdb  %s\ngo      %s\n", v.Version, commit, v.DuckDB, v.Go)
	return nil
}

// readVersion collects the version from the build information and asks
// the embedded DuckDB for its own.
func readVersion(ctx context.Context) versionInfo {
	v := versionInfo{Version: "unknown", Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.CommitTime = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	var err error
	if v.DuckDB, err = duckDBVersion(ctx); err != nil {
		v.DuckDB = "unknown (" + err.Error() + ")"
	}
	return v
}

// duckDBVersion asks an in-memory DuckDB which version it is.
func duckDBVersion(ctx context.Context) (string, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var ver string
	err = db.QueryRowContext(ctx, "SELECT version()").Scan(&ver)
	return ver, err
}
