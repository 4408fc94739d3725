package config

import (
	"errors"
	"strings"
	"testing"
)

// TestFlowListener checks the flows section of serve: listen HOST:PORT,
// protocol netflow (the default) or sflow.
func TestFlowListener(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	for _, c := range []struct {
		name, flow   string
		wantProtocol string
		errs         []string
	}{
		{"default protocol", `{listen: "127.0.0.1:2055"}`, "netflow", nil},
		{"sflow", `{listen: "[::1]:6343", protocol: sflow}`, "sflow", nil},
		{"every address", `{listen: ":2055", protocol: netflow}`, "netflow", nil},
		{"unknown protocol", `{listen: "127.0.0.1:2055", protocol: jflow}`, "",
			[]string{`serve: flows 1: unknown protocol "jflow" (want netflow or sflow)`}},
		{"no listen", `{protocol: sflow}`, "",
			[]string{"serve: flows 1: listen is required (HOST:PORT, e.g. 127.0.0.1:2055)"}},
		{"no port", `{listen: "127.0.0.1"}`, "",
			[]string{`serve: flows 1: listen "127.0.0.1" is not HOST:PORT`}},
		{"bad port", `{listen: "127.0.0.1:70000"}`, "",
			[]string{`serve: flows 1: listen "127.0.0.1:70000": port "70000" is not a number from 0 to 65535`}},
		{"port word", `{listen: "127.0.0.1:nf"}`, "",
			[]string{`serve: flows 1: listen "127.0.0.1:nf": port "nf" is not a number from 0 to 65535`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			yml := "serve:\n  flows:\n    - " + c.flow + "\n"
			cfg, err := Parse("flows.yaml", []byte(yml), noEnv)
			if c.errs == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.Serve.Flows[0].Protocol; got != c.wantProtocol {
					t.Errorf("protocol %q, want %q", got, c.wantProtocol)
				}
				return
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v, want Errors", err)
			}
			for _, want := range c.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if len(es) != len(c.errs) {
				t.Errorf("%d errors, want %d: %v", len(es), len(c.errs), err)
			}
		})
	}
}
