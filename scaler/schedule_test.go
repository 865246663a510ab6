package scaler

import (
	"testing"
	"time"
)

func TestSpecs(t *testing.T) {
	since := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	until := since.Add(12 * time.Hour)
	level := Want{Type: "web", Kind: Level, N: 3, Size: "Standard-2X", Since: since, Until: until}
	once := Want{Type: "nightly", Kind: Once, N: 1, Since: since, Until: until}
	with := func(w Want, change func(*Want)) Want { change(&w); return w }
	tests := []struct {
		name    string
		want    Want
		enforce bool
		spec    Spec
	}{
		{"between two edges, a change is kept", level, false, Spec{Type: "web", Op: Set, N: 3, Size: "Standard-2X", After: since, Keep: true}},
		{"enforce keeps nothing", level, true, Spec{Type: "web", Op: Set, N: 3, Size: "Standard-2X", After: since}},
		{"no edge behind (a lone default): converges", with(level, func(w *Want) { w.Since = time.Time{} }), false, Spec{Type: "web", Op: Set, N: 3, Size: "Standard-2X"}},
		// A date rule that ended a year ago, and a default ever since: a
		// change kept until "no edge ahead" would be kept for ever.
		{"no edge ahead: converges", with(level, func(w *Want) { w.Until = time.Time{} }), false, Spec{Type: "web", Op: Set, N: 3, Size: "Standard-2X", After: since}},
		{"a job's window starts it once, from its opening", once, false, Spec{Type: "nightly", Op: Start, N: 1, After: since}},
		{"a window that never opened starts nothing", with(once, func(w *Want) { w.Since = time.Time{} }), false, Spec{Type: "nightly", Op: Start, N: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Specs([]Want{tt.want}, tt.enforce)
			if len(got) != 1 || got[0] != tt.spec {
				t.Errorf("Specs(%+v, %v) = %+v, want %+v", tt.want, tt.enforce, got, tt.spec)
			}
		})
	}
	// A window that never opened starts nothing, whatever the formation.
	p, err := NewPlan("demo", Formation{{Type: "nightly", UpdatedAt: since.AddDate(-1, 0, 0)}}, Specs([]Want{with(once, func(w *Want) { w.Since = time.Time{} })}, false))
	if err != nil || len(p.Changes) != 0 {
		t.Errorf("a window that never opened: plan %+v, %v", p, err)
	}
}

func TestClock(t *testing.T) {
	platform := time.Date(2026, 12, 1, 1, 58, 30, 0, time.UTC) // the Date of a read
	at := time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		clock Clock
		read  Read
		want  time.Time
		skew  time.Duration
	}{
		{"the dyno's clock 2m ahead: moved back onto the platform's",
			Clock{Began: platform.Add(2*time.Minute - 300*time.Millisecond)}, Read{At: platform, Local: platform.Add(2*time.Minute + 200*time.Millisecond)},
			platform.Add(-time.Second), 2*time.Minute - 300*time.Millisecond},
		{"the dyno's clock 2m behind",
			Clock{Began: platform.Add(-2 * time.Minute)}, Read{At: platform, Local: platform.Add(-2 * time.Minute)},
			platform, -2*time.Minute - 500*time.Millisecond},
		{"in step, within the Date's second",
			Clock{Began: platform.Add(100 * time.Millisecond)}, Read{At: platform, Local: platform.Add(900 * time.Millisecond)},
			platform.Add(-time.Second), 400 * time.Millisecond},
		{"days apart (the emulator's --clock-start)",
			Clock{Began: platform.AddDate(0, 0, -400)}, Read{At: platform, Local: platform.AddDate(0, 0, -400)},
			platform, -400*24*time.Hour - 500*time.Millisecond},
		{"--at is an instant of the platform's clock, not moved",
			Clock{At: at, Began: platform.Add(2 * time.Minute)}, Read{At: platform, Local: platform.Add(2 * time.Minute)},
			at, at.Sub(platform)},
		{"no Date: the dyno's clock is all there is",
			Clock{Began: platform}, Read{Local: platform}, platform, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.clock.For(tt.read); !got.Equal(tt.want) {
				t.Errorf("For(%+v) = %v, want %v", tt.read, got, tt.want)
			}
			if got := tt.clock.Skew(tt.read); got != tt.skew {
				t.Errorf("Skew(%+v) = %v, want %v", tt.read, got, tt.skew)
			}
			// Never late: a start it decides is stamped at or after the
			// instant judged.
			if got := tt.clock.For(tt.read); tt.clock.At.IsZero() && !tt.read.At.IsZero() && got.After(tt.read.At) {
				t.Errorf("For(%+v) = %v, after the platform's clock", tt.read, got)
			}
		})
	}
}

func TestWallClock(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ref := time.Date(2026, 12, 1, 22, 30, 0, 0, time.UTC) // 23:30 CET
	for _, tt := range []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 12, 1, 22, 45, 0, 0, time.UTC), berlin, "23:45 CET"},
		{time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), berlin, "00:00 CET tomorrow"},
		{time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), berlin, "02:00 CET"},
		{time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), berlin, "02:00 CET yesterday"},
		{time.Date(2026, 12, 26, 23, 0, 0, 0, time.UTC), berlin, "Sun 2026-12-27 00:00 CET"},
		{time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), nil, "23:00 UTC"},
	} {
		if got := WallClock(tt.t, ref, tt.loc); got != tt.want {
			t.Errorf("WallClock(%v, %v, %v) = %q, want %q", tt.t, ref, tt.loc, got, tt.want)
		}
	}
}

func TestAgeReadsShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 45 * time.Second: "45s", 12 * time.Minute: "12m",
		2*time.Hour + 3*time.Minute: "2h3m", 76 * time.Hour: "3d4h",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

// Daily cycling may stop a dyno a day after it last started: its
// created_at or updated_at, the later, as apply counts a restart (a
// platform may keep created_at across one: unconfirmed).
func TestCycleFrom(t *testing.T) {
	created := time.Date(2026, 12, 1, 2, 3, 0, 0, time.UTC)
	d := Dyno{Name: "nightly.1", CreatedAt: created, UpdatedAt: created.Add(40 * time.Second)}
	if got := d.CycleFrom(); !got.Equal(created.Add(24*time.Hour + 40*time.Second)) {
		t.Errorf("CycleFrom = %v, want a day after it came up", got)
	}
	restarted := Dyno{Name: "nightly.1", CreatedAt: created.AddDate(0, 0, -2), UpdatedAt: created}
	if got := restarted.CycleFrom(); !got.Equal(created.Add(24 * time.Hour)) {
		t.Errorf("CycleFrom of a dyno restarted with its created_at kept = %v, want a day after its restart", got)
	}
	if got := (Dyno{}).CycleFrom(); !got.IsZero() {
		t.Errorf("CycleFrom without created_at = %v, want zero", got)
	}
}
