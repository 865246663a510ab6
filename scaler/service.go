package scaler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
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
	// ResendPause is the first pause before reading back after a write's
	// answer was lost, doubled each time. Zero means 250ms.
	ResendPause time.Duration
	// Now is the dyno's clock, time.Now when nil: each read notes it beside
	// the platform's (Read.Local), so that decisions are made by the
	// platform's clock (see Clock).
	Now func() time.Time
	// Pause is how ApplyAll waits past an edge near the instant it
	// decides for; Sleep when nil. A test's clock moves by it.
	Pause func(ctx context.Context, d time.Duration) error
}

// now reads the dyno's clock.
func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// read reads the app's formation, noting the dyno's clock as it came.
func (s *Service) read(ctx context.Context, app string) (Read, error) {
	r, err := s.Platform.Formation(ctx, app)
	r.Local = s.now()
	return r, err
}

// MaxPollInterval caps the pause between two reads while waiting, so that a
// long wait costs few requests of the account's shared budget.
const MaxPollInterval = 4 * time.Second

// sends bounds how many times Apply sends one plan's write when the
// answers are lost; stale bounds how many times Apply plans again because
// the formation changed under it.
const (
	sends = 4
	stale = 8
)

// Plan reads the app's formation once and plans the specs against it.
func (s *Service) Plan(ctx context.Context, app string, specs []Spec) (Plan, error) {
	read, err := s.read(ctx, app)
	if err != nil {
		return Plan{}, fmt.Errorf("read formation of %s: %w", app, err)
	}
	return planFrom(app, read, specs)
}

func planFrom(app string, read Read, specs []Spec) (Plan, error) {
	p, err := NewPlan(app, read.Formation, specs)
	p.Version, p.ReadAt = read.Version, read.At
	return p, err
}

// Apply sends the plan's changes as one batch, conditional on the version
// of the formation the plan was made from, and returns the plan that was
// carried out; a plan without changes sends nothing.
//
// A relative change (worker+1) is sent as relative, so that two jobs scaling
// at once both count even where the platform ignores the condition. When the
// condition fails (ErrStale: someone else changed the formation first),
// Apply reads the formation again and plans the specs again.
//
// A write whose answer is lost (ErrUncertain) is never sent again blindly.
// Apply reads the formation back: an absolute change found in place is done,
// and one not in place is sent again (setting a quantity twice is setting it
// once). A relative change is sent again only when the read proves that no
// write to its type has landed since the plan's read (see Change.untouched);
// otherwise it may have landed, or been overtaken by another client's, and
// Apply returns an error wrapping ErrUncertain that says so, with the
// formation as read, rather than risk applying it twice. Once an answer has
// been lost, a later ErrStale is no proof either way for a relative change
// (the lost write may have landed since), so it ends the same way.
func (s *Service) Apply(ctx context.Context, p Plan) (Plan, error) {
	lost := false
	for refusals := 0; ; refusals++ {
		if len(p.Changes) == 0 {
			s.Log.Info("no change", "app", p.App)
			return p, nil
		}
		written, err := s.send(ctx, p, &lost)
		switch {
		case err == nil:
			p.Written = written
			for _, c := range p.Changes {
				args := []any{"app", p.App, "type", c.Type, "from", c.From, "to", c.To}
				if !SameSize(c.FromSize, c.ToSize) {
					args = append(args, "from_size", c.FromSize, "to_size", c.ToSize)
				}
				s.Log.Info("scaled", args...)
			}
			return p, nil
		case !errors.Is(err, ErrStale):
			return p, fmt.Errorf("scale %s: %w", p.App, err)
		case lost && p.relative():
			return p, s.uncertain(ctx, p, "a write whose answer was lost may have landed since")
		case refusals == stale:
			return p, Errorf(ErrConflict, "scale %s: the formation changed under every one of %d attempts; check what else scales it", p.App, stale+1)
		}
		// Another client changed the formation first: nothing of this
		// write landed. Plan again, from a fresh read, after a pause that
		// keeps concurrent writers from meeting again in step.
		s.Log.Info("formation changed, planning again", "app", p.App)
		if err := Sleep(ctx, time.Duration(1+rand.IntN(40*(refusals+1)))*time.Millisecond); err != nil {
			return p, fmt.Errorf("scale %s: %w", p.App, err)
		}
		if p, err = s.Plan(ctx, p.App, p.Specs); err != nil {
			return p, err
		}
	}
}

// send writes p's changes, conditional on p's version, and settles a lost
// answer by reading back. It returns the process types as the platform
// answered the write, or as read back. lost is set once an answer has been
// lost.
func (s *Service) send(ctx context.Context, p Plan, lost *bool) (Formation, error) {
	updates, version := p.Updates(), p.Version
	pause := cmp.Or(s.ResendPause, 250*time.Millisecond)
	for attempt := 1; ; attempt++ {
		written, err := s.Platform.UpdateFormation(ctx, p.App, updates, version)
		if !errors.Is(err, ErrUncertain) {
			return written, err
		}
		*lost = true
		s.Log.Warn("write outcome unknown", "app", p.App, "attempt", attempt, "wait", pause, "err", err)
		// A lost answer often means an API in trouble: give it a moment,
		// more each time, before reading back.
		if Sleep(ctx, pause) != nil {
			return nil, err
		}
		pause *= 2
		back, rerr := s.Platform.Formation(ctx, p.App)
		if rerr != nil {
			return nil, Errorf(ErrUncertain, "%w; reading the formation back failed too (%v), so the change may or may not have landed", err, rerr)
		}
		again, uerr := p.unlanded(back)
		switch {
		case uerr != nil:
			return nil, uerr
		case len(again) == 0:
			return back.Formation, nil
		case attempt == sends:
			// The read shows the change is not in place (and, for a
			// relative change, proves it never landed): the API failed.
			// Not uncertain, so err is said, not wrapped.
			return nil, Errorf(ErrUnavailable, "the change is not in place: sent %d times, each answered by a failure (the last: %v); the formation now: %s", attempt, err, back.Formation)
		}
		updates, version = again, back.Version
	}
}

// unlanded returns, from a read made after a write's answer was lost, the
// updates that must be sent again; or an error wrapping ErrUncertain when
// a relative change may have landed. An absolute change, or a job's start,
// is planned again on the read: found in place (or the job started, or run
// since), nothing is sent again.
func (p Plan) unlanded(back Read) ([]Spec, error) {
	var again, replan []Spec
	for _, c := range p.Changes {
		if c.Send.Op != Add {
			i := slices.IndexFunc(p.Specs, func(s Spec) bool { return s.Type == c.Type })
			if p.Specs[i].Op == Add {
				// A relative spec that came to a size change alone
				// (worker-1:Standard-2X at 0): the resize is safe to send
				// again; planning the spec again could send the -1 twice.
				again = append(again, c.Send)
				continue
			}
			replan = append(replan, p.Specs[i])
			continue
		}
		cur, _ := back.Formation.Find(c.Type)
		if !c.untouched(cur, p.ReadAt) {
			return nil, Errorf(ErrUncertain, "%s went from %d to %d (last changed %s) while the answer to %s was lost: the change may or may not have landed, and it is not sent again, so that it cannot count twice; the formation now: %s",
				c.Type, c.From, cur.Quantity, cur.UpdatedAt.UTC().Format(time.RFC3339), c.Send, back.Formation)
		}
		again = append(again, c.Send)
	}
	if len(replan) > 0 {
		rp, err := NewPlan(p.App, back.Formation, replan)
		if err != nil {
			return nil, err
		}
		again = append(again, rp.Updates()...)
	}
	return again, nil
}

// uncertain reads the formation to say, in an error wrapping ErrUncertain,
// that p's change may or may not have landed, and what the formation is.
func (s *Service) uncertain(ctx context.Context, p Plan, why string) error {
	now := "unknown (it could not be read)"
	if back, err := s.Platform.Formation(ctx, p.App); err == nil {
		now = back.Formation.String()
	}
	return Errorf(ErrUncertain, "scale %s: %s: the change may or may not have landed, and it is not sent again, so that it cannot count twice; the formation now: %s", p.App, why, now)
}

// relative reports whether the plan holds a relative change.
func (p Plan) relative() bool {
	return slices.ContainsFunc(p.Changes, func(c Change) bool { return c.Send.Op == Add })
}

// Finish scales a process type to zero because the job of one of its dynos
// completed. When the type runs more than one dyno it changes nothing and
// returns an error wrapping ErrShared: scaling to zero would stop the other
// dynos' work, and scaling by -1 would stop the highest-numbered dyno, which
// may be a busy one. The write is absolute (quantity 0), so it is safe to
// resend when its answer is lost.
func (s *Service) Finish(ctx context.Context, app, typ string) (Plan, error) {
	read, err := s.Platform.Formation(ctx, app)
	if err != nil {
		return Plan{}, fmt.Errorf("read formation of %s: %w", app, err)
	}
	if p, ok := read.Formation.Find(typ); ok && p.Quantity > 1 {
		return Plan{}, Errorf(ErrShared, "%s runs %d dynos: scaling it to 0 would stop the others' work, and -1 would stop the highest-numbered dyno, busy or not; left as it is (give each long job its own process type, with one dyno)",
			typ, p.Quantity)
	}
	plan, err := planFrom(app, read, []Spec{{Type: typ, Op: Set, N: 0}})
	if err != nil {
		return Plan{}, err
	}
	return s.Apply(ctx, plan)
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
	// What it waits for, before it has seen a dyno.
	var want []string
	for _, c := range p.Changes {
		want = append(want, pending(c, nil))
	}
	last := strings.Join(want, "; ")
	for {
		dynos, err := s.Platform.Dynos(ctx, p.App)
		if err != nil {
			if ctx.Err() != nil {
				return &WaitError{App: p.App, Pending: last, Err: context.Cause(ctx)}
			}
			return fmt.Errorf("wait for %s: %w", p.App, err)
		}
		var waiting []string
		for _, c := range p.Changes {
			if msg := pending(c, dynos); msg != "" {
				waiting = append(waiting, msg)
			}
		}
		if len(waiting) == 0 {
			s.Log.Info("formation ready", "app", p.App)
			return nil
		}
		// A line each time what it waits for changes: a person sees the
		// dynos come up.
		if now := strings.Join(waiting, "; "); now != last {
			last = now
			s.Log.Info("waiting", "app", p.App, "pending", last)
		}
		if err := Sleep(ctx, pause); err != nil {
			return &WaitError{App: p.App, Pending: last, Err: err}
		}
		pause = min(pause*3/2, MaxPollInterval)
	}
}

// WaitError is a wait that ended (its context did) before the formation was
// ready: what was still pending, and why it ended.
type WaitError struct {
	App     string
	Pending string // "worker: 1 of 2 up (worker.1 up, worker.2 starting)"
	Err     error
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("wait for %s: %v (%s)", e.App, e.Err, e.Pending)
}

// Unwrap returns why the wait ended.
func (e *WaitError) Unwrap() error { return e.Err }

// pending returns what is still pending of c: "" when the dynos of its type
// are as c wants them, and otherwise a short account of them ("worker: 1 of
// 2 up (worker.1 up, worker.2 starting)").
func pending(c Change, dynos []Dyno) string {
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
		msg = fmt.Sprintf("%s: %d still to stop", c.Type, len(mine)-c.To)
	}
	if len(states) > 0 {
		msg += " (" + strings.Join(states, ", ") + ")"
	}
	return msg
}

// Status is an app's formation and dynos as one look at the platform
// found them.
type Status struct {
	Formation Formation
	Dynos     []Dyno // sorted by type and number
	// At is the platform's clock when it answered (the Date of the
	// formation's read), by which ages are told; Local the dyno's then.
	// At is zero when the platform sent no Date.
	At, Local time.Time
}

// Status reads the app's formation and dynos, the dynos sorted by type and
// number (worker.2 before worker.10).
func (s *Service) Status(ctx context.Context, app string) (Status, error) {
	type dynoResult struct {
		dynos []Dyno
		err   error
	}
	ch := make(chan dynoResult, 1)
	go func() {
		d, err := s.Platform.Dynos(ctx, app)
		ch <- dynoResult{d, err}
	}()
	read, ferr := s.read(ctx, app)
	dr := <-ch
	if ferr != nil {
		return Status{}, fmt.Errorf("read formation of %s: %w", app, ferr)
	}
	if dr.err != nil {
		return Status{}, fmt.Errorf("read dynos of %s: %w", app, dr.err)
	}
	sortDynos(dr.dynos)
	return Status{Formation: read.Formation, Dynos: dr.dynos, At: read.At, Local: read.Local}, nil
}

// sortDynos sorts dynos by type and number (worker.2 before worker.10),
// keeping the order of dynos of one name.
func sortDynos(dynos []Dyno) {
	sort.SliceStable(dynos, func(i, j int) bool {
		at, an := splitDynoName(dynos[i].Name)
		bt, bn := splitDynoName(dynos[j].Name)
		return cmp.Or(strings.Compare(at, bt), cmp.Compare(an, bn)) < 0
	})
}

func splitDynoName(name string) (string, int) {
	typ, num, _ := strings.Cut(name, ".")
	n, _ := strconv.Atoi(num)
	return typ, n
}

// AppResult is what ApplyAll did for one app.
type AppResult struct {
	App string
	// Read is the app's formation as first read, with the platform's
	// clock and the dyno's (zero when the read failed).
	Read Read
	// At is the instant of the platform's clock the decision was for.
	At time.Time
	// Wants is what the schedule wanted of the app's types at At.
	Wants []Want
	Plan  Plan
	// Restarts is where each restart window stands that holds At, or
	// closed in the interval before it (ApplyOptions.Every), by type: see
	// RestartStates.
	Restarts []RestartState
	// DryRun: the plan was made and not carried out.
	DryRun bool
	Err    error
}

// ApplyOptions is how ApplyAll carries out a schedule.
type ApplyOptions struct {
	// Clock says for which instant the schedule is applied, on the
	// platform's clock.
	Clock Clock
	// Enforce converges every type to its rule, even one a person changed
	// since the rule came into force (see Specs).
	Enforce bool
	// Concurrency bounds how many apps are handled at once (at least one).
	Concurrency int
	// DryRun plans and sends no write.
	DryRun bool
	// Every is the interval of the Scheduler job that runs apply: a
	// restart window that closed within it, without its restart, is said
	// missed (see RestartStates).
	Every time.Duration
}

// ApplyAll makes each app's formation what the schedule wants of it. Per
// app: one read, which gives the platform's clock, by which the decision
// is made (the instant of opts.Clock, moved onto it); when an edge of the
// app's schedule lies between that instant and when a write from it would
// land (Clock.Band), a wait past the edge and a read again, so that no
// write lands on the other side of an edge from the instant it was
// decided for; then at most one batch write, only for the types that
// differ (none in a dry run); then,
// when a restart window holds the instant, a read of the dynos and the
// restart of each type whose dynos started before the window opened. Each
// app is read, even one with no rule in force by the dyno's clock, since
// only the platform's clock says. Apps run in parallel, at most
// Concurrency at a time, sharing the account's rate limit through the
// Platform; one app failing does not stop the others. Results come back in
// the order of apps.
func (s *Service) ApplyAll(ctx context.Context, apps []string, sched Schedule, opts ApplyOptions) []AppResult {
	results := make([]AppResult, len(apps))
	slots := make(chan struct{}, max(1, opts.Concurrency))
	var wg sync.WaitGroup
	for i, app := range apps {
		results[i].App = app
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i].Err = context.Cause(ctx)
				return
			}
			defer func() { <-slots }()
			results[i] = s.applyOne(ctx, app, sched, opts)
		})
	}
	wg.Wait()
	return results
}

// maxEdgeWaits bounds how many times one app's apply waits past an edge:
// edges are a minute apart at least, so one wait passes the only one near,
// unless the platform's clock did not move as the dyno's did.
const maxEdgeWaits = 2

// applyOne is ApplyAll for one app.
func (s *Service) applyOne(ctx context.Context, app string, sched Schedule, opts ApplyOptions) AppResult {
	r := AppResult{App: app, DryRun: opts.DryRun}
	clock := opts.Clock
	var read Read
	for waits := 0; ; waits++ {
		var err error
		if read, err = s.read(ctx, app); err != nil {
			r.Err = fmt.Errorf("read formation of %s: %w", app, err)
			return r
		}
		from, to := clock.Band(read)
		edge, near := nextEdge(sched, app, from, to, opts.Every)
		if !near || waits == maxEdgeWaits {
			break
		}
		// The decision for from could land past the edge, and one for
		// the edge itself could be for an instant before it: neither side
		// is safe. Wait until the platform's clock is past the edge, and
		// decide for then.
		wait := edge.Add(edgeSettle).Sub(s.now().Add(offset(read)))
		s.Log.Info("edge near, waiting", "app", app, "edge", edge.UTC().Format(time.RFC3339), "wait", wait.Round(time.Millisecond).String())
		if err := s.pause(ctx, wait); err != nil {
			r.Err = fmt.Errorf("wait past the edge at %s for %s: %w", edge.UTC().Format(time.RFC3339), app, err)
			return r
		}
		clock.Began = s.now()
	}
	r.Read, r.At = read, clock.For(read)
	r.Wants = sched.Wants(app, r.At)
	r.Plan, r.Err = planFrom(app, read, Specs(r.Wants, opts.Enforce))
	if r.Err == nil && len(r.Wants) > 0 && !opts.DryRun {
		r.Plan, r.Err = s.Apply(ctx, r.Plan)
	}
	// A restart comes after the formation's change, and apart from it: a
	// type scaled up in this run starts fresh, one scaled to 0 is left
	// alone. When the change failed, the formation is not known.
	if r.Err == nil {
		s.restart(ctx, &r, sched, opts.Every, opts.DryRun)
	}
	return r
}

// Failure returns why the app's apply failed: its formation's, or else
// the first restart that failed; nil when nothing did.
func (r AppResult) Failure() error {
	if r.Err != nil {
		return r.Err
	}
	for _, s := range r.Restarts {
		if s.Phase == RestartFailed {
			return s.Err
		}
	}
	return nil
}

// pause waits d, or until ctx is done, as Pause says.
func (s *Service) pause(ctx context.Context, d time.Duration) error {
	if s.Pause != nil {
		return s.Pause(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits d, or until ctx is done, and then returns why ctx is done
// (context.Cause: what stopped it, not only that it was cancelled).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
