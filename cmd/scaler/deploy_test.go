package main

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator"
)

// appJSONSchema is Heroku's documented app.json schema, by key and type
// (https://devcenter.heroku.com/articles/app-json-schema).
var appJSONSchema = map[string]string{
	"name": "string", "description": "string", "keywords": "array", "website": "string",
	"repository": "string", "logo": "string", "success_url": "string", "scripts": "object",
	"env": "object", "formation": "object", "image": "string", "addons": "array",
	"buildpacks": "array", "environments": "object", "stack": "string",
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case bool:
		return "boolean"
	case float64:
		return "number"
	}
	return "null"
}

func TestAppJSON(t *testing.T) {
	raw, err := os.ReadFile("../../app.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("app.json: %v", err)
	}
	for k, v := range doc {
		want, known := appJSONSchema[k]
		if !known {
			t.Errorf("app.json key %q is not in Heroku's app.json schema", k)
		} else if got := jsonType(v); got != want {
			t.Errorf("app.json %q is a %s, want a %s", k, got, want)
		}
	}
	if name, _ := doc["name"].(string); name == "" || len(name) > 30 {
		t.Errorf("name %q: want 1 to 30 characters", name)
	}
	for _, k := range []string{"name", "description", "repository", "keywords", "buildpacks", "addons", "env", "formation"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("app.json has no %q", k)
		}
	}
	if !strings.Contains(string(raw), `"heroku/go"`) || !strings.Contains(string(raw), `"scheduler:standard"`) {
		t.Error("app.json must use the heroku/go buildpack and the scheduler:standard add-on")
	}

	// No always-on dyno: every process type is at zero.
	for typ, v := range doc["formation"].(map[string]any) {
		if q, _ := v.(map[string]any)["quantity"].(float64); q != 0 {
			t.Errorf("formation %s runs %v dynos; scaler's own app runs none", typ, q)
		}
	}

	// Every variable it names is one scaler reads, with a description.
	reads := []string{envToken, envApp, envAppName, envAPIURL, envSchedule, envLogLevel}
	env := doc["env"].(map[string]any)
	for name, v := range env {
		if !slices.Contains(reads, name) {
			t.Errorf("app.json names %s, which scaler does not read", name)
		}
		spec, _ := v.(map[string]any)
		if d, _ := spec["description"].(string); len(d) < 20 {
			t.Errorf("env %s needs a description", name)
		}
		if _, ok := spec["value"]; ok && name == envToken {
			t.Error("app.json must not carry a token value")
		}
	}
	if req, _ := env[envToken].(map[string]any)["required"].(bool); !req {
		t.Errorf("%s must be required", envToken)
	}
	if !strings.Contains(env[envToken].(map[string]any)["description"].(string), "--scope write") {
		t.Errorf("%s's description must say how to create a scoped token", envToken)
	}
}

// procfileCommands returns the `TYPE: bin/scaler ...` lines of a file,
// commented examples included.
func procfileCommands(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^(?:#\s*)?([a-z][a-z0-9_-]*):\s*(bin/scaler\b.*)$`)
	out := map[string]string{}
	for _, l := range strings.Split(string(raw), "\n") {
		if m := line.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

// Every scaler command in the Procfile, the README and the deployment
// guide's Procfile examples runs with the real CLI, in a dyno of its type,
// against the emulator. A job command (after --) is replaced by `true`.
func TestProcfileCommandsRun(t *testing.T) {
	cmds := procfileCommands(t, "../../Procfile")
	if cmds["release"] != "bin/scaler check" {
		t.Errorf("the Procfile's release line is %q, want bin/scaler check", cmds["release"])
	}
	for _, doc := range []string{"../../README.md", "../../docs/deploy.md"} {
		for typ, cmd := range procfileCommands(t, doc) {
			cmds[typ+" ("+filepath.Base(doc)+")"] = cmd
		}
	}
	if len(cmds) < 4 {
		t.Fatalf("found only %v", cmds)
	}
	for name, cmd := range cmds {
		t.Run(name, func(t *testing.T) {
			typ, _, _ := strings.Cut(name, " ")
			args := shellSplit(t, cmd)[1:]
			if i := slices.Index(args, "--"); i >= 0 {
				args = append(args[:i+1], "true")
			}
			h := newHarness(t, emulator.Config{Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: typ, Quantity: 1}}}}})
			h.env[envDyno] = typ + ".1"
			if typ == "release" {
				h.env[envDyno] = "release.7"
			}
			if r := h.run(args...); r.code != 0 {
				t.Errorf("%s: %s:\n%s", name, cmd, r)
			}
			if len(h.em.Writes()) > 0 && typ == "release" {
				t.Errorf("the release phase wrote: %+v", h.em.Writes())
			}
		})
	}
}

func TestGoModBuildsOnlyTheBinary(t *testing.T) {
	raw, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// +heroku install ./cmd/scaler\n", "// +heroku goVersion go1.26\n"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("go.mod lacks the buildpack directive %q", want)
		}
	}
}

func TestCompletion(t *testing.T) {
	h := newHarness(t, demoConfig())
	r := h.run("completion", "bash")
	if r.code != 0 {
		t.Fatalf("completion bash:\n%s", r)
	}
	script := filepath.Join(t.TempDir(), "scaler.bash")
	os.WriteFile(script, []byte(r.stdout), 0o644)
	for words, want := range map[string]string{
		"scaler u":          "up",
		"scaler st":         "status",
		"scaler up --dr":    "--dry-run",
		"scaler run --gr":   "--grace",
		"scaler apply --sc": "--schedule",
	} {
		cmd := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=($2); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _scaler; echo "${COMPREPLY[@]}"`, "bash", script, words)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("completing %q = %q (%v), want %q", words, out, err, want)
		}
	}
	if r := h.run("completion", "zsh"); r.code != 0 || !strings.HasPrefix(r.stdout, "#compdef scaler") {
		t.Errorf("completion zsh:\n%s", r)
	}
	if r := h.run("completion", "fish"); r.code != 0 || !strings.Contains(r.stdout, "complete -c scaler") {
		t.Errorf("completion fish:\n%s", r)
	}
	if r := h.run("completion", "powershell"); r.code != 2 || !strings.Contains(r.stderr, `unknown shell \"powershell\"`) {
		t.Errorf("completion powershell:\n%s", r)
	}
}

var releaseDir = flag.String("release-dir", "", "check the binaries that make release wrote there (.ci/run does)")

// maxBinary bounds every released binary: under 10 MB.
const maxBinary = 10_000_000

// The release binaries: three platforms, each under 10 MB, with correct
// SHA-256 sums, trimmed of local paths, and linux/amd64 statically linked.
// .ci/run runs `make release` and then this test on its output.
func TestReleaseBinaries(t *testing.T) {
	if *releaseDir == "" {
		t.Skip("needs -release-dir: .ci/run runs make release, then this test")
	}
	sums, err := os.ReadFile(filepath.Join(*releaseDir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, platform := range []string{"linux-amd64", "linux-arm64", "darwin-arm64"} {
		name := "scaler-" + platform
		bin, err := os.ReadFile(filepath.Join(*releaseDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(bin) >= maxBinary {
			t.Errorf("%s is %d bytes, want under %d", name, len(bin), maxBinary)
		}
		sum := sha256.Sum256(bin)
		if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+name) {
			t.Errorf("SHA256SUMS has no right sum for %s", name)
		}
		root, _ := filepath.Abs("../..")
		if bytes.Contains(bin, []byte(root+"/")) {
			t.Errorf("%s holds the path of the source tree: not built with -trimpath", name)
		}
	}
	f, err := elf.Open(filepath.Join(*releaseDir, "scaler-linux-amd64"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("scaler-linux-amd64 has a %v program header: it is dynamically linked", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("scaler-linux-amd64 needs %v", libs)
	}
}
