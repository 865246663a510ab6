package main

import (
	"time"

	"github.com/urfave/cli/v2"
)

// The names of the flags that several commands share, and of run's; each
// command's own flags are named next to it.
const (
	flagApp           = "app"
	flagJSON          = "json"
	flagTimeout       = "timeout"
	flagDryRun        = "dry-run"
	flagSchedule      = "schedule"
	flagGrace         = "grace"
	flagFinishTimeout = "finish-timeout"
	flagEvery         = "every"
)

func appFlag() cli.Flag {
	return &cli.StringFlag{Name: flagApp, Aliases: []string{"a"}, Usage: "app to act on (default: $" + envApp + ", then $" + envAppName + ")"}
}

func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: flagJSON, Usage: "print the result as JSON (a failure too: {\"error\": ...})"}
}

func timeoutFlag(d time.Duration) cli.Flag {
	return &cli.DurationFlag{Name: flagTimeout, Value: d, Usage: "deadline for the whole command, retries and waiting included"}
}

func scheduleFlag() cli.Flag {
	return &cli.StringFlag{Name: flagSchedule, Usage: "schedule file (default: $" + envSchedule + ", where ';' also separates lines)", TakesFile: true}
}

// namedOnce returns the flags with each one's names computed once, for
// urfave/cli to parse and run the command: urfave/cli computes a flag's
// names with a regular expression at each call of Names, and calls Names
// for each flag every time it looks one up by name, for every name of
// every flag (a hundred times for up's seven). A flag so named is no longer of its
// type, which arrange's checks and the fish completion read: dispatch names
// the flags of the command it runs once arrange is done. A slice flag stays
// as it is: urfave/cli asks more of it than urfaveFlag (its separator,
// which DisableSliceFlagSeparator turns off).
func namedOnce(flags []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(flags))
	for i, f := range flags {
		out[i] = f
		if names, ok := flagNames(f); ok {
			out[i] = namedFlag{f.(urfaveFlag), names}
		}
	}
	return out
}

// flagNames returns a flag's names, its name and then its aliases, read
// from the flag for the types that namedOnce names (ok), from its Names
// for another. urfave/cli's Names reads them too, through a regular
// expression that cuts a name at a comma or a space (v1's "name, alias"),
// which no flag of scaler's has.
func flagNames(f cli.Flag) (names []string, ok bool) {
	switch f := f.(type) {
	case *cli.BoolFlag:
		return append([]string{f.Name}, f.Aliases...), true
	case *cli.StringFlag:
		return append([]string{f.Name}, f.Aliases...), true
	case *cli.DurationFlag:
		return append([]string{f.Name}, f.Aliases...), true
	case *cli.IntFlag:
		return append([]string{f.Name}, f.Aliases...), true
	case *cli.GenericFlag:
		return append([]string{f.Name}, f.Aliases...), true
	}
	return f.Names(), false
}

// namedFlag is a flag with its names.
type namedFlag struct {
	urfaveFlag
	names []string
}

func (f namedFlag) Names() []string { return f.names }

// urfaveFlag is what urfave/cli asks of a flag as it parses and runs a
// command, or says its help; each flag type that namedOnce names has it
// all.
type urfaveFlag interface {
	cli.DocGenerationFlag
	cli.CategorizableFlag
	cli.RequiredFlag
	cli.ActionableFlag
}
