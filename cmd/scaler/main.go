// Command scaler scales a Heroku app's dyno formation from inside a dyno,
// through the Platform API: `scaler up worker=1` before a long job, `scaler
// run -- JOB` to send the formation back to zero when the job is done, and
// `scaler apply` to keep a time-of-day schedule.
//
// main only turns signals into a channel, runs the App and owns os.Exit;
// everything else is in App, which tests drive with their own streams.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(Main())
}

// Main runs scaler with the process's arguments, environment, streams and
// signals, and returns its exit code.
func Main() int {
	app := &App{
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
		Environ: os.Environ,
		Signals: processSignals(),
	}
	return app.Main(context.Background(), os.Args)
}
