package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and returns a config or an
// error.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(Example()))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return
		}
		c, err := Parse("f.yaml", data, func(string) (string, bool) { return "x", true })
		if err != nil {
			return
		}
		if c == nil {
			t.Fatal("nil config and no error")
		}
	})
}
