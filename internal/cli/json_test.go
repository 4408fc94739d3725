package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/upnp/upnptest"
)

// jsonCase is how TestEveryCommandJSON runs one command.
type jsonCase struct {
	// args come after the command's path; "$DATA" is the prepared data
	// directory, "$ALERT" the id of one of its alerts, "$SCAN" of one of
	// its scans and "$TARGET" an address that scan holds, "$ALLOW" the id
	// of an intended port, "$IGD" the URL of a fake UPnP IGD on loopback,
	// "$SILENCE" the id of an active silence, "$TICKET" of an exposure ticket,
	// "$DEAD" of a dead notification, "$FEEDCONFIG" a config file whose
	// feed is served on loopback.
	args      []string
	freshData bool   // run on a new empty data directory instead of the prepared one
	ndjson    bool   // the command streams one JSON document per line (its --help says so)
	notJSON   string // why --json does not apply: the command is not run
}

// jsonCases has an entry for EVERY command that does something (each leaf of
// the command tree), keyed by its path below homesoc. A new command must be
// added here: the test fails on a command missing from this table.
var jsonCases = map[string]jsonCase{
	"demo":           {freshData: true},
	"ingest":         {args: []string{"$DATA/router-firewall.log", "$DATA/conn.log"}},
	"intel load":     {args: []string{"--feed", "feodo", "$DATA/feodo-ipblocklist.json"}},
	"intel list":     {args: []string{"--all"}},
	"intel update":   {args: []string{"--config", "$FEEDCONFIG"}},
	"detect":         {},
	"alerts list":    {},
	"alerts show":    {args: []string{"$ALERT"}},
	"alerts ack":     {args: []string{"$ALERT", "--comment", "on it", "--author", "anna"}},
	"alerts resolve": {args: []string{"$ALERT"}},
	"alerts reopen":  {args: []string{"$ALERT"}},
	"rejects":        {},
	"rules test":     {},
	"rules lint":     {},
	"rules list":     {},
	"version":        {},
	"events":         {},
	"query":          {args: []string{"SELECT count(*) AS n FROM network_events"}},
	"schema":         {},
	"whois":          {args: []string{"172.16.1.10", "--at", "2026-01-10T10:30:00Z"}},

	"scan list":             {},
	"scan show":             {args: []string{"$SCAN"}},
	"scan diff":             {args: []string{"--target", "$TARGET"}},
	"scan import":           {args: []string{"../scan/nmapxml/testdata/homesoc.xml"}},
	"exposure run":          {args: []string{"--allow", "127.0.0.0/8", "--ports", "8080,2323", "--retries", "0"}},
	"exposure allow add":    {args: []string{"--device", "d1", "--port", "443/tcp", "--reason", "test"}},
	"exposure allow list":   {args: []string{"--all"}},
	"exposure allow remove": {args: []string{"$ALLOW"}},
	"exposure upnp":         {args: []string{"--igd", "$IGD"}},
	"exposure rescan":       {args: []string{"$TICKET", "--allow", "127.0.0.0/8", "--retries", "0"}},

	"config example": {},
	"config check":   {},
	"assets import":  {args: []string{"../assets/testdata/home.csv"}},
	"assets list":    {},
	"assets show":    {args: []string{"a11ce0a11ce0a11ce0a11ce0a11ce0a1"}},

	"silence add":    {args: []string{`rule=~"port-.*"`, "--comment", "test", "--duration", "2h"}},
	"silence list":   {args: []string{"--all"}},
	"silence expire": {args: []string{"$SILENCE"}},
	"alerts notify":  {args: []string{"--wait", "0s"}},
	"notify list":    {args: []string{"--failed"}},
	"notify retry":   {args: []string{"$DEAD"}},
	"notify test":    {args: []string{"jsonl"}},
	"retention run":  {args: []string{"--dry-run"}},

	"help":                  {notJSON: "prints a command's help"},
	"serve":                 {notJSON: "runs until stopped; its logs are --log-format json"},
	"completion bash":       {notJSON: "prints a script for the shell to load"},
	"completion fish":       {notJSON: "prints a script for the shell to load"},
	"completion powershell": {notJSON: "prints a script for the shell to load"},
	"completion zsh":        {notJSON: "prints a script for the shell to load"},
}

// snakeCase is the form of every JSON key homesoc prints.
var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestEveryCommandJSON walks the whole command tree and runs every command
// with --json on a data directory the demo filled: each must exit 0 and
// print exactly one JSON document whose keys are snake_case.
func TestEveryCommandJSON(t *testing.T) {
	data := t.TempDir()
	if out, code := runMain(t, "--store", "duckdb", "--data", data, "demo"); code != 0 {
		t.Fatalf("demo to prepare the data directory: exit %d\n%s", code, out)
	}
	out, code := runMain(t, "--store", "duckdb", "--data", data, "--json", "alerts", "list")
	var alerts []struct {
		ID     string `json:"id"`
		RuleID string `json:"rule"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &alerts); code != 0 || err != nil || len(alerts) == 0 {
		t.Fatalf("alerts list after the demo: exit %d, %v, want alerts:\n%s", code, err, out)
	}
	var scans []struct {
		ID      string   `json:"id"`
		Targets []string `json:"targets"`
	}
	out, code = runMain(t, "--store", "duckdb", "--data", data, "--json", "scan", "list")
	if err := json.Unmarshal([]byte(out.stdout), &scans); code != 0 || err != nil || len(scans) == 0 || len(scans[0].Targets) == 0 {
		t.Fatalf("scan list after the demo: exit %d, %v, want scans:\n%s", code, err, out)
	}
	var allowed []struct {
		ID string `json:"id"`
	}
	out, code = runMain(t, "--store", "duckdb", "--data", data, "--json", "exposure", "allow", "list")
	if err := json.Unmarshal([]byte(out.stdout), &allowed); code != 0 || err != nil || len(allowed) == 0 {
		t.Fatalf("exposure allow list after the demo: exit %d, %v, want entries:\n%s", code, err, out)
	}
	out, code = runMain(t, "--store", "duckdb", "--data", data, "silence", "add", "rule=ioc-contact", "--comment", "json test")
	silenceID := strings.TrimSpace(out.stdout) // silence add prints the new id
	if code != 0 {
		t.Fatalf("silence add after the demo: exit %d\n%s", code, out)
	}
	dead := deadNotification(t, data)
	igd := upnptest.NewIGD(t, []scan.PortMapping{{ExternalPort: 8080, Proto: scan.TCP, InternalClient: "192.168.1.2",
		InternalPort: 80, Enabled: true, Description: "test"}})
	ticket := "" // the demo's exposure ticket
	for _, a := range alerts {
		if a.RuleID == "exposure" && ticket == "" {
			ticket = a.ID
		}
	}
	placeholders := strings.NewReplacer("$DATA", data, "$ALERT", alerts[0].ID, "$SCAN", scans[0].ID,
		"$TARGET", scans[0].Targets[0], "$ALLOW", allowed[0].ID, "$IGD", igd.URL, "$SILENCE", silenceID, "$TICKET", ticket, "$DEAD", dead,
		"$FEEDCONFIG", feedConfig(t, false))
	leaves := leafCommands(newRoot(&env{}))
	for name := range jsonCases {
		if !slices.Contains(leaves, name) {
			t.Errorf("jsonCases has %q, which is no command: remove it", name)
		}
	}
	for _, name := range leaves {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			c, ok := jsonCases[name]
			if !ok {
				t.Fatalf("homesoc %s is not in jsonCases (json_test.go): add it with the arguments it needs, so that its --json output is checked", name)
			}
			if c.notJSON != "" {
				t.Skip(c.notJSON)
			}
			dir := data
			if c.freshData {
				dir = filepath.Join(t.TempDir(), "data")
			}
			args := append([]string{"--store", "duckdb", "--data", dir, "--json"}, strings.Fields(name)...)
			for _, a := range c.args {
				args = append(args, placeholders.Replace(a))
			}
			out, code := runMain(t, args...)
			if code != 0 {
				t.Fatalf("homesoc %s: exit %d\n%s", strings.Join(args, " "), code, out)
			}
			docs := []string{out.stdout}
			if c.ndjson {
				docs = strings.SplitAfter(strings.TrimSuffix(out.stdout, "\n"), "\n")
			}
			for i, doc := range docs {
				if err := checkOneDocument(doc); err != nil {
					t.Fatalf("homesoc %s: document %d: %v\nstdout:\n%.2000s", strings.Join(args, " "), i+1, err, out.stdout)
				}
			}
		})
	}
}

// leafCommands lists the path (below the root) of every command that has no
// subcommands.
func leafCommands(root *cobra.Command) []string {
	var out []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() {
			out = append(out, strings.TrimPrefix(c.CommandPath(), root.Name()+" "))
			return
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

type output struct{ stdout, stderr string }

func (o output) String() string { return "stdout:\n" + o.stdout + "\nstderr:\n" + o.stderr }

func runMain(t *testing.T, args ...string) (output, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
	return output{stdout.String(), stderr.String()}, code
}

// checkOneDocument checks that s is exactly one JSON value (an object or a
// list) with snake_case keys throughout.
func checkOneDocument(s string) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("more than one JSON document (or trailing text) at byte %d", dec.InputOffset())
	}
	switch v.(type) {
	case map[string]any, []any:
	default:
		return fmt.Errorf("a bare %T, want an object or a list", v)
	}
	return checkKeys(v, "")
}

func checkKeys(v any, at string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if !snakeCase.MatchString(k) {
				return fmt.Errorf("key %q at %s is not snake_case", k, at)
			}
			if err := checkKeys(val, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, val := range x {
			if err := checkKeys(val, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestCheckOneDocument checks the checker: several documents, text and Go
// field names fail.
func TestCheckOneDocument(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{`{"a_b": [1, {"c": null}]}` + "\n", ""},
		{"[]\n", ""},
		{`{"a": 1}` + "\n" + `{"b": 2}`, "more than one JSON document"},
		{`{"a": 1}` + "\ndone\n", "more than one JSON document"},
		{"3 passed, 0 failed\n", "more than one JSON document"},
		{"ok   rule: test\n", "not JSON"},
		{`{"ID": "x"}`, `key "ID" at  is not snake_case`},
		{`[{"a": {"FirstSeen": 1}}]`, `key "FirstSeen" at [0].a is not snake_case`},
	} {
		err := checkOneDocument(tt.in)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("checkOneDocument(%q) = %v; want %q", tt.in, err, tt.err)
		}
	}
}

// TestEveryCommandRejectsUnknownWords walks the whole command tree: every
// command fails on a word it does not know (a parent with cobra's message
// and a hint, never its help and exit 0), whoever added it.
func TestEveryCommandRejectsUnknownWords(t *testing.T) {
	data := t.TempDir()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		args := append(append([]string{"--store", "duckdb", "--data", data}, path...), "frob")
		out, code := runMain(t, args...)
		if code == 0 {
			t.Errorf("homesoc %s frob: exit 0; want a failure\n%s", strings.Join(path, " "), out)
		}
		if c.HasSubCommands() {
			want := fmt.Sprintf("homesoc: unknown command \"frob\" for %q; run '%s --help' for usage\n", c.CommandPath(), c.CommandPath())
			if out.stderr != want || out.stdout != "" {
				t.Errorf("homesoc %s frob:\n%s\nwant stderr %q and no stdout", strings.Join(path, " "), out, want)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&env{}))
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 10 * time.Minute: "10m", 90 * time.Minute: "1h30m", 30 * time.Second: "30s",
		time.Hour + 30*time.Second: "1h0m30s", 0: "0s", 7 * 24 * time.Hour: "168h",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q; want %q", d, got, want)
		}
		if back, err := time.ParseDuration(want); err != nil || back != d {
			t.Errorf("%q does not parse back to %v: %v, %v", want, d, back, err)
		}
	}
}
