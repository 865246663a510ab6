package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/scaler"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	clock := at
	cfg := emulator.Config{
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{
			{Type: "worker", Quantity: 2, Size: "standard-2x"}, {Type: "web", Quantity: 1}, {Type: "clock"},
		}}},
		BootDelay: time.Minute,
		Now:       func() time.Time { return clock },
	}
	h := newHarness(t, cfg)
	h.now = at.Add(2*time.Hour + 3*time.Minute)
	clock = h.now

	r := h.run("ps")
	if r.code != 0 {
		t.Fatalf("ps:\n%s", r)
	}
	golden(t, "status.golden", r.stdout)

	r = h.run("status", "--json")
	var st statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r)
	}
	if len(st.Formation) != 3 || st.Formation[2].Size != "Standard-2X" || len(st.Dynos) != 3 || st.Dynos[0].AgeSeconds != 7380 {
		t.Errorf("status --json = %+v", st)
	}
}

func TestHelpVersionAndNoCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	if r := h.run("--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "scaler version ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("--version:\n%s", r)
	}
	if r := h.run(); r.code != 0 || !strings.Contains(r.stdout, "COMMANDS:") {
		t.Errorf("no command:\n%s", r)
	}
	for _, cmd := range []string{"up", "scale", "down", "status", "run", "done", "emulator", "demo"} {
		r := h.run(cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "$ scaler "+cmd) && !strings.Contains(r.stdout, "$ scaler ") {
			t.Errorf("%s --help has no example:\n%s", cmd, r)
		}
	}
	// -h after a spec is help too, not a spec.
	if r := h.run("up", "worker=1", "-h"); r.code != 0 || !strings.Contains(r.stdout, "USAGE") || len(h.em.Requests()) != 0 {
		t.Errorf("up worker=1 -h:\n%s", r)
	}
}

// A name is one row: the dyno that holds it now, and how many older ones of
// that name are still stopping.
func TestStatusOneRowPerName(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	dynos := []scaler.Dyno{
		{Name: "nightly.1", Type: "nightly", State: "down", UpdatedAt: at},
		{Name: "nightly.1", Type: "nightly", State: "down", UpdatedAt: at.Add(time.Second)},
		{Name: "nightly.1", Type: "nightly", State: "starting", UpdatedAt: at.Add(2 * time.Second)},
		{Name: "web.1", Type: "web", State: "up", UpdatedAt: at},
	}
	form := scaler.Formation{{Type: "nightly", Quantity: 1, Size: "Standard-1X"}, {Type: "web", Quantity: 1, Size: "Standard-1X"}}
	got := statusView{app: "demo", Status: scaler.Status{Formation: form, Dynos: dynos, At: at.Add(time.Minute)}}.text()
	want := "app demo\n=== nightly (Standard-1X): 1\nnightly.1: starting for 58s, may be cycled from 02:00 UTC tomorrow (and 2 older dynos of that name stopping)\n" +
		"=== web (Standard-1X): 1\nweb.1: up for 1m, may be cycled from 02:00 UTC tomorrow\n"
	if got != want {
		t.Errorf("status =\n%s\nwant\n%s", got, want)
	}
}

// Ages are the platform's: under an emulator whose clock is days from the
// machine's (--clock-start), a dyno 3 seconds old is 3 seconds old. A dyno
// that runs says when daily cycling may stop it: a day after it was
// created.
func TestStatusByThePlatformsClock(t *testing.T) {
	t.Parallel()
	clock := &manual{now: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)}
	h := newHarness(t, emulator.Config{Now: clock.Now, Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}}}}})
	h.dyno = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	clock.set(clock.Now().Add(3 * time.Second))
	r := h.run("status")
	if r.code != 0 || !strings.Contains(r.stdout, "web.1: up for 3s, may be cycled from 01:00 UTC tomorrow\n") {
		t.Errorf("status:\n%s", r)
	}
	r = h.run("status", "--json")
	var st statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Dynos) != 1 || st.Dynos[0].AgeSeconds != 3 ||
		!st.Dynos[0].CycleFrom.Equal(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)) || !st.At.Equal(clock.Now()) {
		t.Errorf("status --json: %v, %+v\n%s", err, st, r)
	}
}

func TestCycling(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 12, 1, 1, 3, 0, 0, time.UTC)
	up := scaler.Dyno{Name: "worker.1", State: "up", CreatedAt: created, UpdatedAt: created.Add(time.Minute)}
	// A dyno restarted at 01:10 by a platform that keeps its created_at
	// (unconfirmed): its updated_at tells the restart, as apply counts it.
	kept := scaler.Dyno{Name: "worker.1", State: "up", CreatedAt: created.AddDate(0, 0, -3), UpdatedAt: created.Add(7 * time.Minute)}
	for _, tt := range []struct {
		d    scaler.Dyno
		now  time.Time
		want string
	}{
		{up, created.Add(time.Hour), "may be cycled from 01:04 UTC tomorrow"},
		{up, created.Add(25 * time.Hour), "may be cycled any time until 04:40 UTC"},
		{up, created.Add(30 * time.Hour), "may be cycled any time (started 1d5h ago)"},
		{kept, created.Add(time.Hour), "may be cycled from 01:10 UTC tomorrow"},
		{scaler.Dyno{Name: "worker.1", State: "crashed", CreatedAt: created}, created.Add(time.Hour), ""},
	} {
		if got := cycling(tt.d, tt.now, nil); got != tt.want {
			t.Errorf("cycling(%+v, %v) = %q, want %q", tt.d, tt.now, got, tt.want)
		}
	}
}

// With a schedule, status says where each job's window stands, by the
// platform's clock, in the zone of its rules.
func TestStatusSaysWhereJobsStand(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	h.dyno = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	status := func(when string) string {
		t.Helper()
		clock.set(at(when))
		r := h.run("status")
		if r.code != 0 {
			t.Fatalf("status at %s:\n%s", when, r)
		}
		return r.stdout
	}
	if out := status("01:00"); !strings.Contains(out, "=== nightly (Standard-1X): 0, waiting for the window (opens 02:00 CET)\n") {
		t.Errorf("before the window:\n%s", out)
	}
	h.applyAt(clock, at("02:10"))
	if out := status("02:20"); !strings.Contains(out, "=== nightly (Standard-1X): 1, running since 02:10 CET (run nightly-20261201T011000Z)\nnightly.1: up for 10m, may be cycled from 02:10 CET tomorrow\n") {
		t.Errorf("while the job runs:\n%s", out)
	}
	clock.set(at("03:05"))
	h.em.SetQuantity("demo", "nightly", 0)
	if out := status("03:10"); !strings.Contains(out, "=== nightly (Standard-1X): 0, ran in this window (done 03:05 CET)\n") {
		t.Errorf("after the job:\n%s", out)
	}
	if out := status("06:00"); !strings.Contains(out, "=== nightly (Standard-1X): 0, waiting for the window (opens 02:00 CET tomorrow)\n") {
		t.Errorf("after the window:\n%s", out)
	}
	r := h.run("status", "--json")
	var st statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Jobs) != 1 || st.Jobs[0].State != "waiting" || !st.Jobs[0].Open.Equal(at("02:00").AddDate(0, 0, 1)) {
		t.Errorf("status --json: %v, %+v", err, st.Jobs)
	}
	// Without a schedule, nothing of windows; a bad one is refused before
	// any request.
	delete(h.env, envSchedule)
	if r := h.run("status"); r.code != 0 || strings.Contains(r.stdout, "window") {
		t.Errorf("status without a schedule:\n%s", r)
	}
	n := len(h.em.Requests())
	if r := h.run("status", "--schedule", "/no/such/file"); r.code != 2 || len(h.em.Requests()) != n {
		t.Errorf("status with a missing schedule file:\n%s", r)
	}
}
