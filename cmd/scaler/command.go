package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// command is one of scaler's commands, with the traits that decide how it
// is run, declared with it:
//
//	flags → an options struct → run(ctx, opts) error
//
// Each command's constructor (newUpCommand, newRunCommand, ...) builds its
// *cli.Command, whose action only reads the flags into the command's options
// and calls its run function, which does the work and only returns an
// error; Main reports it, once.
type command struct {
	*cli.Command
	// ownsSignals: the command handles SIGTERM and SIGINT itself, through
	// subscriptions of its own to the run's signal hub (run's job decides
	// what they mean for the job; done must finish the write that stops its
	// own dyno; emulator and demo stop their dynos first, faster at a
	// second one). Every other command stops at the first.
	ownsSignals bool
	// argsInPlace: the command's arguments stay as they are, its flags
	// first (run passes what follows to its job). Every other command takes
	// its flags anywhere among its arguments, as the heroku CLI does
	// (`scaler up worker=1 -a myapp`).
	argsInPlace bool
}

// commands returns scaler's commands, in the order --help lists them.
func (a *App) commands() []*command {
	return []*command{
		a.newScaleCommand(up, nil),
		a.newScaleCommand(scale, nil),
		a.newScaleCommand(down, nil),
		a.newStatusCommand(nil),
		a.newRunCommand(nil),
		a.newDoneCommand(nil),
		a.newApplyCommand(nil),
		a.newPlanCommand(nil),
		a.newCheckCommand(nil),
		a.newNotifyCommand(nil),
		a.newEmulatorCommand(nil),
		a.newDemoCommand(),
		a.newCompletionCommand(),
	}
}

// dispatch runs args (scaler CMD ...) through cmds as Run does through
// scaler's own: the command's flags arranged, then parsed by urfave/cli, then
// its action. scaler check runs the Procfile's calls of scaler through it,
// with commands that only validate (validators).
func (a *App) dispatch(ctx context.Context, cmds []*command, args []string) error {
	if cmd := find(cmds, args); cmd != nil {
		var err error
		if args, err = cmd.arrange(args); err != nil {
			return err
		}
	}
	return a.cli(cmds).RunContext(ctx, args)
}

// find returns the command args name (args[1], by name or alias), or nil.
func find(cmds []*command, args []string) *command {
	if len(args) < 2 {
		return nil
	}
	i := slices.IndexFunc(cmds, func(c *command) bool { return c.HasName(args[1]) })
	if i < 0 {
		return nil
	}
	return cmds[i]
}

// wantsJSON reports whether args ask the command for JSON: its --json (or
// -json, or --json=true) among its flags, before any `--`, as urfave/cli
// reads it; never for a command without the flag.
func (c *command) wantsJSON(args []string) bool {
	if !slices.ContainsFunc(c.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), flagJSON) }) {
		return false
	}
	want := false
	for _, arg := range args[min(2, len(args)):] {
		if arg == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		if !strings.HasPrefix(arg, "-") || name != flagJSON {
			continue
		}
		want = true
		if hasValue {
			want, _ = strconv.ParseBool(value)
		}
	}
	return want
}

// flagInfo is what arrange knows of one of a command's flags.
type flagInfo struct {
	canonical  string
	takesValue bool
	repeats    bool
}

// flagInfos returns the command's flags, --help included, by each of their
// names.
func (c *command) flagInfos() map[string]flagInfo {
	known := map[string]flagInfo{}
	for _, f := range append(c.Flags, cli.HelpFlag) {
		info := flagInfo{canonical: f.Names()[0]}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			info.takesValue = d.TakesValue()
		}
		switch f.(type) {
		case *cli.StringSliceFlag, *cli.IntSliceFlag:
			info.repeats = true
		case *cli.GenericFlag:
			info.repeats = true // scaler's own repeatable flags (--env, --scheduler)
		}
		for _, n := range f.Names() {
			known[n] = info
		}
	}
	return known
}

// ownArgs returns how many of args (what follows the command's name) are
// the command's own: all of them, but for a command that keeps its
// arguments in place (run), only its flags, up to `--` or its first other
// argument, where its job begins.
func (c *command) ownArgs(args []string) int {
	if !c.argsInPlace {
		return len(args)
	}
	known := c.flagInfos()
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return i + 1
		}
		if len(arg) < 2 || arg[0] != '-' {
			return i
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if known[name].takesValue && !hasValue {
			i++
		}
	}
	return len(args)
}

// arrange returns args with the command's flags before its other
// arguments, for urfave/cli v2, which stops reading flags at the first
// argument that is not one. Everything after `--` stays in place. A flag
// given twice is an error unless it may repeat, so that no value is
// silently dropped; so is a flag that takes a value and has none, so that
// it never takes the next argument's.
func (c *command) arrange(args []string) ([]string, error) {
	if c.argsInPlace || c.SkipFlagParsing {
		return args, nil
	}
	known := c.flagInfos()
	rest := args[2:]
	var flags, others []string
	seen := map[string]string{}
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		if arg == "--" {
			others = append(others, rest[i:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			others = append(others, arg)
			continue
		}
		flags = append(flags, arg)
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		info, ok := known[name]
		if !ok {
			continue // urfave/cli reports it, and usageError words it
		}
		if prev, dup := seen[info.canonical]; dup && !info.repeats {
			return nil, scaler.Errorf(scaler.ErrInvalid, "flag --%s given twice (%s and %s)", info.canonical, prev, arg)
		}
		seen[info.canonical] = arg
		if info.takesValue && !hasValue {
			if i+1 >= len(rest) || rest[i+1] == "--" {
				return nil, scaler.Errorf(scaler.ErrInvalid, "flag %s needs a value (%s)", arg, flagExample(info.canonical))
			}
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{}, args[:2]...)
	if _, help := seen["help"]; help {
		// urfave/cli would read the first other argument as a help topic.
		return append(out, "--help"), nil
	}
	out = append(out, flags...)
	return append(out, others...), nil
}

// flagExample shows how a flag takes its value.
func flagExample(name string) string {
	switch name {
	case flagApp:
		return "--app myapp"
	case flagTimeout, flagGrace, flagFinishTimeout:
		return "--" + name + " 30s, 5m"
	case flagEvery:
		return "--every 10m, 1h"
	}
	return "--" + name + " VALUE"
}

// nearest returns the candidate closest to s, by edit distance, when it is
// close enough to be a typo of it.
func nearest(s string, candidates []string) (string, bool) {
	best, bestDist := "", len(s)/2+1
	for _, c := range candidates {
		if d := distance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}

// distance is the Levenshtein distance of two strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// herokuNames are the heroku CLI's commands that scaler has under another
// name.
var herokuNames = map[string]string{
	"ps:scale": "scale", "ps:stop": "down", "ps:restart": "up --restart", "ps:type": "scale TYPE:SIZE", "ps:autoscale": "apply, with a schedule",
	"version": "--version",
}

// unknownCommand says that name is no command of scaler's, with the one it
// most likely meant.
func unknownCommand(cmds []*command, name string) error {
	if alias, ok := herokuNames[name]; ok {
		return scaler.Errorf(scaler.ErrInvalid, "unknown command %q: that is the heroku CLI's; scaler's is %s (see scaler --help)", name, alias)
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Names()...)
	}
	if near, ok := nearest(name, names); ok {
		return scaler.Errorf(scaler.ErrInvalid, "unknown command %q: did you mean %s? (see scaler --help)", name, near)
	}
	return scaler.Errorf(scaler.ErrInvalid, "unknown command %q (see scaler --help)", name)
}

// usageError words urfave/cli's errors about flags as scaler's: flags with
// two dashes, the nearest flag of the command for a typo, and an example of
// a duration.
func usageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	help, whose := "scaler --help", "scaler's"
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		help, whose = "scaler "+c.Command.Name+" --help", c.Command.Name+"'s"
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		for _, f := range c.Command.Flags {
			names = append(names, f.Names()...)
		}
		what := fmt.Sprintf("flag %s is not one of %s", dashed(name), whose)
		if near, ok := nearest(name, names); ok {
			return scaler.Errorf(scaler.ErrInvalid, "%s: did you mean %s? (see %s)", what, dashed(near), help)
		}
		return scaler.Errorf(scaler.ErrInvalid, "%s (see %s)", what, help)
	}
	// invalid boolean value "maybe" for -restart: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		value, flag, _ := strings.Cut(rest, " for -")
		flag, _, _ = strings.Cut(flag, ":")
		return scaler.Errorf(scaler.ErrInvalid, "%s=%s: a switch takes no value, or true or false (see %s)", dashed(flag), strings.Trim(value, `"`), help)
	}
	// invalid value "5" for flag -timeout: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		value, flag, _ := strings.Cut(rest, " for flag -")
		flag, _, _ = strings.Cut(flag, ":")
		if f := flagByName(c, flag); f != nil {
			if _, duration := f.(*cli.DurationFlag); duration {
				return scaler.Errorf(scaler.ErrInvalid, "--%s %s is not a duration: write it with its unit, such as 30s, 5m or 1h30m", flag, value)
			}
		}
		return scaler.Errorf(scaler.ErrInvalid, "--%s %s is not a valid value (see %s)", flag, value, help)
	}
	return scaler.Errorf(scaler.ErrInvalid, "%s", strings.ReplaceAll(msg, " -", " --"))
}

// dashed writes a flag's name as it is typed: -a, --app.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func flagByName(c *cli.Context, name string) cli.Flag {
	for _, f := range c.Command.Flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}
