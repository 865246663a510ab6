package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	// The v6 client is not used; requiring it keeps its schema.json in the
	// module cache for the conformance test, as v5's is.
	_ "github.com/heroku/heroku-go/v6"
)

// platformSchema is the official Platform API JSON schema shipped in a
// heroku-go module, compiled for validating the emulator's answers.
type platformSchema struct {
	name     string
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

var (
	schemasOnce sync.Once
	schemas     []*platformSchema
	schemasErr  error
)

// loadSchemas loads the v5 schema (what heroku-go v5.5.0 was generated from)
// as it is, and the v6 schema (the API of 2025) strictly: where it marks an
// object strictProperties, the emulator must send exactly its properties.
func loadSchemas(t *testing.T) []*platformSchema {
	t.Helper()
	schemasOnce.Do(func() {
		for _, m := range []struct {
			module string
			strict bool
		}{
			{"github.com/heroku/heroku-go/v5", false},
			{"github.com/heroku/heroku-go/v6", true},
		} {
			s, err := loadSchema(m.module, m.strict)
			if err != nil {
				schemasErr = err
				return
			}
			schemas = append(schemas, s)
		}
	})
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemas
}

func loadSchema(module string, strict bool) (*platformSchema, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return nil, fmt.Errorf("find %s: %v", module, err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "schema.json"))
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	// The $schema keys point at hyper-schema meta-schemas that cannot be
	// fetched here; without them the schema is read as Draft 4.
	walk(doc, func(m map[string]any) {
		delete(m, "$schema")
		if !strict || m["strictProperties"] != true {
			return
		}
		props, ok := m["properties"].(map[string]any)
		if !ok {
			return
		}
		m["additionalProperties"] = false
		var required []any
		for k := range props {
			required = append(required, k)
		}
		if len(required) > 0 {
			m["required"] = required
		}
	})
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	// The schemas' patterns use look-ahead, which Go's RE2 refuses.
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	if err := c.AddResource("schema.json", doc); err != nil {
		return nil, err
	}
	return &platformSchema{name: module, compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
}

type ecmaRegexp struct{ *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.Regexp.MatchString(s)
	return err == nil && ok
}

func walk(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, child := range v {
			walk(child, f)
		}
	case []any:
		for _, child := range v {
			walk(child, f)
		}
	}
}

// validate checks an answer body against a definition (formation, dyno,
// app, account, rate-limit); a list is checked element by element.
func (s *platformSchema) validate(definition string, body []byte) error {
	s.mu.Lock()
	sch, ok := s.compiled[definition]
	if !ok {
		var err error
		sch, err = s.compiler.Compile("schema.json#/definitions/" + definition)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.compiled[definition] = sch
	}
	s.mu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	if isList && len(items) == 0 {
		return fmt.Errorf("empty list: nothing validated")
	}
	for _, item := range items {
		if err := sch.Validate(item); err != nil {
			return err
		}
	}
	return nil
}

// The Platform API answers of a session with the emulator, each checked
// against both schemas.
func TestAnswersMatchPlatformSchemas(t *testing.T) {
	_, url := start(t, Config{
		Apps: []App{{Name: "demo", Formation: []Process{{Type: "web", Quantity: 2}, {Type: "worker", Size: "standard-2x"}}}},
	})
	type call struct {
		method, path, body, definition string
	}
	calls := []call{
		{"GET", "/account", "", "account"},
		{"GET", "/account/rate-limits", "", "rate-limit"},
		{"GET", "/apps/demo", "", "app"},
		{"GET", "/apps/demo/formation", "", "formation"},
		{"GET", "/apps/demo/formation/web", "", "formation"},
		{"PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":1,"size":"Standard-2X"}]}`, "formation"},
		{"PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":"+1"}]}`, "formation"},
		{"PATCH", "/apps/demo/formation/web", `{"quantity":"3","dyno_size":{"name":"performance-m"}}`, "formation"},
		{"GET", "/apps/demo/dynos", "", "dyno"},
		{"GET", "/apps/demo/dynos/web.1", "", "dyno"},
		{"GET", "/dyno-sizes", "", "dyno-size"},
		{"GET", "/dyno-sizes/standard-2x", "", "dyno-size"},
		{"GET", "/dyno-sizes/private-s", "", "dyno-size"}, // cost null
	}
	for _, c := range calls {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			status, body := do(t, url, c.method, c.path, c.body)
			if status/100 != 2 {
				t.Fatalf("%s %s = %d %s", c.method, c.path, status, body)
			}
			for _, s := range loadSchemas(t) {
				if err := s.validate(c.definition, body); err != nil {
					t.Errorf("%s %s does not match %s #/definitions/%s: %v\n%s", c.method, c.path, s.name, c.definition, err, body)
				}
			}
		})
	}
}

// The check would be hollow if the schemas accepted anything.
func TestSchemasRejectWrongShapes(t *testing.T) {
	for _, s := range loadSchemas(t) {
		for _, bad := range []string{
			`[{"quantity":"1","type":"web"}]`,
			`[{"quantity":1,"type":"web","created_at":"yesterday"}]`,
			`[{"quantity":1,"type":"bad type!"}]`,
		} {
			if err := s.validate("formation", []byte(bad)); err == nil {
				t.Errorf("%s accepted %s as a formation", s.name, bad)
			}
		}
		if bad := `[{"name":"Standard-1X","cost":"2500"}]`; s.validate("dyno-size", []byte(bad)) == nil {
			t.Errorf("%s accepted %s as a dyno size", s.name, bad)
		}
	}
}

func do(t *testing.T, url, method, path, body string) (int, []byte) {
	t.Helper()
	return doAccept(t, url, AcceptHeader, method, path, body)
}

// doAccept is do with another Accept header.
func doAccept(t *testing.T, url, accept, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "Bearer test-token")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("%s %s answered %d with a body that is not JSON: %q", method, path, resp.StatusCode, buf.String())
	}
	return resp.StatusCode, buf.Bytes()
}

// With a dyno manager, the dyno answers (a one-off dyno's creation, lists
// of real processes) match both schemas too.
func TestDynoManagerAnswersMatchPlatformSchemas(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\nworker: exec sleep 60\n", "web=1,worker=1", nil)
	calls := []struct {
		method, path, body, definition string
		status                         int
	}{
		{"POST", "/apps/demo/dynos", `{"command":"exec sleep 60","attach":false,"env":{"COLUMNS":"80"},"force_no_tty":true,"size":"standard-1x","time_to_live":1800}`, "dyno", 201},
		{"POST", "/apps/demo/dynos", `{"command":"exec sleep 60","type":"scheduler"}`, "dyno", 201},
		{"GET", "/apps/demo/dynos", "", "dyno", 200},
		{"GET", "/apps/demo/dynos/run.1", "", "dyno", 200},
		{"GET", "/apps/demo/dynos/worker.1", "", "dyno", 200},
	}
	for _, c := range calls {
		status, body := f.do(t, c.method, c.path, c.body)
		if status != c.status {
			t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, status, body, c.status)
		}
		for _, s := range loadSchemas(t) {
			if err := s.validate(c.definition, body); err != nil {
				t.Errorf("%s %s does not match %s #/definitions/%s: %v\n%s", c.method, c.path, s.name, c.definition, err, body)
			}
		}
	}
}
