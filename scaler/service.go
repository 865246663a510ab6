package scaler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Service reads and changes formations through a Platform.
type Service struct {
	Platform Platform
	Log      *slog.Logger
	// PollInterval is the first pause between two reads of the dynos while
	// waiting; it grows by half each time up to MaxPollInterval. Zero means
	// 500ms.
	PollInterval time.Duration
}

// MaxPollInterval caps the pause between two reads while waiting, so that a
// long wait costs few requests of the account's shared budget.
const MaxPollInterval = 4 * time.Second

// resends bounds how many times Apply resends a write whose answer was
// lost; resendPause is the first pause before it reads back, doubled each
// time (250, 500, 1000 ms).
const (
	resends     = 3
	resendPause = 250 * time.Millisecond
)

// Plan reads the app's formation once and plans the specs against it.
func (s *Service) Plan(ctx context.Context, app string, specs []Spec) (Plan, error) {
	current, err := s.Platform.Formation(ctx, app)
	if err != nil {
		return Plan{}, fmt.Errorf("read formation of %s: %w", app, err)
	}
	return NewPlan(app, current, specs)
}

// Apply sends the plan's changes as one batch; a plan without changes sends
// nothing.
//
// A relative change (worker+1) is sent as relative, so that two jobs scaling
// at once both count: the platform adds to whatever the quantity is when the
// write lands. The price is that a relative write is not idempotent, so when
// its answer is lost (a reset, a 5xx after the write landed) the platform
// does not resend it. Apply then reads the formation back: a process type
// that is as planned is done; one that is exactly as it was (quantity, size
// and updated_at) never saw the write, and is sent again; one that moved
// elsewhere was changed by someone else too, and Apply stops with ErrConflict
// rather than risk applying the change twice. Absolute changes are
// idempotent and are simply resent. If the platform did not bump updated_at
// on a write, a landed relative write would still show as a changed quantity,
// so the check stays safe either way.
func (s *Service) Apply(ctx context.Context, p Plan) error {
	if len(p.Changes) == 0 {
		s.Log.Info("no change", "app", p.App)
		return nil
	}
	updates := p.Updates()
	pause := resendPause
	for attempt := 0; ; attempt++ {
		_, err := s.Platform.UpdateFormation(ctx, p.App, updates)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrUncertain) || attempt == resends {
			return fmt.Errorf("scale %s: %w", p.App, err)
		}
		s.Log.Warn("write outcome unknown", "app", p.App, "wait", pause, "err", err)
		// A lost answer often means an API in trouble: give it a moment,
		// more each time, before reading back and resending.
		if waitErr := sleepCtx(ctx, pause); waitErr != nil {
			return fmt.Errorf("scale %s: %w", p.App, err)
		}
		pause *= 2
		if updates, err = s.unsettled(ctx, p); err != nil {
			return fmt.Errorf("scale %s: %w", p.App, err)
		}
		if len(updates) == 0 {
			break
		}
	}
	for _, c := range p.Changes {
		args := []any{"app", p.App, "type", c.Type, "from", c.From, "to", c.To}
		if !SameSize(c.FromSize, c.ToSize) {
			args = append(args, "from_size", c.FromSize, "to_size", c.ToSize)
		}
		s.Log.Info("scaled", args...)
	}
	return nil
}

// unsettled reads the formation back after a write whose answer was lost and
// returns the updates that still have to be sent.
func (s *Service) unsettled(ctx context.Context, p Plan) ([]Spec, error) {
	now, err := s.Platform.Formation(ctx, p.App)
	if err != nil {
		return nil, fmt.Errorf("read back after a lost answer: %w", err)
	}
	var again []Spec
	for _, c := range p.Changes {
		cur, _ := now.Find(c.Type)
		switch {
		case c.reached(cur):
		case c.Send.Op != Add || c.untouched(cur):
			again = append(again, c.Send)
		default:
			return nil, Errorf(ErrConflict,
				"%s went from %d to %d while the answer to %s was lost; not sending it again, so that it cannot count twice: check the formation", c.Type, c.From, cur.Quantity, c.Send)
		}
	}
	return again, nil
}

// Finish scales a process type to zero because the job of one of its dynos
// completed. When the type runs more than one dyno it changes nothing and
// returns an error wrapping ErrShared: scaling to zero would stop the other
// dynos' work, and scaling by -1 would stop the highest-numbered dyno, which
// may be a busy one. The write is absolute (quantity 0), so it is safe to
// resend when its answer is lost.
func (s *Service) Finish(ctx context.Context, app, typ string) (Plan, error) {
	current, err := s.Platform.Formation(ctx, app)
	if err != nil {
		return Plan{}, fmt.Errorf("read formation of %s: %w", app, err)
	}
	if p, ok := current.Find(typ); ok && p.Quantity > 1 {
		return Plan{}, Errorf(ErrShared, "%s runs %d dynos: scaling it to 0 would stop the others' work, and -1 would stop the highest-numbered dyno, busy or not; left as it is (give each long job its own process type, with one dyno)",
			typ, p.Quantity)
	}
	plan, err := NewPlan(app, current, []Spec{{Type: typ, Op: Set, N: 0}})
	if err != nil {
		return Plan{}, err
	}
	return plan, s.Apply(ctx, plan)
}

// Restart restarts the dynos of each process type, so that a job starts in
// a fresh dyno: Heroku cycles a dyno a day after it started, and a restart
// starts that day over.
func (s *Service) Restart(ctx context.Context, app string, types []string) error {
	for _, typ := range types {
		if err := s.Platform.RestartDynos(ctx, app, typ); err != nil {
			return fmt.Errorf("restart %s of %s: %w", typ, app, err)
		}
		s.Log.Info("restarted", "app", app, "type", typ)
	}
	return nil
}

// Wait blocks until every changed process type runs its new quantity of
// dynos, all up and of the new size (or none left, when scaled to zero). It
// gives up when ctx is done, with an error that says what it saw last.
func (s *Service) Wait(ctx context.Context, p Plan) error {
	if len(p.Changes) == 0 {
		return nil
	}
	pause := cmp.Or(s.PollInterval, 500*time.Millisecond)
	var last string
	for {
		dynos, err := s.Platform.Dynos(ctx, p.App)
		if err != nil {
			if ctx.Err() != nil && last != "" {
				return fmt.Errorf("wait for %s: %w (%s)", p.App, ctx.Err(), last)
			}
			return fmt.Errorf("wait for %s: %w", p.App, err)
		}
		var pending []string
		for _, c := range p.Changes {
			if msg := settled(c, dynos); msg != "" {
				pending = append(pending, msg)
			}
		}
		if len(pending) == 0 {
			s.Log.Info("formation ready", "app", p.App)
			return nil
		}
		last = strings.Join(pending, "; ")
		s.Log.Debug("waiting", "app", p.App, "pending", last)
		if err := sleepCtx(ctx, pause); err != nil {
			return fmt.Errorf("wait for %s: %w (%s)", p.App, err, last)
		}
		pause = min(pause*3/2, MaxPollInterval)
	}
}

// settled returns "" when the dynos of c's type are as c wants them, and
// otherwise a short account of them ("worker: 1 of 2 up; worker.2 starting").
func settled(c Change, dynos []Dyno) string {
	var mine []Dyno
	up := 0
	for _, d := range dynos {
		if d.Type != c.Type {
			continue
		}
		mine = append(mine, d)
		if d.State == StateUp && (c.ToSize == "" || SameSize(d.Size, c.ToSize)) {
			up++
		}
	}
	if len(mine) == c.To && up == c.To {
		return ""
	}
	var states []string
	for _, d := range mine {
		states = append(states, d.Name+" "+d.State)
	}
	slices.Sort(states)
	msg := fmt.Sprintf("%s: %d of %d up", c.Type, up, c.To)
	if len(mine) > c.To {
		msg = fmt.Sprintf("%s: %d dynos, want %d", c.Type, len(mine), c.To)
	}
	if len(states) > 0 {
		msg += " (" + strings.Join(states, ", ") + ")"
	}
	return msg
}

// Status reads the app's formation and dynos, the dynos sorted by type and
// number (worker.2 before worker.10).
func (s *Service) Status(ctx context.Context, app string) (Formation, []Dyno, error) {
	type dynoResult struct {
		dynos []Dyno
		err   error
	}
	ch := make(chan dynoResult, 1)
	go func() {
		d, err := s.Platform.Dynos(ctx, app)
		ch <- dynoResult{d, err}
	}()
	f, ferr := s.Platform.Formation(ctx, app)
	dr := <-ch
	if ferr != nil {
		return nil, nil, fmt.Errorf("read formation of %s: %w", app, ferr)
	}
	if dr.err != nil {
		return nil, nil, fmt.Errorf("read dynos of %s: %w", app, dr.err)
	}
	slices.SortStableFunc(dr.dynos, func(a, b Dyno) int {
		at, an := splitDynoName(a.Name)
		bt, bn := splitDynoName(b.Name)
		return cmp.Or(strings.Compare(at, bt), cmp.Compare(an, bn))
	})
	return f, dr.dynos, nil
}

func splitDynoName(name string) (string, int) {
	typ, num, _ := strings.Cut(name, ".")
	n, _ := strconv.Atoi(num)
	return typ, n
}

// AppResult is what ApplyAll did for one app.
type AppResult struct {
	App  string
	Plan Plan
	Err  error
}

// ApplyAll makes each app's formation match its specs: per app, one read
// and at most one batch write, only for the types that differ (none when
// write is false: a dry run). An app without specs is not read. Apps run in
// parallel, at most concurrency at a time, sharing the account's rate
// limit through the Platform; one app failing does not stop the others.
// Results come back in the order of apps.
func (s *Service) ApplyAll(ctx context.Context, apps []string, specs map[string][]Spec, concurrency int, write bool) []AppResult {
	results := make([]AppResult, len(apps))
	slots := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for i, app := range apps {
		results[i].App = app
		if len(specs[app]) == 0 {
			continue // nothing in force for this app now: nothing to read
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i].Err = ctx.Err()
				return
			}
			defer func() { <-slots }()
			plan, err := s.Plan(ctx, app, specs[app])
			if err == nil && write {
				err = s.Apply(ctx, plan)
			}
			results[i].Plan, results[i].Err = plan, err
		}()
	}
	wg.Wait()
	return results
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
