// Package rules holds homesoc's built-in detection rules: each NAME.sql is a
// rule (YAML metadata in its leading "-- " comments, then one portable
// SELECT) and NAME.test.yaml its fixture tests. README.md tells rule authors
// the contract; internal/rules loads, lints, runs and tests them.
package rules

import "embed"

// FS holds the built-in rules and their tests, at its root.
//
//go:embed *.sql *.test.yaml
var FS embed.FS
