package silence

import (
	"encoding/json"
	"testing"
)

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		in         string
		name       string
		op         Op
		value      string
		str        string // String()
		err        string
		match, not []string // values it matches and does not
	}{
		{in: "host=192.168.10.41", name: "host", op: OpEqual, value: "192.168.10.41", str: `host="192.168.10.41"`,
			match: []string{"192.168.10.41"}, not: []string{"192.168.10.4", "192.168.10.410", ""}},
		{in: `rule=~"port-.*"`, name: "rule", op: OpRegexp, value: "port-.*", str: `rule=~"port-.*"`,
			match: []string{"port-scan-burst", "port-"}, not: []string{"x-port-scan", "ioc-contact", ""}},
		// Anchored as ^(?:re)$: an alternation does not escape the anchors.
		{in: "rule=~a|b", name: "rule", op: OpRegexp, value: "a|b",
			str: `rule=~"a|b"`, match: []string{"a", "b"}, not: []string{"ab", "xa", "bx", ""}},
		{in: `severity!="low"`, name: "severity", op: OpNotEqual, value: "low", str: `severity!="low"`,
			match: []string{"high", ""}, not: []string{"low"}},
		{in: `user!~".+"`, name: "user", op: OpNotRegexp, value: ".+", str: `user!~".+"`,
			match: []string{""}, not: []string{"anna"}},
		{in: `  user = "anna"  `, name: "user", op: OpEqual, value: "anna", str: `user="anna"`,
			match: []string{"anna"}, not: []string{" anna", "Anna"}},
		{in: `comment="say \"hi\"\\"`, name: "comment", op: OpEqual, value: `say "hi"\`, str: `comment="say \"hi\"\\"`,
			match: []string{`say "hi"\`}},
		{in: `user=`, name: "user", op: OpEqual, value: "", str: `user=""`, match: []string{""}, not: []string{"anna"}},
		{in: `url=http://x/?a=b`, name: "url", op: OpEqual, value: "http://x/?a=b", str: `url="http://x/?a=b"`,
			match: []string{"http://x/?a=b"}},
		{in: "host", err: `matcher "host": no operator: want name=value, name!=value, name=~regex or name!~regex`},
		{in: "host!192", err: `matcher "host!192": no operator: want name=value, name!=value, name=~regex or name!~regex`},
		{in: "=x", err: `matcher "=x": no label name before =`},
		{in: "1host=x", err: `matcher "1host=x": bad label name "1host": want letters, digits and _, not starting with a digit`},
		{in: "ho-st=x", err: `matcher "ho-st=x": bad label name "ho-st": want letters, digits and _, not starting with a digit`},
		{in: `rule=~"port-(.*"`, err: "matcher \"rule=~\\\"port-(.*\\\"\": bad regular expression: error parsing regexp: missing closing ): `^(?:port-(.*)$`"},
		{in: `rule="port`, err: `matcher "rule=\"port": bad quoted value "port: want one double-quoted string with Go escapes`},
		{in: `rule="a" "b"`, err: `matcher "rule=\"a\" \"b\"": bad quoted value "a" "b": want one double-quoted string with Go escapes`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			m, err := ParseMatcher(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ParseMatcher(%q) error = %v, want %s", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMatcher(%q): %v", tc.in, err)
			}
			if m.Name != tc.name || m.Op != tc.op || m.Value != tc.value {
				t.Errorf("ParseMatcher(%q) = %q %q %q, want %q %q %q", tc.in, m.Name, m.Op, m.Value, tc.name, tc.op, tc.value)
			}
			if tc.str != "" && m.String() != tc.str {
				t.Errorf("String() = %s, want %s", m.String(), tc.str)
			}
			back, err := ParseMatcher(m.String())
			if err != nil || back.String() != m.String() {
				t.Errorf("ParseMatcher(String()) = %v, %v: does not read back", back, err)
			}
			for _, v := range tc.match {
				if !m.Matches(v) {
					t.Errorf("%s does not match %q", m, v)
				}
			}
			for _, v := range tc.not {
				if m.Matches(v) {
					t.Errorf("%s matches %q", m, v)
				}
			}
		})
	}
}

func TestMatchersMissingLabels(t *testing.T) {
	labels := map[string]string{"rule": "ioc-contact", "severity": "high", "host": "192.168.10.41"}
	tests := []struct {
		matchers []string
		want     bool
	}{
		{[]string{"rule=ioc-contact"}, true},
		{[]string{"rule=ioc-contact", "severity=high"}, true},
		{[]string{"rule=ioc-contact", "severity=low"}, false},
		{[]string{"rule=ioc-contact", `user=""`}, true},   // missing is ""
		{[]string{"rule=ioc-contact", `user!=""`}, false}, // missing is ""
		{[]string{"rule=ioc-contact", "user!=anna"}, true},
		{[]string{"rule=ioc-contact", "user=~.*"}, true},
		{[]string{"rule=ioc-contact", "user=~.+"}, false},
		{[]string{"rule=ioc-contact", "user!~.+"}, true},
		{[]string{"host=~192\\.168\\.10\\..*"}, true},
		{[]string{"host=~192\\.168\\.10"}, false}, // anchored: a prefix is no match
		{[]string{}, true},
	}
	for _, tc := range tests {
		ms, err := ParseMatchers(tc.matchers)
		if err != nil {
			t.Fatal(err)
		}
		if got := Matchers(ms).Matches(labels); got != tc.want {
			t.Errorf("%v matches = %v, want %v", tc.matchers, got, tc.want)
		}
	}
}

func TestMatcherJSON(t *testing.T) {
	m, err := ParseMatcher(`rule=~"port-.*"`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Matchers{m})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"name":"rule","op":"=~","value":"port-.*"}]`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var back Matchers
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Matches(map[string]string{"rule": "port-scan-burst"}) || back.Matches(map[string]string{"rule": "xport-"}) {
		t.Fatalf("read back %v does not match as it did", back)
	}
	if err := json.Unmarshal([]byte(`[{"name":"rule","op":"=~","value":"("}]`), &back); err == nil ||
		err.Error() != "matcher rule=~\"(\": bad regular expression: error parsing regexp: missing closing ): `^(?:()$`" {
		t.Fatalf("bad stored regex: error = %v", err)
	}
}
