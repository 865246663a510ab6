package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// flagTest is notify's flag.
const flagTest = "test"

// notifyOptions is what notify is asked.
type notifyOptions struct {
	Test    bool
	App     string
	Timeout time.Duration
	Args    []string
}

func (a *App) newNotifyCommand(runF func(context.Context, *notifyOptions) error) *command {
	if runF == nil {
		runF = a.runNotify
	}
	return &command{Command: &cli.Command{
		Name:  "notify",
		Usage: "send a test notification to " + envNotify,
		Description: `scaler posts to the webhook in ` + envNotify + ` whatever needs a person: a
job that failed, timed out or could not start and whose type was scaled
down; a scale-down that keeps failing; a once window missed; apply failing
for an app; a missed edge healed late; a person's change kept for more than
a day. The body works as a Slack incoming webhook as it is. --test sends a
test message, to see that it arrives.

Examples:
   $ scaler notify --test
   $ scaler notify --test -a myapp`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flagTest, Usage: "send a test notification"},
			appFlag(),
			timeoutFlag(defaultTimeout),
		},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &notifyOptions{Test: c.Bool(flagTest), App: c.String(flagApp), Timeout: c.Duration(flagTimeout), Args: c.Args().Slice()})
		},
	}}
}

func (a *App) runNotify(ctx context.Context, opts *notifyOptions) error {
	if !opts.Test || len(opts.Args) > 0 {
		return scaler.Errorf(scaler.ErrInvalid, "notify sends a test notification: scaler notify --test")
	}
	n, err := a.checkedNotifier()
	if err != nil {
		return err
	}
	if n == nil {
		return scaler.Errorf(scaler.ErrInvalid, "%s is not set: set it to your webhook's URL (a Slack incoming webhook works as it is)", envNotify)
	}
	ctx, cancel, err := deadline(ctx, opts.Timeout)
	if err != nil {
		return err
	}
	defer cancel()
	// The app names the message, when there is one; one asked for must
	// be a valid name.
	app, err := a.resolveApp(opts.App)
	if err != nil && opts.App != "" {
		return err
	}
	if err := n.Send(ctx, scaler.Event{Kind: scaler.KindTest, App: app, Detail: "sent by scaler notify --test"}); err != nil {
		return webhookError{err}
	}
	_, err = fmt.Fprintf(a.Stdout, "sent a test notification to %s\n", n)
	return err
}

// webhookError is the failure of a notification's webhook, not of the
// API: its hint is the webhook's, whatever the error wraps (a timeout, a
// refusal).
type webhookError struct{ err error }

func (e webhookError) Error() string { return e.err.Error() }
func (e webhookError) Unwrap() error { return e.err }
