package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform"
	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

// maxPlanDays bounds --days: ten years of charts is already more than a
// person reads.
const maxPlanDays = 3660

// The flags of plan, beyond the shared ones.
const (
	flagFrom = "from"
	flagDays = "days"
	flagCost = "cost"
)

// planOptions is what plan is asked.
type planOptions struct {
	Schedule, From, Every string
	Days                  int
	Cost, JSON            bool
	Timeout               time.Duration
	// TimeoutSet says --timeout was given: it bounds --cost's request.
	TimeoutSet bool
	Args       []string
}

func (a *App) newPlanCommand(runF func(context.Context, *planOptions) error) *command {
	if runF == nil {
		runF = a.runPlan
	}
	return &command{Command: &cli.Command{
		Name:  "plan",
		Usage: "preview a schedule (levels, once windows, restart windows): every change and restart, what Heroku Scheduler cannot meet, DST days, a chart per type, the dyno-hours saved and, with --cost, their price",
		Description: `Validates the schedule, then shows every instant at which it changes the
formation (in the rule's local time and in UTC), each restart and the quiet
period it buys, where Heroku Scheduler running apply --every 10m, 1h or 1d
cannot meet a change on time, the days a time zone skips or repeats an
hour, a chart per process type, and the dyno-hours per type against keeping
each type at its peak all the time. It sends no request, and needs no
token.

A rule is TYPE WHEN [HH:MM-HH:MM] then QUANTITY[:SIZE] (the type's dynos
while it is in force), once[:SIZE] (a job's window: its job starts once per
occurrence) or restart[:rolling] (a restart window: the type's dynos restart
once per occurrence, so that Heroku's daily cycling keeps away from the rest
of the day); docs/schedules.md has the language.

With --cost it prices the dyno-hours at the sizes' list prices, which it
reads from the Platform API (GET /dyno-sizes, its only request, which needs
HEROKU_API_KEY; --timeout bounds it): a monthly price is spread over 720
hours, an estimate.

Examples:
   $ scaler plan
   $ scaler plan --schedule schedule.txt --from 2026-12-21 --days 14
   $ scaler plan --every 1h
   $ scaler plan --cost
   $ scaler plan --json`,
		Flags: []cli.Flag{
			scheduleFlag(),
			&cli.StringFlag{Name: flagFrom, Usage: "first day, YYYY-MM-DD, from midnight in the schedule's first time zone", DefaultText: "now"},
			&cli.IntFlag{Name: flagDays, Value: 7, Usage: "how many days to show"},
			&cli.StringFlag{Name: flagEvery, Value: "10m", Usage: "how often Heroku Scheduler runs apply: 10m, 1h or 1d; plan says where that cannot meet the schedule on time"},
			&cli.BoolFlag{Name: flagCost, Usage: "price the dyno-hours at the sizes' list prices from the Platform API (one request; needs " + envToken + ")"},
			&cli.DurationFlag{Name: flagTimeout, Value: defaultTimeout, Usage: "deadline for --cost's request, retries included"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &planOptions{
				Schedule: c.String(flagSchedule), From: c.String(flagFrom), Every: c.String(flagEvery), Days: c.Int(flagDays),
				Cost: c.Bool(flagCost), JSON: c.Bool(flagJSON), Timeout: c.Duration(flagTimeout), TimeoutSet: c.IsSet(flagTimeout),
				Args: c.Args().Slice(),
			})
		},
	}}
}

func (a *App) runPlan(ctx context.Context, opts *planOptions) error {
	if len(opts.Args) > 0 {
		return scaler.Errorf(scaler.ErrInvalid, "plan takes no arguments, got %q", opts.Args[0])
	}
	if opts.Days < 1 || opts.Days > maxPlanDays {
		return scaler.Errorf(scaler.ErrInvalid, "--days %d: want 1 to %d", opts.Days, maxPlanDays)
	}
	every, err := schedules.ParseInterval(opts.Every)
	if err != nil {
		return scaler.Errorf(scaler.ErrInvalid, "--every %v", err)
	}
	sched, _, found, err := a.loadSchedule(opts.Schedule)
	if err != nil {
		return err
	}
	if !found {
		return scaler.Errorf(scaler.ErrInvalid, "no schedule: pass --schedule FILE or set %s", envSchedule)
	}
	from := a.Now()
	if opts.From != "" {
		zone := time.UTC
		if len(sched.Rules) > 0 {
			zone = sched.Rules[0].Zone
		}
		if from, err = time.ParseInLocation(time.DateOnly, opts.From, zone); err != nil {
			return scaler.Errorf(scaler.ErrInvalid, "--from %q: want a date such as 2026-12-21", opts.From)
		}
	}
	var client *platform.Client
	switch {
	case opts.Cost:
		var cancel context.CancelFunc
		if ctx, cancel, err = deadline(ctx, opts.Timeout); err != nil {
			return err
		}
		defer cancel()
		// The token and the URL are checked before anything is computed
		// or sent, as every command does.
		if client, err = a.client(scopeRead); err != nil {
			return fmt.Errorf("--cost reads the sizes' prices from the Platform API: %w", err)
		}
	case opts.TimeoutSet:
		return scaler.Errorf(scaler.ErrInvalid, "--timeout bounds the request of --cost: without --cost, plan sends none")
	}
	to := from.AddDate(0, 0, opts.Days)
	report := sched.Report(from, to)
	report.SetScheduler(sched.Scheduler(from, to, every))
	if client != nil {
		prices, err := a.sizePrices(ctx, client)
		if err != nil {
			return err
		}
		report.Price(prices)
	}
	if opts.JSON {
		return writeJSON(a.Stdout, report)
	}
	return writePlanText(a.Stdout, report)
}

// sizePrices reads the dyno sizes' list prices: plan's only request.
func (a *App) sizePrices(ctx context.Context, client *platform.Client) ([]schedules.SizePrice, error) {
	sizes, err := client.DynoSizes(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan --cost: read the dyno sizes' prices: %w", err)
	}
	out := make([]schedules.SizePrice, len(sizes))
	for i, s := range sizes {
		out[i] = schedules.SizePrice{Size: s.Name, Unit: s.Unit}
		if s.Priced {
			out[i].Cents = &s.Cents
		}
	}
	return out, nil
}
