package main

import (
	"cmp"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// readme is what the README shows: its `$ scaler ...` examples, the output
// it shows for some of them, and the files they use: schedule.txt, the
// schedule, and others.
type readme struct {
	commands []string
	outputs  map[string]string // command -> the output shown after it
	parts    map[string]string // command -> a part of its output shown after it
	files    map[string]string // name -> content
	// procfiles: emulator command -> the Procfile its page shows before
	// it (<!-- Procfile -->), which it runs.
	procfiles map[string]string
}

// readDoc reads a document's console examples (without their comments),
// each text block marked with a file's name (<!-- schedule.txt -->, <!--
// restart.txt -->), each text block marked <!-- output of the command
// above --> or <!-- part of the output of the command above -->, and the
// Procfile (<!-- Procfile -->) that the emulator commands after it run.
func readDoc(t *testing.T, path string) readme {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := readme{outputs: map[string]string{}, parts: map[string]string{}, files: map[string]string{}, procfiles: map[string]string{}}
	var (
		block, marker, procfile string
		text                    strings.Builder
		inBlock                 bool
	)
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !inBlock && strings.HasPrefix(line, "```"):
			inBlock, block = true, strings.TrimPrefix(line, "```")
			text.Reset()
		case inBlock && line == "```":
			inBlock = false
			name := strings.TrimSuffix(strings.TrimPrefix(marker, "<!-- "), " -->")
			switch {
			case block == "text" && strings.HasSuffix(name, ".txt") && !strings.Contains(name, " "):
				r.files[name] = text.String()
			case block == "text" && name == "Procfile":
				procfile = text.String()
			case block == "text" && marker == "<!-- output of the command above -->":
				r.outputs[r.commands[len(r.commands)-1]] = text.String()
			case block == "text" && marker == "<!-- part of the output of the command above -->":
				r.parts[r.commands[len(r.commands)-1]] = text.String()
			}
			marker = ""
		case inBlock && block == "console" && strings.HasPrefix(line, "$ scaler "):
			cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "$ "), "  #")
			r.commands = append(r.commands, strings.TrimSpace(cmd))
			if procfile != "" && strings.HasPrefix(line, "$ scaler emulator ") {
				r.procfiles[strings.TrimSpace(cmd)] = procfile
			}
		case inBlock:
			text.WriteString(line + "\n")
		case strings.HasPrefix(line, "<!--"):
			marker = strings.TrimSpace(line)
		}
	}
	return r
}

// docs are the README and every page of docs/, whose examples the tests
// run.
func docs(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in docs/: %v", err)
	}
	return append([]string{"../../README.md"}, pages...)
}

// allDocs is the README and every page of docs/, as one.
func allDocs(t *testing.T) readme {
	t.Helper()
	var doc readme
	doc.outputs, doc.parts, doc.files, doc.procfiles = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	for _, path := range docs(t) {
		page := readDoc(t, path)
		doc.commands = append(doc.commands, page.commands...)
		maps.Copy(doc.outputs, page.outputs)
		maps.Copy(doc.parts, page.parts)
		maps.Copy(doc.procfiles, page.procfiles)
		for name, text := range page.files {
			doc.files[name] = cmp.Or(doc.files[name], text)
		}
	}
	return doc
}

// Every example in the README and in docs/ runs, as written, against the
// emulator, in a folder holding the README's schedule.txt; where a page
// shows the output, it is the output. It moves into that folder: the
// examples of the emulator, which need not, run in parallel in
// TestReadmeEmulatorExamples.
func TestReadmeExamples(t *testing.T) {
	doc := allDocs(t)
	schedule := doc.files["schedule.txt"]
	if schedule == "" || len(doc.outputs) == 0 {
		t.Fatalf("the README's schedule or the pages' outputs were not found: %+v", doc)
	}
	for _, line := range doc.commands {
		args := shellSplit(t, line)[1:]
		t.Run(line, func(t *testing.T) {
			switch args[0] {
			case "emulator":
				t.Skip("TestReadmeEmulatorExamples runs the emulator's examples")
			case "demo":
				t.Skip("TestDemoRunsEndToEnd runs the demo")
			}
			dir := t.TempDir()
			for name, text := range doc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			h := newHarness(t, emulator.Config{Apps: []emulator.App{
				{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker", Quantity: 1}, {Type: "nightly"}}},
				{Name: "myapp", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}, {Type: "nightly"}}},
				{Name: "my-app", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}, {Type: "nightly"}}},
			}})
			h.env[envDyno] = "nightly.1"
			h.env[envSchedule] = schedule
			h.env[envNotify] = newReceiver(t).URL + "/hook"
			r := h.run(args...)
			if r.code != 0 {
				t.Errorf("README example %q:\n%s", line, r)
			}
			if want, ok := doc.outputs[line]; ok && r.stdout != want {
				t.Errorf("the README shows, after %q:\n%s\nbut it prints:\n%s", line, want, r.stdout)
			}
			if want, ok := doc.parts[line]; ok && !strings.Contains(r.stdout, want) {
				t.Errorf("the README shows, in the output of %q:\n%s\nbut it prints:\n%s", line, want, r.stdout)
			}
		})
	}
}

// The emulator's examples in the README and in docs/ run as written, each
// in a folder of its own, for what their pages promise (runReadmeEmulator).
func TestReadmeEmulatorExamples(t *testing.T) {
	t.Parallel()
	doc := allDocs(t)
	examples := 0
	for _, line := range doc.commands {
		if args := shellSplit(t, line)[1:]; args[0] == "emulator" {
			examples++
			t.Run(line, func(t *testing.T) {
				t.Parallel()
				runReadmeEmulator(t, args, doc.procfiles[line])
			})
		}
	}
	if examples == 0 {
		t.Fatal("no example of scaler emulator in the README or in docs/")
	}
}

// shellSplit splits a command line as sh does for the README's examples:
// words, and single-quoted strings.
func shellSplit(t *testing.T, line string) []string {
	var words []string
	var word strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, word.String())
				word.Reset()
			}
			inWord = false
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// runReadmeEmulator runs the emulator as a page shows it, on a free port
// instead of the page's (or the default's), and holds it to what the page
// promises of it:
//
//   - with --scheduler, a night of a schedule: with the page's Procfile,
//     the Scheduler's applies succeed, and the job starts in its window,
//     completes, and its type goes back to 0, which later runs in the
//     window leave as it is;
//   - with --procfile, the dyno manager: what the page does to it (its
//     Procfile's worker scaled up, a deploy, a restart, a one-off dyno, a
//     scale-down) happens in its log (cycling, minutes away, is
//     TestCycling's);
//   - without, an API: scaler status against the URL it printed shows its
//     --formation.
//
// Dyno managers run in a directory holding the Procfile (the page's, or
// one with a web and a worker type) and bin/scaler.
func runReadmeEmulator(t *testing.T, args []string, procfile string) {
	listen := false
	for i, a := range args {
		if a == "--listen" {
			args[i+1], listen = "127.0.0.1:0", true
		}
	}
	if !listen {
		args = append(args, "--listen", "127.0.0.1:0")
	}
	if !slices.Contains(args, "--procfile") {
		p := startBinary(t, nil, args...)
		url, ok := strings.CutPrefix(p.line(t), envAPIURL+"=http://127.0.0.1:")
		if !ok {
			t.Fatalf("the emulator printed no %s first:\n%s", envAPIURL, p.stderr)
		}
		r := runBinary(t, map[string]string{envAPIURL: "http://127.0.0.1:" + url, envToken: "any"}, "status", "-a", "demo")
		for _, spec := range strings.Split(args[slices.Index(args, "--formation")+1], ",") {
			typ, n, _ := strings.Cut(spec, "=")
			if !regexp.MustCompile(`(?m)^=== ` + typ + ` \([^)]+\): ` + n + `$`).MatchString(r.stdout) {
				t.Errorf("status against the emulator does not show %s:\n%s", spec, r)
			}
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code, _ := p.wait(t); code != 0 {
			t.Errorf("emulator exit %d:\n%s", code, p.stderr)
		}
		return
	}
	switch {
	case slices.Contains(args, "--scheduler"):
		if procfile == "" {
			t.Fatal("the page shows no Procfile (<!-- Procfile -->) for the night it runs")
		}
		em := startDynoEmulatorAs(t, procfile, args[1:]...)
		readmeNight(t, em)
	default:
		em := startDynoEmulatorAs(t, cmp.Or(procfile, "web: echo \"listening on $PORT\"; exec sleep 60\nworker: bin/scaler run -- sleep 60\n"), args[1:]...)
		readmeDynoManager(t, em)
	}
}

// readmeNight holds a night of the emulator's example to its promises.
func readmeNight(t *testing.T, em *dynoEmulator) {
	t.Helper()
	// The first run, at 02:00 Berlin, starts the job, in its window.
	before := em.log.mark()
	em.log.next(t, `app\[scheduler\.\d+\]: level=info msg=scaled app=demo type=nightly from=0 to=1$`)
	// Two dynos print at once: the job may say it started before the
	// Scheduler run says it scaled.
	em.log.rewindTo(before)
	started := em.log.next(t, `app\[nightly\.1\]: report: started`)
	afterStart := em.log.mark()
	at, err := time.Parse(time.RFC3339Nano, strings.Fields(started)[0])
	if window := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC); err != nil || at.Before(window) || !at.Before(window.Add(3*time.Hour)) {
		t.Errorf("the job started at %v, outside its window (02:00-05:00 CET): %q", at, started)
	}
	em.log.next(t, `app\[nightly\.1\]: level=info msg="job completed" app=demo type=nightly status=0 `)
	em.log.next(t, `app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0$`)
	// A run after it, in the window, leaves it as it is (it may say so
	// before the job's dyno has said that it scaled down).
	em.log.rewindTo(afterStart)
	em.log.next(t, `app\[scheduler\.\d+\]: demo: nightly ran in this window`)
	em.log.waitCount(t, `heroku\[scheduler\.\d+\]: Process exited with status \d+$`, 2)
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
	if n := em.log.count(`heroku\[scheduler\.\d+\]: Process exited with status [1-9]\d*$`); n != 0 {
		t.Errorf("%d Scheduler runs failed:\n%s", n, em.log)
	}
	if n := em.log.count(`heroku\[nightly\.1\]: Starting process`); n != 1 {
		t.Errorf("the job's dyno started %d times, want once:\n%s", n, em.log)
	}
}

// readmeDynoManager does to the dyno manager what the emulator's page
// does, and reads in its log what the page says follows.
func readmeDynoManager(t *testing.T, em *dynoEmulator) {
	t.Helper()
	em.log.next(t, `heroku\[web\.1\]: Starting process with command`)
	if r := runBinary(t, em.env, "up", "worker=1", "-a", "demo"); r.code != 0 {
		t.Fatalf("up:\n%s", r)
	}
	// Each step once the worker's job runs, as a person types them: a
	// restart in the milliseconds between scaler run's start and its job's
	// is another matter (the platform's SIGTERM may miss the job, which
	// then runs until the grace ends it).
	const jobStarted = `app\[worker\.1\]: level=info msg="job started"`
	em.log.next(t, `heroku\[worker\.1\]: Starting process with command`) // worker.1 starts
	em.log.waitCount(t, jobStarted, 1)
	em.api(t, "DELETE", "/apps/demo/dynos") // a deploy restarts every dyno
	em.log.waitCount(t, `heroku\[(web|worker)\.1\]: Restarting$`, 2)
	em.log.waitCount(t, jobStarted, 2)
	em.api(t, "DELETE", "/apps/demo/dynos/worker.1") // one dyno
	em.log.waitCount(t, `heroku\[worker\.1\]: Restarting$`, 2)
	em.log.waitCount(t, jobStarted, 3)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", em.env[envAPIURL]+"/apps/demo/dynos",
		strings.NewReader(`{"command": "bin/scaler status", "time_to_live": 600}`))
	req.Header.Set("Accept", emulator.AcceptHeader)
	req.Header.Set("Authorization", "Bearer any")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("a one-off dyno: %v %v", resp, err)
	}
	resp.Body.Close()
	em.log.next(t, `heroku\[run\.1\]: Starting process with command `+"`bin/scaler status`$") // a one-off run.1
	em.log.next(t, `heroku\[run\.1\]: Process exited with status 0$`)
	if r := runBinary(t, em.env, "down", "worker", "-a", "demo"); r.code != 0 {
		t.Fatalf("down:\n%s", r)
	}
	em.log.next(t, `heroku\[worker\.1\]: State changed from (starting|up) to down$`) // worker.1 is down,
	em.log.next(t, `heroku\[worker\.1\]: Stopping all processes with SIGTERM$`)      // and stopped a second later
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
}

// CI runs the test command the README gives.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	const test = "go test -race ./..."
	if !strings.Contains(string(readme), test+"         # the tests") || !strings.Contains(string(ci), "\n"+test+"\n") {
		t.Errorf("the README and .ci/run must both give %q as the test command", test)
	}
}
