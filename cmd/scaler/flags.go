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
