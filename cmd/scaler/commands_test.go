package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// A run builds the command it runs and no other: each name and alias of
// each command builds that command, alone; scaler's help and --version, an
// unknown command and completion, which lists them, build them all.
func TestCommandsARunBuilds(t *testing.T) {
	t.Parallel()
	a := &App{Getenv: func(string) string { return "" }}
	all := a.commands()
	seen := map[string]bool{}
	for i, cmd := range all {
		if cmd.Name != commandNames[i] {
			t.Errorf("commands()[%d] is %s, want %s", i, cmd.Name, commandNames[i])
		}
		for _, name := range cmd.Names() {
			if seen[name] {
				t.Errorf("two commands are named %s", name)
			}
			seen[name] = true
			if got := a.newCommand(name); got == nil || got.Name != cmd.Name {
				t.Errorf("newCommand(%q) builds %v, want %s", name, got, cmd.Name)
			}
			want := 1
			if cmd.listsAll {
				want = len(all)
			}
			if cmds, run := a.commandsFor([]string{"scaler", name, "--help"}); run == nil || run.Name != cmd.Name || len(cmds) != want {
				t.Errorf("scaler %s --help runs %v, built with %d commands; want %s, with %d", name, run, len(cmds), cmd.Name, want)
			}
		}
	}
	for _, args := range [][]string{{"scaler"}, {"scaler", "help", "up"}, {"scaler", "--version"}, {"scaler", "--help", "up"}, {"scaler", "upp", "worker=1"}} {
		if cmds, run := a.commandsFor(args); run != nil || len(cmds) != len(all) {
			t.Errorf("scaler %s runs %v with %d commands, want none with all %d", strings.Join(args[1:], " "), run, len(cmds), len(all))
		}
	}
}

// A command's help is the same whether it is built alone, as when it runs
// (scaler up --help), or with all the others (scaler help up).
func TestHelpOfACommandBuiltAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	a := &App{Getenv: func(string) string { return "" }}
	for _, cmd := range a.commands() {
		for _, name := range cmd.Names() {
			alone, withAll := h.run(name, "--help"), h.run("help", name)
			if alone.code != 0 || alone.stdout == "" || alone.stdout != withAll.stdout || alone.stderr != withAll.stderr {
				t.Errorf("scaler %s --help:\n%s\nscaler help %s:\n%s", name, alone, name, withAll)
			}
		}
	}
}

// flagNames reads each flag's names as urfave/cli's Names computes them.
func TestFlagNames(t *testing.T) {
	t.Parallel()
	a := &App{Getenv: func(string) string { return "" }}
	flags := []cli.Flag{cli.HelpFlag, cli.VersionFlag}
	for _, cmd := range a.commands() {
		flags = append(flags, cmd.Flags...)
	}
	for _, f := range flags {
		if got, _ := flagNames(f); !slices.Equal(got, f.Names()) {
			t.Errorf("flagNames(%s) = %q, want %q", f, got, f.Names())
		}
	}
}

// Nothing runs at program start that a command does not need: no package
// of scaler's builds a table at init (a map, a regular expression, a
// replacer); all their inits allocate is their sentinel errors, 16 bytes
// each (errors.New).
func TestNoTableBuiltAtStart(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary, "--version")
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scaler --version: %v\n%s", err, out)
	}
	seen := 0
	for line := range strings.Lines(string(out)) {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		var pkg string
		var at, clock float64
		var bytes, allocs int
		if _, err := fmt.Sscanf(line, "init %s @%f ms, %f ms clock, %d bytes, %d allocs", &pkg, &at, &clock, &bytes, &allocs); err != nil {
			continue
		}
		seen++
		if (pkg == "main" || strings.HasPrefix(pkg, "github.com/scalerdev/scaler")) && bytes > 16*allocs {
			t.Errorf("the init of %s allocates %d bytes in %d allocations: more than errors", pkg, bytes, allocs)
		}
	}
	if seen == 0 {
		t.Fatalf("GODEBUG=inittrace=1 traced no init:\n%s", out)
	}
}
