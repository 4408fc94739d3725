package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScanTakesConfigAllow: the config's scan.allow lets homesoc scan a
// loopback target that it refuses without --allow.
func TestScanTakesConfigAllow(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	args := []string{"--store", "duckdb", "--data", data, "scan", "127.0.0.1", "--ports", "1", "--retries", "0", "--no-services", "--no-store"}
	out, code := runMain(t, args...)
	if code == 0 || !strings.Contains(out.stderr, "--allow") {
		t.Fatalf("without the config: exit %d, want a refusal naming --allow\n%s", code, out)
	}
	cfg := filepath.Join(dir, "homesoc.yaml")
	if err := os.WriteFile(cfg, []byte("scan:\n  allow: [127.0.0.0/8]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = runMain(t, append([]string{"--config", cfg}, args...)...)
	if code != 0 || !strings.Contains(out.stdout, "127.0.0.1") {
		t.Fatalf("with scan.allow in the config: exit %d\n%s", code, out)
	}
}

// TestAllowTakesConfigDefaults: exposure allow add takes its author and
// expiry from the config's exposure section when no flag gives them.
func TestAllowTakesConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "homesoc.yaml")
	if err := os.WriteFile(cfg, []byte("exposure:\n  author: it-desk\n  expires: 30d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runMain(t, "--store", "duckdb", "--data", filepath.Join(dir, "data"), "--config", cfg, "--json",
		"exposure", "allow", "add", "--device", "d1", "--port", "443/tcp", "--reason", "test")
	var a struct {
		Author  string    `json:"author"`
		Created time.Time `json:"created"`
		Expires time.Time `json:"expires"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &a); code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if a.Author != "it-desk" || a.Expires.Sub(a.Created) != 30*24*time.Hour {
		t.Errorf("author %q, expires %s after creation; want it-desk, 720h", a.Author, a.Expires.Sub(a.Created))
	}
}
