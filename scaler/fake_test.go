package scaler

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"
)

// FakePlatform is a Platform that behaves, in memory, for the domain's
// tests (as remind101/empire's FakeScheduler): it holds apps' formations
// behind a mutex, versions each (a strong ETag that every write changes),
// stamps updated_at by its own clock to the second, answers each read with
// that clock (the Date), and refuses a write whose If-Match is stale,
// unless told to ignore it. Faults queued with Next strike the next writes
// in order: the answer lost after the write landed, a write lost before it
// landed, another client's write landing first. Tests assert its end
// state, not the calls it saw.
type FakePlatform struct {
	mu  sync.Mutex
	now func() time.Time
	// IgnoreIfMatch makes writes ignore their condition, as a platform
	// whose formation endpoints do not honour it would (unconfirmed).
	IgnoreIfMatch bool
	apps          map[string]*fakeApp
	faults        []WriteFault
	failReads     int
	landed, sent  int
	// KeepCreatedAt makes a restart keep a dyno's id and created_at and
	// stamp its updated_at, as the platform may (unconfirmed); otherwise a
	// restart makes a new dyno, as the emulator does, the old one listed
	// down beside it.
	KeepCreatedAt bool
	// FailRestarts fails that many of the next restarts with
	// ErrUnavailable, before they land.
	FailRestarts int
	// BeforeRestart, when set, runs once, before the next restart lands:
	// another client's doing.
	BeforeRestart func(f *FakePlatform)
	// FailDynoReads fails that many of the next reads of the dynos.
	FailDynoReads int
	restarts      map[string]int // dyno restarts that landed, by app/type
	ids           int
}

type fakeApp struct {
	form    Formation
	version int
	dynos   []Dyno
}

// WriteFault is what happens to one write.
type WriteFault struct {
	// Before runs before the write reaches the platform: another client's
	// doing (f.Set), or the clock moving.
	Before func(f *FakePlatform)
	// Drop loses the write before it lands: the caller gets ErrUncertain,
	// and nothing changed.
	Drop bool
	// Lose loses the answer after the write landed: the caller gets
	// ErrUncertain.
	Lose bool
	// FailReads fails the reads that follow the write with ErrUnavailable,
	// that many of them.
	FailReads int
}

// NewFakePlatform returns a platform on clock now holding apps, each
// process type last changed at its UpdatedAt.
func NewFakePlatform(now func() time.Time, apps map[string]Formation) *FakePlatform {
	f := &FakePlatform{now: now, apps: map[string]*fakeApp{}}
	for name, form := range apps {
		f.apps[name] = &fakeApp{form: slices.Clone(form), version: 1}
	}
	return f
}

// Next queues faults for the next writes, one each.
func (f *FakePlatform) Next(faults ...WriteFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Set writes typ=n as another client would: it lands, is stamped and
// changes the version.
func (f *FakePlatform) Set(app, typ string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write(f.apps[app], []Spec{{Type: typ, Op: Set, N: n}})
}

// Add writes typ+n as another client would.
func (f *FakePlatform) Add(app, typ string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write(f.apps[app], []Spec{{Type: typ, Op: Add, N: n}})
}

// Find returns a process type as the platform holds it.
func (f *FakePlatform) Find(app, typ string) Process {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, _ := f.apps[app].form.Find(typ)
	return p
}

// Landed returns how many writes of the caller landed (another client's
// are not counted), and how many it sent.
func (f *FakePlatform) Landed() (landed, sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.landed, f.sent
}

func (a *fakeApp) etag() string { return `"v` + strconv.Itoa(a.version) + `"` }

// write carries out updates, stamping each type by the platform's clock.
// Callers hold f.mu.
func (f *FakePlatform) write(a *fakeApp, updates []Spec) Formation {
	at := f.now().UTC().Truncate(time.Second)
	var changed Formation
	for _, u := range updates {
		i := slices.IndexFunc(a.form, func(p Process) bool { return p.Type == u.Type })
		p := &a.form[i]
		switch u.Op {
		case Set:
			p.Quantity = u.N
		case Add:
			p.Quantity = max(0, p.Quantity+u.N)
		}
		if u.Size != "" {
			p.Size = u.Size
		}
		p.UpdatedAt = at
		changed = append(changed, *p)
	}
	a.version++
	return changed
}

// Formation reads an app's formation, with its version and the platform's
// clock.
func (f *FakePlatform) Formation(ctx context.Context, app string) (Read, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failReads > 0 {
		f.failReads--
		return Read{}, Errorf(ErrUnavailable, "read %s: 503", app)
	}
	a := f.apps[app]
	if a == nil {
		return Read{}, Errorf(ErrNotFound, "app %s not found", app)
	}
	return Read{Formation: slices.Clone(a.form), Version: a.etag(), At: f.now().UTC().Truncate(time.Second)}, nil
}

// UpdateFormation writes updates, conditional on version, through the
// next fault.
func (f *FakePlatform) UpdateFormation(ctx context.Context, app string, updates []Spec, version string) (Formation, error) {
	f.mu.Lock()
	var fault WriteFault
	if len(f.faults) > 0 {
		fault, f.faults = f.faults[0], f.faults[1:]
	}
	f.sent++
	f.mu.Unlock()
	if fault.Before != nil {
		fault.Before(f)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failReads += fault.FailReads
	if fault.Drop {
		return nil, Errorf(ErrUncertain, "update %s: connection reset", app)
	}
	a := f.apps[app]
	if a == nil {
		return nil, Errorf(ErrNotFound, "app %s not found", app)
	}
	for _, u := range updates {
		if _, ok := a.form.Find(u.Type); !ok {
			return nil, Errorf(ErrNotFound, "no process type %s", u.Type)
		}
	}
	if version != "" && !f.IgnoreIfMatch && version != a.etag() {
		return nil, Errorf(ErrStale, "update %s: 412", app)
	}
	changed := f.write(a, updates)
	f.landed++
	if fault.Lose {
		return nil, Errorf(ErrUncertain, "update %s: answer lost", app)
	}
	return changed, nil
}

// SetDynos lists n dynos of typ for app, up, numbered from 1, created and
// last changed at created, in place of those of typ it listed.
func (f *FakePlatform) SetDynos(app, typ string, n int, created time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.apps[app]
	a.dynos = slices.DeleteFunc(a.dynos, func(d Dyno) bool { return d.Type == typ })
	for i := range n {
		a.dynos = append(a.dynos, Dyno{ID: f.newID(), Name: typ + "." + strconv.Itoa(i+1), Type: typ, State: StateUp, CreatedAt: created, UpdatedAt: created})
	}
}

// Restarted returns how many dyno restarts of app's typ landed.
func (f *FakePlatform) Restarted(app, typ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restarts[app+"/"+typ]
}

func (f *FakePlatform) newID() string {
	f.ids++
	return "dyno-" + strconv.Itoa(f.ids)
}

// Dynos returns the app's dynos, as listed: the fake runs no processes,
// and a restarted dyno is up at once.
func (f *FakePlatform) Dynos(ctx context.Context, app string) ([]Dyno, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailDynoReads > 0 {
		f.FailDynoReads--
		return nil, Errorf(ErrUnavailable, "read dynos of %s: 503", app)
	}
	a := f.apps[app]
	if a == nil {
		return nil, Errorf(ErrNotFound, "app %s not found", app)
	}
	return append([]Dyno{}, a.dynos...), nil
}

// RestartDynos restarts every live dyno of typ.
func (f *FakePlatform) RestartDynos(ctx context.Context, app, typ string) error {
	return f.restart(app, func(d Dyno) bool { return d.Type == typ }, func(a *fakeApp) error {
		if _, ok := a.form.Find(typ); !ok {
			return Errorf(ErrNotFound, "no process type %s", typ)
		}
		return nil
	})
}

// RestartDyno restarts the live dyno with that id; ErrNotFound when none
// has it.
func (f *FakePlatform) RestartDyno(ctx context.Context, app, id string) error {
	return f.restart(app, func(d Dyno) bool { return d.ID == id }, func(a *fakeApp) error {
		if !slices.ContainsFunc(a.dynos, func(d Dyno) bool { return d.ID == id && d.State != StateDown }) {
			return Errorf(ErrNotFound, "no dyno %s", id)
		}
		return nil
	})
}

// restart restarts the live dynos that match, through the restart faults,
// once check allows.
func (f *FakePlatform) restart(app string, match func(Dyno) bool, check func(*fakeApp) error) error {
	f.mu.Lock()
	before := f.BeforeRestart
	f.BeforeRestart = nil
	f.mu.Unlock()
	if before != nil {
		before(f)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailRestarts > 0 {
		f.FailRestarts--
		return Errorf(ErrUnavailable, "restart: 503")
	}
	a := f.apps[app]
	if a == nil {
		return Errorf(ErrNotFound, "app %s not found", app)
	}
	if err := check(a); err != nil {
		return err
	}
	now := f.now().UTC().Truncate(time.Second)
	for i, d := range slices.Clone(a.dynos) {
		if d.State == StateDown || !match(d) {
			continue
		}
		if f.restarts == nil {
			f.restarts = map[string]int{}
		}
		f.restarts[app+"/"+d.Type]++
		if f.KeepCreatedAt {
			a.dynos[i].UpdatedAt = now
			continue
		}
		a.dynos[i].State, a.dynos[i].UpdatedAt = StateDown, now
		a.dynos = append(a.dynos, Dyno{ID: f.newID(), Name: d.Name, Type: d.Type, Size: d.Size, State: StateUp, CreatedAt: now, UpdatedAt: now})
	}
	return nil
}

// ManualClock is a clock that moves only when a test says so.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock that reads t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now reads the clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var _ Platform = (*FakePlatform)(nil)
