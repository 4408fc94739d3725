package engine

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/store"
)

var update = flag.Bool("update", false, "rewrite docs/schema.md from the migrations")

// schemaDoc is docs/schema.md, from this package's directory.
var schemaDoc = filepath.Join("..", "..", "..", "docs", "schema.md")

// TestSchemaDoc fails when docs/schema.md is not what the migrations give
// (run with -update to regenerate it), or when a note names a column or
// table that no longer exists.
func TestSchemaDoc(t *testing.T) {
	tables, err := Schema(context.Background(), "duckdb")
	if err != nil {
		t.Fatal(err)
	}
	got := SchemaMarkdown(tables)
	if *update {
		if err := os.WriteFile(schemaDoc, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaDoc)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s is not what the migrations give: run go test ./internal/store/engine -run TestSchemaDoc -update\n%s",
			schemaDoc, firstDiff(string(want), got))
	}

	cols := map[string]bool{}
	var names []string
	for _, tab := range tables {
		names = append(names, tab.Name)
		for _, c := range tab.Columns {
			cols[tab.Name+"."+c.Name] = true
		}
	}
	for _, name := range store.Tables {
		if !slices.Contains(names, name) {
			t.Errorf("the schema lacks table %s", name)
		}
	}
	for key := range columnDocs {
		if !cols[key] {
			t.Errorf("columnDocs[%q]: no such column", key)
		}
	}
	for name := range tableDocs {
		if !slices.Contains(names, name) && !strings.HasSuffix(name, "_versions") {
			t.Errorf("tableDocs[%q]: no such table", name)
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  file: " + x + "\n  want: " + y
		}
	}
	return ""
}
