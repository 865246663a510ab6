package main

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
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
	t.Parallel()
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

// Every scaler command in the Procfile, and in the Procfile examples of
// the README and docs/, runs with the real CLI, in a dyno of its type,
// against the emulator. A job command (after --) is replaced by `true`.
func TestProcfileCommandsRun(t *testing.T) {
	t.Parallel()
	cmds := procfileCommands(t, "../../Procfile")
	if cmds["release"] != "bin/scaler check" {
		t.Errorf("the Procfile's release line is %q, want bin/scaler check", cmds["release"])
	}
	for _, doc := range docs(t) {
		for typ, cmd := range procfileCommands(t, doc) {
			cmds[typ+" ("+filepath.Base(doc)+")"] = cmd
		}
	}
	if len(cmds) < 4 {
		t.Fatalf("found only %v", cmds)
	}
	for name, cmd := range cmds {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// The deployment guide's troubleshooting table shows what scaler prints:
// each row's message is provoked here against the emulator and found in
// stderr. A "…" in the guide stands for text that varies.
func TestTroubleshootingTable(t *testing.T) {
	t.Parallel()
	guide, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	unavailable := emulatortest.Fault{Status: 503, ID: "service_unavailable", Message: "The service is unavailable."}
	rows := []struct {
		prints string
		fault  *emulatortest.Fault
		env    map[string]string
		args   []string
		code   int
	}{
		{"`401 unauthorized: Invalid credentials provided.`", nil, map[string]string{envToken: "HRKU-revoked"}, []string{"up", "worker=1"}, 3},
		{"`403 forbidden: You do not have access to the app`", &emulatortest.Fault{Method: "PATCH", Status: 403, ID: "forbidden", Message: "You do not have access to the app my-app."}, nil, []string{"up", "worker=1"}, 3},
		{"`403 two_factor`", &emulatortest.Fault{Status: 403, ID: "two_factor", Message: "Invalid two-factor code."}, nil, []string{"up", "worker=1"}, 3},
		{"`app my-app not found, or the token's account cannot see it`", nil, nil, []string{"up", "worker=1"}, 4},
		{"`app my-app has no process type wrker (it has: web, worker)`", nil, nil, []string{"up", "wrker=1"}, 4},
		{"`422 invalid_params: Cannot update to more than 1 Basic size dynos per process type.`", nil, nil, []string{"scale", "web=2:basic"}, 1},
		{"`429 rate_limit` … `(after 6 attempts)`", &emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"}, nil, []string{"up", "worker=1"}, 1},
		{"`503 service_unavailable` … `(after 6 attempts)`", &unavailable, nil, []string{"up", "worker=1"}, 1},
		{"`502 Bad Gateway: the API answered with a body that is not JSON`", &emulatortest.Fault{Status: 502, Body: emulatortest.HTMLErrorPage}, nil, []string{"up", "worker=1"}, 1},
		{"`the change may or may not have landed`", &emulatortest.Fault{Method: "PATCH", After: true, Reset: true, Times: 1}, nil, []string{"scale", "web+1"}, 1},
		{"`msg=\"scale-down failed\"` … `retry_in=`", &emulatortest.Fault{Method: "PATCH", Status: 503, ID: "service_unavailable", Message: "down"}, map[string]string{envDyno: "web.1"},
			[]string{"run", "--finish-timeout", "3s", "--", "true"}, 1}, // time for a first attempt, however loaded the machine
		{"`msg=\"job not started\"`", nil, map[string]string{envDyno: "worker.1"}, []string{"run", "--grace", "30s", "--", "true"}, 2},
		{"`msg=\"notifications off\"`", nil, map[string]string{envNotify: "http://hooks.example.com/x", envSchedule: "worker default 1"}, []string{"apply"}, 0},
		{"`no answer from …, the API that HEROKU_HOST names`", nil, map[string]string{envAPIURL: "", envHost: "http://127.0.0.1:1"}, []string{"up", "worker=1"}, 1},
		{"`HEROKU_API_KEY is not set`", nil, map[string]string{envToken: ""}, []string{"up", "worker=1"}, 2},
		{"`refusing API URL \"http://…\": plain http would send the token in clear text`", nil, map[string]string{envAPIURL: "http://api.example.com"}, []string{"up", "worker=1"}, 2},
	}
	for _, row := range rows {
		t.Run(row.prints, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(string(guide), row.prints) {
				t.Fatalf("the guide's table does not show %s", row.prints)
			}
			name := "my-app"
			if row.code == 4 && strings.Contains(row.prints, "not found") {
				name = "other-app" // so that my-app is not found
			}
			h := newHarness(t, emulator.Config{Apps: []emulator.App{{Name: name, Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}})
			h.env[envApp] = "my-app"
			for k, v := range row.env {
				h.env[k] = v
			}
			if row.fault != nil {
				h.em.Inject(*row.fault)
			}
			r := h.run(row.args...)
			stderr := strings.ReplaceAll(r.stderr, `\"`, `"`)
			if row.code != r.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, row.code, r)
			}
			for _, part := range strings.FieldsFunc(row.prints, func(r rune) bool { return r == '`' || r == '…' }) {
				if part = strings.TrimSpace(part); part != "" && !strings.Contains(stderr, part) {
					t.Errorf("scaler does not print %q:\n%s", part, r.stderr)
				}
			}
		})
	}
}

// procfileLines returns the findings of check's Procfile part in its
// output, by status.
func procfileLines(out string) map[string][]string {
	lines := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		if status, rest, ok := strings.Cut(l, " "); ok && strings.HasPrefix(strings.TrimSpace(rest), "procfile ") {
			lines[status] = append(lines[status], l)
		}
	}
	return lines
}

// From a fresh clone, with nothing configured, scaler check reads the
// repository's own Procfile and finds its scaler lines sound (the rest of
// the check fails: there is no token); so do the Procfile examples in its
// comments and in the README and docs/, each page's as a Procfile of its
// own. Through the binary, as a user runs it.
func TestRepositoryProcfilePassesCheck(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	r := result{}
	p := startBinaryIn(t, root, nil, "check")
	r.code, r.stdout = p.wait(t)
	r.stderr = p.stderr.String()
	found := procfileLines(r.stdout)
	if r.code != 2 || !strings.Contains(r.stdout, "ok    procfile   Procfile:4: release: scaler check\n") || len(found) != 1 || len(found["ok"]) != 1 {
		t.Errorf("check in a fresh clone: want exit 2 (no token) and one sound Procfile line:\n%s", r)
	}

	sources := append([]string{filepath.Join(root, "Procfile")}, docs(t)...)
	for _, src := range sources {
		examples := procfileCommands(t, src)
		if len(examples) == 0 {
			continue
		}
		t.Run(filepath.Base(src), func(t *testing.T) {
			var procfile strings.Builder
			for typ, cmd := range examples {
				procfile.WriteString(typ + ": " + cmd + "\n")
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			p := startBinaryIn(t, dir, map[string]string{envApp: "demo"}, "check")
			_, out := p.wait(t)
			if found := procfileLines(out); len(found["ok"]) != len(examples) || len(found) != 1 {
				t.Errorf("the examples of %s, as a Procfile:\n%s\ncheck says:\n%s", src, procfile.String(), out)
			}
		})
	}
}

// A person's mistake in the Procfile, `report: bin/scaler run --grace 30s
// -- ...`, is caught at deploy: the release phase's `scaler check`, run in
// the slug, fails on the line, before any request. Deployed anyway, the
// dyno says why its job did not start and notifies each time it starts;
// the platform restarts it, with back-off. Through the binary, in the dyno
// manager.
func TestProcfileMistakeCaughtAtDeployAndNeverSilent(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	em := startDynoEmulator(t, "release: bin/scaler check\nweb: exec sleep 60\nreport: bin/scaler run --grace 30s -- echo report\n",
		"--formation", "web=1,report=0", "--env", envToken+"="+testToken, "--env", envNotify+"="+rcv.URL+"/services/T000/B000/secret",
		"--boot-delay", "50ms", "--restart-delay", "1m")

	// The release phase: the slug's Procfile, in a release dyno.
	env := maps.Clone(em.env)
	env[envDyno], env[envAppName] = "release.2", "demo"
	p := startBinaryIn(t, em.dir, env, "check")
	code, out := p.wait(t)
	if code != 2 || !strings.Contains(out, "fail  procfile   Procfile:3: report: --grace 30s: want more than 0 and less than 30s") ||
		!strings.Contains(out, "hint: fix the line in Procfile and deploy again: a dyno of report would exit 2 at each start") ||
		!strings.Contains(out, "ok    procfile   Procfile:1: release: scaler check\n") {
		t.Errorf("the release phase's check: exit %d:\n%s%s", code, out, p.stderr)
	}

	// Deployed anyway: each start of report.1 fails, says why, and
	// notifies; the platform restarts it at once, then after its cool-off.
	if r := runBinary(t, em.env, "up", "report=1"); r.code != 0 {
		t.Fatalf("up:\n%s", r)
	}
	for range 2 {
		em.log.next(t, `heroku\[report\.1\]: Starting process with command `+"`bin/scaler run --grace 30s -- echo report`$")
		line := em.log.next(t, `app\[report\.1\]: level=error`)
		if !strings.Contains(line, `level=error msg="job not started" app=demo type=report hint="fix what the error says`) || !strings.Contains(line, `err="--grace 30s: want more than 0 and less than 30s`) {
			t.Errorf("report.1 says %q", line)
		}
		em.log.next(t, `heroku\[report\.1\]: Process exited with status 2$`)
		em.log.next(t, `heroku\[report\.1\]: State changed from (starting|up) to crashed$`)
	}
	if got := rcv.events(); len(got) != 1 || got["job_not_started"] == nil || strings.Count(rcv.all(), `"event":"job_not_started"`) != 2 {
		t.Errorf("want a job_not_started notification for each start, got:\n%s", rcv.all())
	}
	if em.log.has(`app\[report\.1\]: report$`) {
		t.Errorf("the job ran:\n%s", em.log)
	}
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
}
