package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/chtest"
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

func TestOpenMustExist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := OpenWith(context.Background(), "duckdb", dir, Options{MustExist: true})
	var none *NoDataError
	if !errors.As(err, &none) || none.Dir != dir || none.File != filepath.Join(dir, DuckDBFile) {
		t.Fatalf("error %v, want a NoDataError for %s", err, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data directory was created: %v", err)
	}
	st, err := Open(context.Background(), "duckdb", dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = OpenWith(context.Background(), "duckdb", dir, Options{MustExist: true})
	if err != nil {
		t.Fatalf("once created: %v", err)
	}
	st.Close()
}

// TestOpenMustExistClickHouse: a reader of a ClickHouse database that does
// not exist is told so, and the database is not created.
func TestOpenMustExistClickHouse(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(chtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = fmt.Sprintf("/homesoc_missing_%d", time.Now().UnixNano())
	_, err = OpenWith(ctx, u.String(), "", Options{MustExist: true})
	var none *NoDataError
	if !errors.As(err, &none) || none.File != "" || !strings.Contains(err.Error(), "the database does not exist") {
		t.Fatalf("error %v, want a NoDataError", err)
	}
	st, err := OpenWith(ctx, u.String(), "", Options{MustExist: true}) // still not created
	if err == nil {
		st.Close()
		t.Fatal("the first attempt created the database")
	}
}
