package parse

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// detectLines is how many non-blank lines Detect looks at.
const detectLines = 20

// The registry is filled by the format files' init functions and read-only
// afterwards: the first Lookup, Formats or Detect seals it, and a later
// Register panics, so readers need no lock.
var (
	registry = map[string]Format{}
	sealed   atomic.Bool
	sorted   = sync.OnceValue(func() []Format {
		sealed.Store(true)
		fs := make([]Format, 0, len(registry))
		for _, f := range registry {
			fs = append(fs, f)
		}
		slices.SortFunc(fs, func(a, b Format) int { return strings.Compare(a.Name, b.Name) })
		return fs
	})
)

// Register adds a format to the registry. It must be called from an init
// function: it panics on an empty or duplicate name, a format without New or
// Sniff, or once the registry has been read.
func Register(f Format) {
	switch {
	case f.Name == "":
		panic("parse: Register of a format with an empty name")
	case f.New == nil || f.Sniff == nil:
		panic(fmt.Sprintf("parse: Register of format %q without New or Sniff", f.Name))
	}
	if _, dup := registry[f.Name]; dup {
		panic(fmt.Sprintf("parse: Register called twice for format %q", f.Name))
	}
	if sealed.Load() {
		panic(fmt.Sprintf("parse: Register of format %q after the registry was read; register in init", f.Name))
	}
	registry[f.Name] = f
}

// Lookup returns the format registered under name.
func Lookup(name string) (Format, error) {
	for _, f := range sorted() {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("unknown format %q (one of: %s)", name, knownNames())
}

// Formats returns every registered format, sorted by name. The slice is the
// caller's to keep.
func Formats() []Format {
	return slices.Clone(sorted())
}

// Detect picks the format of an input from its first lines: the format whose
// Sniff matches the most of the first non-blank lines (at most 20). Sniffs
// are specific enough not to overlap, so a tie is reported as an error rather
// than settled arbitrarily.
func Detect(lines [][]byte) (Format, error) {
	fs := sorted()
	counts := make([]int, len(fs))
	n := 0
	for _, line := range lines {
		if n == detectLines {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n++
		for i, f := range fs {
			if f.Sniff(line) {
				counts[i]++
			}
		}
	}
	best, tie := -1, -1
	for i, c := range counts {
		switch {
		case c == 0:
		case best < 0 || c > counts[best]:
			best, tie = i, -1
		case c == counts[best]:
			tie = i
		}
	}
	switch {
	case n == 0:
		return Format{}, fmt.Errorf("cannot detect format of an empty input; pass --format (one of: %s)", knownNames())
	case best < 0:
		return Format{}, fmt.Errorf("cannot detect format from the first %d lines; pass --format (one of: %s)", n, knownNames())
	case tie >= 0:
		return Format{}, fmt.Errorf("cannot detect format from the first %d lines: %s and %s match equally; pass --format",
			n, fs[best].Name, fs[tie].Name)
	}
	return fs[best], nil
}

// knownNames lists the registered format names for error messages.
func knownNames() string {
	fs := sorted()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
