package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
