package api

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// spec is docs/openapi.yaml, read once.
var spec = sync.OnceValues(func() (map[string]any, error) {
	b, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, yaml.Unmarshal(b, &m)
})

func loadSpec(t testing.TB) map[string]any {
	t.Helper()
	m, err := spec()
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	return m
}

// TestOpenAPIRoutes: the spec documents exactly the route table's
// (method, path) pairs, each with a summary.
func TestOpenAPIRoutes(t *testing.T) {
	m := loadSpec(t)
	if v := m["openapi"]; v != "3.1.0" {
		t.Errorf("openapi: %v, want 3.1.0", v)
	}
	var documented, served []string
	for path, item := range m["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if s, _ := op.(map[string]any)["summary"].(string); s == "" {
				t.Errorf("%s %s: no summary", method, path)
			}
		}
	}
	for _, rt := range routes {
		served = append(served, rt.method+" "+rt.pattern)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Errorf("docs/openapi.yaml documents\n  %s\nthe route table serves\n  %s", strings.Join(documented, "\n  "), strings.Join(served, "\n  "))
	}
}

// routeOf returns the route pattern req is served by ("" for none), as
// the API's own mux matches it.
var routeOf = sync.OnceValue(func() func(*http.Request) string {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.pattern, func(http.ResponseWriter, *http.Request) {})
	}
	return func(r *http.Request) string {
		_, p := mux.Handler(r)
		if p == "" {
			return ""
		}
		_, path, _ := strings.Cut(p, " ")
		return path
	}
})

// checkSpec fails the test unless the spec documents the reply: its
// status among the operation's responses, and for JSON its top-level keys
// (of each element, for an array) among the schema's properties, with
// every required one present. Requests to no route are not checked.
func checkSpec(t testing.TB, req *http.Request, r reply) {
	t.Helper()
	path := routeOf()(req)
	if path == "" {
		return
	}
	m := loadSpec(t)
	op, _ := dig(m, "paths", path, strings.ToLower(req.Method)).(map[string]any)
	if op == nil {
		t.Errorf("spec: no operation %s %s", req.Method, path)
		return
	}
	resp, _ := dig(op, "responses", strconv.Itoa(r.status)).(map[string]any)
	if resp == nil {
		t.Errorf("spec: %s %s: status %d not documented (body %.200s)", req.Method, path, r.status, r.body)
		return
	}
	resp = resolve(m, resp)
	ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if ct != "application/json" {
		if _, ok := dig(resp, "content", ct).(map[string]any); !ok && len(r.body) > 0 {
			t.Errorf("spec: %s %s %d: content type %q not documented", req.Method, path, r.status, ct)
		}
		return
	}
	schema, _ := dig(resp, "content", "application/json", "schema").(map[string]any)
	if schema == nil {
		t.Errorf("spec: %s %s %d: no JSON schema", req.Method, path, r.status)
		return
	}
	var body any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Errorf("%s %s %d: body not JSON: %v", req.Method, path, r.status, err)
		return
	}
	if err := checkKeys(m, schema, body); err != nil {
		t.Errorf("spec: %s %s %d: %v (body %.300s)", req.Method, path, r.status, err, r.body)
	}
}

// checkKeys checks v's top-level keys against schema.
func checkKeys(m, schema map[string]any, v any) error {
	schema = resolve(m, schema)
	if typ, _ := schema["type"].(string); typ == "array" {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want an array, got %T", v)
		}
		items, _ := schema["items"].(map[string]any)
		for i, e := range list {
			if err := checkKeys(m, items, e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	}
	props, required := properties(m, schema)
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want an object, got %T", v)
	}
	if len(props) == 0 {
		return nil // free-form
	}
	for k := range obj {
		if _, ok := props[k]; !ok {
			return fmt.Errorf("key %q not documented", k)
		}
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			return fmt.Errorf("required key %q missing", k)
		}
	}
	return nil
}

// properties merges the properties and required keys of schema and its
// allOf parts.
func properties(m, schema map[string]any) (map[string]any, []string) {
	props := map[string]any{}
	var req []string
	for k, v := range asMap(schema["properties"]) {
		props[k] = v
	}
	for _, r := range asList(schema["required"]) {
		req = append(req, r.(string))
	}
	for _, part := range asList(schema["allOf"]) {
		p, r := properties(m, resolve(m, part.(map[string]any)))
		for k, v := range p {
			props[k] = v
		}
		req = append(req, r...)
	}
	return props, req
}

// resolve follows $ref within the spec.
func resolve(m, v map[string]any) map[string]any {
	for v != nil {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		var keys []string
		for k := range strings.SplitSeq(strings.TrimPrefix(ref, "#/"), "/") {
			keys = append(keys, k)
		}
		v, _ = dig(m, keys...).(map[string]any)
	}
	return v
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		v = asMap(v)[k]
	}
	return v
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }

// TestCheckSpecFails: the checker itself finds an undocumented key, a
// missing required one and an undocumented status.
func TestCheckSpecFails(t *testing.T) {
	m := loadSpec(t)
	schema := asMap(dig(m, "components", "schemas", "SilencedAlert"))
	if err := checkKeys(m, schema, map[string]any{"id": "x"}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing keys: %v", err)
	}
	a := map[string]any{"nope": 1}
	if err := checkKeys(m, map[string]any{"type": "array", "items": schema}, []any{a}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown key: %v", err)
	}
	if resp := dig(m, "paths", "/api/v1/events", "get", "responses", "418"); resp != nil {
		t.Errorf("418 documented")
	}
}
