package syslog

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// util-linux's logger, as a real sender: RFC 5424 (its default) and RFC
// 3164, over UDP, over TCP with line ends and with octet counting.
func TestLogger(t *testing.T) {
	bin, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("logger is not installed")
	}
	cases := []struct {
		network string
		args    []string
		line    string // a regexp the record's Line must match
	}{
		{"udp", nil, `^<13>1 \d{4}-\d\d-\d\dT[0-9:.]+[-+Z][0-9:]* \S+ homesoc-test - - \[timeQuality[^]]*\] hello 1$`},
		{"udp", []string{"--rfc3164"}, `^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ homesoc-test: hello 2$`},
		{"tcp", nil, `^<13>1 \S+ \S+ homesoc-test - - \[timeQuality[^]]*\] hello 3$`},
		{"tcp", []string{"--octet-count"}, `^<13>1 \S+ \S+ homesoc-test - - \[timeQuality[^]]*\] hello 4$`},
		{"tcp", []string{"--rfc3164", "--octet-count"}, `^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ homesoc-test: hello 5$`},
	}
	for i, tc := range cases {
		t.Run(tc.network+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			sink := &collectSink{}
			l, _ := serve(t, Config{Listen: tc.network + "://127.0.0.1:0"}, sink)
			_, port, _ := strings.Cut(l.Addr().String(), "127.0.0.1:")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"--server", "127.0.0.1", "--port", port, "--" + tc.network, "--tag", "homesoc-test"}, tc.args...)
			args = append(args, "hello "+string(rune('1'+i)))
			if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("logger %v: %v\n%s", args, err, out)
			}
			r := sink.wait(t, 1)[0]
			if r.Source != "syslog+"+tc.network+"://127.0.0.1" || r.Reject != "" {
				t.Errorf("record %+v", r)
			}
			if !regexp.MustCompile(tc.line).Match(r.Line) {
				t.Errorf("line %q does not match %s", r.Line, tc.line)
			}
		})
	}
}
