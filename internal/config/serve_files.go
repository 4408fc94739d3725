package config

import (
	"fmt"
	"path/filepath"

	"github.com/homesoc/homesoc/internal/parse"
)

// FileSource is a set of files homesoc serve tails.
type FileSource struct {
	// Paths are file names or globs ("/var/log/ulogd/*.log").
	Paths []string `yaml:"paths" json:"paths"`
	// Format is the parser of their lines, or "auto" (the default) to detect it per file.
	Format string `yaml:"format" json:"format"`
}

// checkFileSource adds the errors of file source i.
func (p *parser) checkFileSource(i int, f *FileSource) {
	what := fmt.Sprintf("serve: files %d", i+1)
	if len(f.Paths) == 0 {
		p.add(0, "%s: no paths: list the files (or globs) to tail", what)
	}
	for _, path := range f.Paths {
		if path == "" {
			p.add(0, "%s: an empty path", what)
			continue
		}
		// Match reports a bad pattern whatever the name it is matched against.
		if _, err := filepath.Match(path, ""); err != nil {
			p.add(0, "%s: path %q: %v", what, path, err)
		}
	}
	if f.Format != "" && f.Format != "auto" {
		if _, err := parse.Lookup(f.Format); err != nil {
			p.add(0, "%s: %v", what, err)
		}
	}
}
