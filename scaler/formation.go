package scaler

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Process is one process type of an app's formation.
type Process struct {
	Type     string
	Quantity int
	Size     string
	Command  string
	// UpdatedAt is when the platform last changed this process type. It lets
	// [Service.Apply] tell a write that never landed from one whose answer
	// was lost.
	UpdatedAt time.Time
}

// Formation is an app's process types.
type Formation []Process

// Read is one read of an app's formation, with what a later write needs to
// be conditional on it, and to tell, when the write's answer is lost,
// whether it landed.
type Read struct {
	Formation Formation
	// Version is the formation's entity tag (ETag): a write conditioned on
	// it is refused with ErrStale when the formation has changed since. ""
	// when the platform sent none.
	Version string
	// At is the platform's clock (its Date header) when it answered, to the
	// second; zero when it sent none.
	At time.Time
	// Local is the dyno's clock when the answer came (set by [Service]):
	// with At, it tells how far the two clocks are apart (see [Clock]).
	Local time.Time
}

// Find returns the process type named typ.
func (f Formation) Find(typ string) (Process, bool) {
	i := slices.IndexFunc(f, func(p Process) bool { return p.Type == typ })
	if i < 0 {
		return Process{}, false
	}
	return f[i], true
}

// String reads like "web=2:Standard-1X, worker=0:Standard-2X", sorted by
// type.
func (f Formation) String() string {
	sorted := f.Sorted()
	parts := make([]string, len(sorted))
	for i, p := range sorted {
		parts[i] = fmt.Sprintf("%s=%d:%s", p.Type, p.Quantity, p.Size)
	}
	return strings.Join(parts, ", ")
}

// Sorted returns the process types sorted by type.
func (f Formation) Sorted() Formation {
	s := slices.Clone(f)
	sort.Slice(s, func(i, j int) bool { return s[i].Type < s[j].Type })
	return s
}

// Types returns the names of the process types, sorted.
func (f Formation) Types() []string {
	names := make([]string, len(f))
	for i, p := range f {
		names[i] = p.Type
	}
	slices.Sort(names)
	return names
}

// Dyno is one running (or starting, or crashed) process of an app.
type Dyno struct {
	// ID is the dyno's unique identifier. The emulator gives a restarted
	// dyno a new one; whether the platform does is unconfirmed.
	ID    string
	Name  string // "worker.1", "run.4123"
	Type  string
	Size  string
	State string // crashed, down, idle, starting or up
	// UpdatedAt is when the dyno last changed state.
	UpdatedAt time.Time
	// CreatedAt is when the platform created the dyno. Each restart makes a
	// new dyno in the emulator; whether the platform keeps created_at across
	// a restart is unconfirmed (see Started).
	CreatedAt time.Time
}

// Daily cycling: the platform restarts every dyno once a day, CycleAfter
// after its start plus up to CycleSpread more, at random.
const (
	CycleAfter  = 24 * time.Hour
	CycleSpread = 216 * time.Minute
)

// Started returns when the dyno last started, as far as the platform
// tells, on its clock: the later of its created_at and updated_at. A
// restart makes a new dyno with a new created_at in the emulator, as
// Heroku's cycling does; whether the platform keeps created_at across a
// restart through the API is unconfirmed, and updated_at (a change of
// state, which a restart is) covers that side. This one rule serves apply
// (a dyno started since a restart window opened has been restarted in
// it) and status (when daily cycling may stop it): with created_at alone,
// a platform that kept it would have apply restart a type twice in one
// window, and status say that a dyno restarted an hour ago may be cycled
// any time. Its price: a change of state that is not a start counts as
// one. A dyno that crashed and came back counts as started then (whether
// that starts its cycle over is unconfirmed): apply leaves it alone in the
// window, and status may say its cycle comes later than it can; and a dyno
// up is taken as started when it came up, its boot's seconds late. Zero
// when the platform gave neither.
func (d Dyno) Started() time.Time {
	if d.UpdatedAt.After(d.CreatedAt) {
		return d.UpdatedAt
	}
	return d.CreatedAt
}

// CycleFrom returns the earliest instant, on the platform's clock, at which
// daily cycling may stop the dyno: CycleAfter after it started (Started).
// Zero when the platform gave no start.
func (d Dyno) CycleFrom() time.Time {
	if d.Started().IsZero() {
		return time.Time{}
	}
	return d.Started().Add(CycleAfter)
}

// The dyno states the platform reports.
const (
	StateUp       = "up"
	StateStarting = "starting"
	StateCrashed  = "crashed"
	// StateDown is a dyno stopping, or stopped: after a restart, the old
	// one may be listed down beside its replacement for a while.
	StateDown = "down"
)

// Platform is what the domain needs from the Heroku Platform API. The
// adapter in platform/ implements it over HTTP; every error it returns wraps
// one of this package's sentinel errors.
type Platform interface {
	// Formation reads the app's formation. It returns an error wrapping
	// ErrNotFound when the app does not exist or the token cannot see it.
	Formation(ctx context.Context, app string) (Read, error)

	// UpdateFormation sends updates as one batch and returns the formation the
	// platform answered (the updated types). A relative update (Op Add) is
	// applied by the platform, so that two writers do not lose each other's
	// changes. When version is not "", the write is conditional: it
	// returns an error wrapping ErrStale, having changed nothing, when the
	// formation is no longer at that version.
	//
	// It never sends a write twice: when the answer is lost (a reset, a
	// 5xx, the deadline), it returns an error wrapping ErrUncertain, and
	// the caller reads the formation back to decide. It returns ErrNotFound
	// for an unknown process type and ErrRejected when the platform refuses
	// the change (dyno limits, an undeployed app).
	UpdateFormation(ctx context.Context, app string, updates []Spec, version string) (Formation, error)

	// Dynos returns the app's dynos.
	Dynos(ctx context.Context, app string) ([]Dyno, error)

	// RestartDynos restarts every dyno of one process type. A restart is a
	// write: when its answer is lost, it returns an error wrapping
	// ErrUncertain, and is not sent again.
	RestartDynos(ctx context.Context, app, typ string) error

	// RestartDyno restarts one dyno, by its id, as RestartDynos does. It
	// returns an error wrapping ErrNotFound when no dyno has that id (it
	// was restarted or cycled since it was listed).
	RestartDyno(ctx context.Context, app, id string) error
}

// RunID returns the identity of the run of a job's process type as the
// formation shows it: TYPE-YYYYMMDDTHHMMSSZ, from when the platform last
// changed the type, which it did to scale it up for the run (its own
// clock, in UTC). Every start of the job within one run sees the same
// identity, since restarts do not change the formation.
func RunID(typ string, p Process) string {
	return typ + "-" + p.UpdatedAt.UTC().Format("20060102T150405Z")
}

// DynoType returns the process type of a dyno name (worker.1 → worker) and
// whether the name belongs to a dyno of the formation, rather than a one-off
// dyno (run.N, scheduler.N, release.N) or no dyno at all.
func DynoType(name string) (typ string, formation bool) {
	typ, num, ok := strings.Cut(name, ".")
	if !ok || !isDigits(num) || !ValidType(typ) {
		return "", false
	}
	switch typ {
	case "run", "scheduler", ReleaseType:
		return typ, false
	}
	return typ, true
}
