package cli

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/geoip"
)

// versionInfo is what homesoc version prints.
type versionInfo struct {
	Version    string `json:"version"`               // the module version, "(devel)" for a build from a checkout
	Commit     string `json:"commit"`                // the VCS revision built, "" when unknown
	CommitTime string `json:"commit_time,omitempty"` // RFC 3339, absent when unknown
	Modified   bool   `json:"modified"`              // the checkout had uncommitted changes
	DuckDB     string `json:"duckdb"`                // the embedded DuckDB's version
	Go         string `json:"go"`
	// GeoIP is the GeoIP databases in effect (see geoip.go), [] for none.
	GeoIP []geoip.Source `json:"geoip"`
	// GeoIPError says why the configured databases do not open.
	GeoIPError string `json:"geoip_error,omitempty"`
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print homesoc's version, commit, DuckDB and Go versions",
		Long: `Print the module version homesoc was built as, the VCS commit it was built
from (with "+modified" when the checkout had uncommitted changes), the version
of the embedded DuckDB, the Go version that built it, and the GeoIP
databases in effect (type and build date). "homesoc --version"
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
	v.GeoIP, v.GeoIPError = e.geoipSources()
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
	switch {
	case v.GeoIPError != "":
		fmt.Fprintf(e.stdout, "geoip   error: %s\n", v.GeoIPError)
	case len(v.GeoIP) == 0:
		fmt.Fprintln(e.stdout, "geoip   none (--geoip-db FILE or HOMESOC_GEOIP_DB)")
	}
	for _, s := range v.GeoIP {
		fmt.Fprintf(e.stdout, "geoip   %s %s (%s)\n", s.Type, s.Built.Format(time.DateOnly), s.Path)
	}
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
