package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// feedList is the DROP list feedConfig's server serves.
const feedList = "; Spamhaus DROP List (test)\n198.51.100.0/24 ; SBL000101\n203.0.113.128/25 ; SBL000102\n"

// feedConfig starts a feed server on loopback (/drop.txt, with an ETag;
// /fail answers 500) and writes a config file in a new directory whose
// feeds are drop and, with failing, fail. It returns the file's path.
func feedConfig(t *testing.T, failing bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/drop.txt" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte(feedList))
	}))
	t.Cleanup(srv.Close)
	cfg := "feeds:\n  - name: drop\n    url: " + srv.URL + "/drop.txt\n    format: spamhaus\n"
	if failing {
		cfg += "  - name: fail\n    url: " + srv.URL + "/fail\n    format: csv\n"
	}
	path := filepath.Join(t.TempDir(), "homesoc.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIntelUpdate: a first update loads the feed and keeps its state, a
// second is not modified, --force loads it again storing nothing new; a
// failing feed is in the table and the exit code.
func TestIntelUpdate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cfg := feedConfig(t, true)
	run := func(args ...string) (output, int) {
		return runMain(t, append([]string{"--store", "duckdb", "--data", data, "--config", cfg, "intel", "update"}, args...)...)
	}
	out, code := run("drop")
	if code != 0 || !regexpMatch(`(?m)^drop +loaded +2 +0 +0 +0 +0 +2 +0 `, out.stdout) || !strings.Contains(out.stderr, "fetching drop from http://127.0.0.1:") {
		t.Fatalf("first update: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(data, "feeds", "state.json")); err != nil {
		t.Errorf("no state file: %v", err)
	}
	out, code = run("drop")
	if code != 0 || !regexpMatch(`(?m)^drop +not_modified +0 +0 +0 +0 +0 +- +0 `, out.stdout) {
		t.Errorf("second update: exit %d\n%s", code, out)
	}
	out, code = run("--json", "--force", "drop")
	var rep struct {
		Feeds []struct {
			Feed      string `json:"feed"`
			Status    string `json:"status"`
			Added     int    `json:"added"`
			Unchanged int    `json:"unchanged"`
		} `json:"feeds"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &rep); code != 0 || err != nil || len(rep.Feeds) != 1 || rep.Feeds[0].Status != "loaded" ||
		rep.Feeds[0].Added != 0 || rep.Feeds[0].Unchanged != 2 {
		t.Errorf("forced update: exit %d, %v\n%s", code, err, out)
	}
	out, code = run()
	if code != 1 || !regexpMatch(`(?m)^fail +failed `, out.stdout) || !strings.Contains(out.stdout, "fail failed: feed fail: GET http://127.0.0.1:") ||
		!strings.Contains(out.stderr, "homesoc: 1 of 2 feeds failed") {
		t.Errorf("update with a failing feed: exit %d\n%s", code, out)
	}
}

// TestIntelUpdateErrors: no feeds configured says how to add one; an
// unknown feed lists the configured ones.
func TestIntelUpdateErrors(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, code := runMain(t, "--store", "duckdb", "--data", data, "intel", "update")
	if code != 1 || !strings.Contains(out.stderr, "no feeds configured: add a feeds: section") || !strings.Contains(out.stderr, "    - name: feodo") {
		t.Errorf("no feeds: exit %d\n%s", code, out)
	}
	out, code = runMain(t, "--store", "duckdb", "--data", data, "--config", feedConfig(t, false), "intel", "update", "urlhaus")
	want := `homesoc: unknown feed "urlhaus": the config's feeds are drop; urlhaus is a built-in feed: add "- name: urlhaus" under feeds: in the config to use it`
	if code != 1 || strings.TrimSpace(out.stderr) != want {
		t.Errorf("unknown feed: exit %d\n%s\nwant %s", code, out, want)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
