package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/notify"
	"github.com/scalerdev/scaler/scaler"
)

func (a *App) notifyCommand() *cli.Command {
	return &cli.Command{
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
			&cli.BoolFlag{Name: "test", Usage: "send a test notification"},
			appFlag(),
			timeoutFlag(defaultTimeout),
		},
		Action: func(c *cli.Context) error {
			if !c.Bool("test") || c.Args().Present() {
				return scaler.Errorf(scaler.ErrInvalid, "notify sends a test notification: scaler notify --test")
			}
			n, err := a.notifier()
			if err != nil {
				return err
			}
			if n == nil {
				return scaler.Errorf(scaler.ErrInvalid, "%s is not set: set it to your webhook's URL (a Slack incoming webhook works as it is)", envNotify)
			}
			ctx, cancel, err := deadline(c)
			if err != nil {
				return err
			}
			defer cancel()
			app, _ := a.resolveApp(c) // the app names the message, when there is one
			if err := n.Notify(ctx, notify.Event{Kind: notify.KindTest, App: app, Detail: "sent by scaler notify --test"}); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Stdout, "sent a test notification to %s\n", n)
			return err
		},
	}
}
