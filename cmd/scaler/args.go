package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// permute moves a command's flags in front of its other arguments, so that
// flags may come before or after the specs, as with the heroku CLI
// (`scaler up worker=1 -a myapp`): urfave/cli v2 stops reading flags at the
// first other argument, and would otherwise take `-a myapp` as two more
// specs. Everything after `--` stays in place. A command that runs another
// program (run) is left alone: its job's flags must reach the job.
//
// A flag given twice is an error unless it may repeat, so that no value is
// silently dropped.
func permute(app *cli.App, args []string) ([]string, error) {
	cmd := findCommand(app, args)
	if cmd == nil || cmd.SkipFlagParsing || cmd.Name == "run" {
		return args, nil
	}
	type flagInfo struct {
		canonical  string
		takesValue bool
		repeats    bool
	}
	known := map[string]flagInfo{}
	for _, f := range append(cmd.Flags, cli.HelpFlag) {
		info := flagInfo{canonical: f.Names()[0]}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			info.takesValue = d.TakesValue()
		}
		switch f := f.(type) {
		case *cli.StringSliceFlag, *cli.IntSliceFlag:
			info.repeats = true
		case *cli.GenericFlag:
			_, info.repeats = f.Value.(*repeated)
		}
		for _, n := range f.Names() {
			known[n] = info
		}
	}

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
			continue // urfave/cli reports it, with the usage error's exit code
		}
		if prev, dup := seen[info.canonical]; dup && !info.repeats {
			return nil, scaler.Errorf(scaler.ErrInvalid, "flag %s given twice (%s and %s)", "--"+info.canonical, prev, arg)
		}
		seen[info.canonical] = arg
		if info.takesValue && !hasValue && i+1 < len(rest) {
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
