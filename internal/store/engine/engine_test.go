package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenUnknownStoreRedactsPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://soc:s3cret@db:5432/soc", t.TempDir())
	if err == nil {
		t.Fatal("opened a postgres:// store")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, `unknown --store "postgres://soc:xxxxx@db:5432/soc"`) {
		t.Fatalf("error %q: want the URL with its password redacted", msg)
	}
}

func TestOpenDuckDBInDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, url := range []string{"", "duckdb"} {
		st, err := Open(context.Background(), url, dir)
		if err != nil {
			t.Fatal(err)
		}
		if d := st.Dialect(); d != "duckdb" {
			t.Errorf("--store %q: dialect %q", url, d)
		}
		st.Close()
	}
	if m, _ := filepath.Glob(filepath.Join(dir, DuckDBFile)); len(m) != 1 {
		t.Errorf("no %s in the data directory", DuckDBFile)
	}
}
