package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// deadNotification routes the alerts of data to a webhook on 127.0.0.1 that
// refuses every body (400, for good) and returns the id of one of the dead
// notifications that leaves.
func deadNotification(t *testing.T, data string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad body", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	cfg := filepath.Join(t.TempDir(), "homesoc.yaml")
	yaml := "route:\n  receiver: hook\n  group_by: [rule]\n  group_wait: 0s\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: " + srv.URL + "/hook\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runMain(t, "--store", "duckdb", "--data", data, "--config", cfg, "alerts", "notify", "--wait", "0s")
	if code != 0 {
		t.Fatalf("alerts notify to a webhook answering 400: exit %d\n%s", code, out)
	}
	out, code = runMain(t, "--store", "duckdb", "--data", data, "--json", "notify", "list", "--state", "dead")
	var dead []struct {
		ID        string `json:"id"`
		LastError string `json:"last_error"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &dead); code != 0 || err != nil || len(dead) == 0 {
		t.Fatalf("notify list --state dead: exit %d, %v, want dead notifications:\n%s", code, err, out)
	}
	return dead[0].ID
}
