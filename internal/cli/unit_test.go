package cli

import (
	"os"
	"strings"
	"testing"
)

// TestSystemdUnitFlags checks that the systemd unit starts serve with
// flags serve has.
func TestSystemdUnitFlags(t *testing.T) {
	b, err := os.ReadFile("../../docs/debian/homesoc.service")
	if err != nil {
		t.Fatal(err)
	}
	var exec []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			exec = strings.Fields(v)
		}
	}
	if len(exec) < 2 || !strings.HasSuffix(exec[0], "/homesoc") || exec[1] != "serve" {
		t.Fatalf("ExecStart: %q, want homesoc serve ...", exec)
	}
	out, code := runMain(t, append(exec[1:], "--help")...)
	if code != 0 || !strings.Contains(out.stdout, "--log-format") {
		t.Errorf("%v --help: exit %d\n%s", exec[1:], code, out)
	}
}
