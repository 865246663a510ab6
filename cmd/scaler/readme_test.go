package main

import (
	"cmp"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

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
}

// readDoc reads a document's console examples (without their comments),
// each text block marked with a file's name (<!-- schedule.txt -->, <!--
// restart.txt -->), and each text block marked <!-- output of the command
// above --> or <!-- part of the output of the command above -->.
func readDoc(t *testing.T, path string) readme {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := readme{outputs: map[string]string{}, parts: map[string]string{}, files: map[string]string{}}
	var (
		block, marker string
		text          strings.Builder
		inBlock       bool
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
			case block == "text" && marker == "<!-- output of the command above -->":
				r.outputs[r.commands[len(r.commands)-1]] = text.String()
			case block == "text" && marker == "<!-- part of the output of the command above -->":
				r.parts[r.commands[len(r.commands)-1]] = text.String()
			}
			marker = ""
		case inBlock && block == "console" && strings.HasPrefix(line, "$ scaler "):
			cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "$ "), "  #")
			r.commands = append(r.commands, strings.TrimSpace(cmd))
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

// Every example in the README and in docs/ runs, as written, against the
// emulator, in a folder holding the README's schedule.txt; where a page
// shows the output, it is the output.
func TestReadmeExamples(t *testing.T) {
	var doc readme
	doc.outputs, doc.parts, doc.files = map[string]string{}, map[string]string{}, map[string]string{}
	for _, path := range docs(t) {
		page := readDoc(t, path)
		doc.commands = append(doc.commands, page.commands...)
		maps.Copy(doc.outputs, page.outputs)
		maps.Copy(doc.parts, page.parts)
		for name, text := range page.files {
			doc.files[name] = cmp.Or(doc.files[name], text)
		}
	}
	schedule := doc.files["schedule.txt"]
	if schedule == "" || len(doc.outputs) == 0 {
		t.Fatalf("the README's schedule or the pages' outputs were not found: %+v", doc)
	}
	for _, line := range doc.commands {
		args := shellSplit(t, line)[1:]
		t.Run(line, func(t *testing.T) {
			switch args[0] {
			case "emulator":
				runReadmeEmulator(t, args)
				return
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

// runReadmeEmulator starts the emulator as the README shows it, on a free
// port instead of the README's (or the default's), and stops it. With
// --procfile, it runs in a directory holding a Procfile, and its first dyno
// must start.
func runReadmeEmulator(t *testing.T, args []string) {
	listen := false
	for i, a := range args {
		if a == "--listen" {
			args[i+1], listen = "127.0.0.1:0", true
		}
	}
	if !listen {
		args = append(args, "--listen", "127.0.0.1:0")
	}
	dir := ""
	if slices.Contains(args, "--procfile") {
		dir = t.TempDir()
		procfile := "web: echo \"listening on $PORT\"; exec sleep 60\nworker: bin/scaler run -- sleep 60\n"
		if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startBinaryIn(t, dir, nil, args...)
	if first := p.line(t); !strings.HasPrefix(first, envAPIURL+"=http://127.0.0.1:") {
		t.Fatalf("emulator printed %q", first)
	}
	if dir != "" {
		if line := p.line(t); !strings.HasSuffix(line, " heroku[web.1]: Starting process with command `echo \"listening on $PORT\"; exec sleep 60`") {
			t.Errorf("the dyno manager printed %q first", line)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(t); code != 0 {
		t.Errorf("emulator exit %d:\n%s", code, p.stderr)
	}
}

// CI runs the test command the README gives.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
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
