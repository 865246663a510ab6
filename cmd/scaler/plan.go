package main

import (
	"context"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// maxPlanDays bounds --days: ten years of charts is already more than a
// person reads.
const maxPlanDays = 3660

func (a *App) newPlanCommand(runF func(context.Context, *cli.Context) error) *command {
	return &command{Command: &cli.Command{
		Name:  "plan",
		Usage: "preview a schedule: every change, DST days, a chart per type, and the dyno-hours saved",
		Description: `Validates the schedule, then shows every instant at which it changes the
formation (in the rule's local time and in UTC), the days a time zone skips
or repeats an hour, a chart per process type, and the dyno-hours per type
against keeping each type at its peak all the time. It sends no request.

Examples:
   $ scaler plan
   $ scaler plan --schedule schedule.txt --from 2026-12-21 --days 14
   $ scaler plan --json`,
		Flags: []cli.Flag{
			scheduleFlag(),
			&cli.StringFlag{Name: "from", Usage: "first day, YYYY-MM-DD, from midnight in the schedule's first time zone (default: now)"},
			&cli.IntFlag{Name: "days", Value: 7, Usage: "how many days to show"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return scaler.Errorf(scaler.ErrInvalid, "plan takes no arguments, got %q", c.Args().First())
			}
			days := c.Int("days")
			if days < 1 || days > maxPlanDays {
				return scaler.Errorf(scaler.ErrInvalid, "--days %d: want 1 to %d", days, maxPlanDays)
			}
			sched, _, found, err := a.loadSchedule(c.String(flagSchedule))
			if err != nil {
				return err
			}
			if !found {
				return scaler.Errorf(scaler.ErrInvalid, "no schedule: pass --schedule FILE or set %s", envSchedule)
			}
			from := a.Now()
			if s := c.String("from"); s != "" {
				zone := time.UTC
				if len(sched.Rules) > 0 {
					zone = sched.Rules[0].Zone
				}
				if from, err = time.ParseInLocation(time.DateOnly, s, zone); err != nil {
					return scaler.Errorf(scaler.ErrInvalid, "--from %q: want a date such as 2026-12-21", s)
				}
			}
			report := sched.Report(from, from.AddDate(0, 0, days))
			if c.Bool("json") {
				return writeJSON(a.Stdout, report)
			}
			return report.WriteText(a.Stdout)
		},
	}}
}
