package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// mention is "homesoc" as a command: at the start of a snippet or after a
// space or quote, followed by a space or the end (not cmd/homesoc or
// homesoc.duckdb).
var mention = regexp.MustCompile(`(?:^|[\s"'(])homesoc(?:\s|$)`)

// codeSpan is inline code in markdown.
var codeSpan = regexp.MustCompile("`([^`\n]+)`")

// TestDocumentedCommandsExist checks that every homesoc command the README,
// rules/README.md, a built-in rule's description or runbook, or a command's
// examples name is a command of the tree, with flags it has.
func TestDocumentedCommandsExist(t *testing.T) {
	root := newRoot(&env{})
	type snippet struct{ where, text string }
	var snippets []snippet
	for _, md := range []string{"../../README.md", "../../rules/README.md"} {
		b, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for i, line := range strings.Split(string(b), "\n") {
			where := fmt.Sprintf("%s:%d", strings.TrimPrefix(md, "../../"), i+1)
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			if fenced {
				snippets = append(snippets, snippet{where, line})
				continue
			}
			for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
				snippets = append(snippets, snippet{where, m[1]})
			}
		}
	}
	sqls, err := filepath.Glob("../../rules/*.sql")
	if err != nil || len(sqls) == 0 {
		t.Fatalf("no built-in rules found: %v", err)
	}
	for _, f := range sqls {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			snippets = append(snippets, snippet{fmt.Sprintf("rules/%s:%d", filepath.Base(f), i+1), line})
		}
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for i, line := range strings.Split(c.Example, "\n") {
			snippets = append(snippets, snippet{fmt.Sprintf("example %d of %q", i+1, c.CommandPath()), line})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	found := 0
	for _, s := range snippets {
		for _, loc := range mention.FindAllStringIndex(s.text, -1) {
			rest := s.text[loc[1]:]
			if i := strings.IndexAny(rest, "|;`&\"'"); i >= 0 { // the end of this command line
				rest = rest[:i]
			}
			found++
			if err := resolveCommand(root, strings.Fields(rest)); err != nil {
				t.Errorf("%s: homesoc %s: %v", s.where, strings.TrimSpace(rest), err)
			}
		}
	}
	if found < 10 {
		t.Errorf("found %d homesoc commands in the docs; the scan is broken", found)
	}
}

// resolveCommand follows words through the command tree as cobra would,
// skipping flags (and their values), and fails on an unknown command or
// flag. What follows a command without subcommands, or what a command with
// subcommands takes as arguments, is its arguments.
func resolveCommand(root *cobra.Command, words []string) error {
	cmd := root
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") && w != "-" { // "-" is stdin
			name, _, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := cmd.Flags().Lookup(name)
			if f == nil {
				f = cmd.PersistentFlags().Lookup(name)
			}
			if f == nil {
				f = cmd.InheritedFlags().Lookup(name)
			}
			if f == nil {
				return fmt.Errorf("%q has no flag --%s", cmd.CommandPath(), name)
			}
			if !hasValue && f.Value.Type() != "bool" {
				i++
			}
			continue
		}
		if !cmd.HasSubCommands() {
			return nil
		}
		var next *cobra.Command
		for _, sub := range cmd.Commands() {
			if sub.Name() == w || sub.HasAlias(w) {
				next = sub
			}
		}
		if next == nil && cmd.Args != nil && cmd.Args(cmd, words[i:]) == nil {
			return nil // arguments of a command that has subcommands too ("scan TARGET")
		}
		if next == nil {
			return fmt.Errorf("%q has no command %q", cmd.CommandPath(), w)
		}
		cmd = next
	}
	return nil
}
