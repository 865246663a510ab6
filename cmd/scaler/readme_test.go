package main

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator"
)

// readmeCommands returns the `$ scaler ...` lines of the README's console
// examples, without their comments.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	inConsole := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```console"):
			inConsole = true
		case strings.HasPrefix(line, "```"):
			inConsole = false
		case inConsole && strings.HasPrefix(line, "$ scaler "):
			cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "$ "), "  #")
			cmds = append(cmds, strings.TrimSpace(cmd))
		}
	}
	if len(cmds) == 0 {
		t.Fatal("no examples found in the README")
	}
	return cmds
}

// Every example in the README runs, as written, against the emulator.
func TestReadmeExamples(t *testing.T) {
	for _, line := range readmeCommands(t) {
		args := shellSplit(t, line)[1:]
		t.Run(line, func(t *testing.T) {
			switch args[0] {
			case "emulator":
				runReadmeEmulator(t, args)
				return
			case "demo":
				t.Skip("TestDemoRunsEndToEnd runs the demo")
			}
			h := newHarness(t, emulator.Config{Apps: []emulator.App{
				{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker", Quantity: 1}, {Type: "nightly"}}},
				{Name: "myapp", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}, {Type: "nightly"}}},
			}})
			h.env[envDyno] = "nightly.1"
			if r := h.run(args...); r.code != 0 {
				t.Errorf("README example %q:\n%s", line, r)
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
// port instead of the README's, and stops it.
func runReadmeEmulator(t *testing.T, args []string) {
	for i, a := range args {
		if a == "--listen" {
			args[i+1] = "127.0.0.1:0"
		}
	}
	p := startBinary(t, nil, args...)
	if first := p.line(t); !strings.HasPrefix(first, envAPIURL+"=http://127.0.0.1:") {
		t.Fatalf("emulator printed %q", first)
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
