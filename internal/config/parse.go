package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem of a config file, at a line (0: the file as a whole).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Errors is every problem found in a config file, in line order. Its
// message is one "file:line: what" per line.
type Errors []Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Load reads and checks the config file at path, expanding ${NAME} from
// the process's environment. Relative paths in it (rules.dirs,
// geoip.databases, jsonl_configs[].path) are taken from the file's
// directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(path, data, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	c.resolve(filepath.Dir(path))
	return c, nil
}

// resolve makes the file's relative paths relative to dir, the file's
// directory, so that a config file means the same from any working
// directory.
func (c *Config) resolve(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for i, d := range c.Rules.Dirs {
		c.Rules.Dirs[i] = abs(d)
	}
	for i, d := range c.GeoIP.Databases {
		c.GeoIP.Databases[i] = abs(d)
	}
	for i := range c.Receivers {
		for j := range c.Receivers[i].JSONLConfigs {
			c.Receivers[i].JSONLConfigs[j].Path = abs(c.Receivers[i].JSONLConfigs[j].Path)
		}
	}
}

// Parse reads and checks a config file's data; name is what messages call
// the file. env looks up the ${NAME} references of string values (nil:
// none is set). It returns Errors listing every problem it found.
func Parse(name string, data []byte, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlErr(err)
		return nil, p.errs
	}
	c := &Config{file: name}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		p.expand(root, env)
		p.known(root, reflect.TypeOf(Config{}), "the top level")
		if err := root.Decode(c); err != nil {
			p.yamlErr(err)
		}
	}
	if len(p.errs) == 0 {
		p.check(c)
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	c.fill()
	return c, nil
}

// parser collects the errors of one file.
type parser struct {
	file string
	errs Errors
}

func (p *parser) add(line int, format string, args ...any) {
	p.errs = append(p.errs, Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErr adds yaml.v3's errors as file:line ones.
func (p *parser) yamlErr(err error) {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, m := range msgs {
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			n, _ := strconv.Atoi(g[1])
			p.add(n, "%s", g[2])
			continue
		}
		p.add(0, "%s", strings.TrimPrefix(m, "yaml: "))
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${NAME} in every scalar value under n with the
// variable's value; $${ is a literal ${. Keys are left as written.
func (p *parser) expand(n *yaml.Node, env func(string) (string, bool)) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		v, ok := p.expandString(n.Line, n.Value, env)
		if !ok { // reported: decode it as left out, so that it is not reported again
			n.Tag, n.Value, n.Style = "!!null", "", 0
			return
		}
		n.Value = v
		if n.Style == 0 || n.Style == yaml.FlowStyle {
			n.Tag = "" // typed again from the value, as if written so
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			p.expand(n.Content[i], env)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			p.expand(c, env)
		}
	}
}

func (p *parser) expandString(line int, s string, env func(string) (string, bool)) (string, bool) {
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), ok
		}
		if i > 0 && s[i-1] == '$' { // $${: a literal ${
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			p.add(line, "unterminated ${ (write $${ for a literal ${)")
			return "", false
		}
		name := s[i+2 : i+end]
		s = s[i+end+1:]
		if !envName.MatchString(name) {
			p.add(line, "bad environment variable name %q in ${...}", name)
			ok = false
			continue
		}
		v, set := env(name)
		if !set {
			p.add(line, "environment variable %s is not set", name)
			ok = false
			continue
		}
		b.WriteString(v)
	}
}

// known reports every key of the mappings under n that t (the Go type the
// node decodes into) has no field for; where names the mapping.
func (p *parser) known(n *yaml.Node, t reflect.Type, where string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for _, c := range n.Content {
			p.known(c, t.Elem(), where)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); f.IsExported() && tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				p.add(k.Line, "unknown key %q in %s", k.Value, where)
				continue
			}
			inner := k.Value
			if inner == "routes" {
				inner = "route"
			}
			p.known(n.Content[i+1], ft, inner)
		}
	}
}

// UnmarshalYAML reads a route and remembers its line and its keys.
func (r *Route) UnmarshalYAML(n *yaml.Node) error {
	type plain Route
	err := n.Decode((*plain)(r))
	r.line = n.Line
	r.keys = map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		r.keys[n.Content[i].Value] = true
	}
	return err
}

// Sets reports whether the file gave the route the key (e.g.
// "group_wait"), so that an explicit 0s is told from a key left out.
func (r *Route) Sets(key string) bool { return r.keys[key] }

// UnmarshalYAML reads a receiver and remembers its line.
func (r *Receiver) UnmarshalYAML(n *yaml.Node) error {
	type plain Receiver
	err := n.Decode((*plain)(r))
	r.line = n.Line
	return err
}
