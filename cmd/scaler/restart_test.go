package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

const restartWindow = "timezone Europe/Berlin; worker daily 01:00-01:30 restart; web default 1"

// restartHarness is an app with web=1 and worker=2, whose dynos started
// the afternoon before (15:00 CET), its schedule a restart window for
// worker, on a clock the test sets (at the night's 00:50).
func restartHarness(t *testing.T) (*harness, *manual) {
	clock := &manual{now: at("15:00").AddDate(0, 0, -1)}
	cfg := emulator.Config{Now: clock.Now, BootDelay: 20 * time.Second,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker", Quantity: 2}}}}}
	h := newHarness(t, cfg)
	h.env[envSchedule] = restartWindow
	clock.set(at("00:50"))
	return h, clock
}

// restarts returns the restarts the emulator got.
func restarts(h *harness) []string {
	var out []string
	for _, w := range h.em.Writes() {
		if w.Method == "DELETE" {
			out = append(out, w.Path)
		}
	}
	return out
}

// apply restarts worker once in its window, at the first run in it, with
// Scheduler's skips and duplicates; the runs after say it restarted; a
// dry run says what it would do; status says where the window stands.
func TestApplyRestartsOncePerWindow(t *testing.T) {
	t.Parallel()
	h, clock := restartHarness(t)
	ids := dynoIDs(t, h)
	if out := h.run("status").stdout; !strings.Contains(out, "=== worker (Standard-1X): 2, next restart window 01:00-01:30 CET\n") {
		t.Errorf("status before the window:\n%s", out)
	}
	if r := h.applyAt(clock, at("00:50")); r.code != 0 || len(restarts(h)) != 0 || strings.Contains(r.stdout, "restart") {
		t.Fatalf("apply before the window:\n%s", r)
	}
	if r := h.applyAt(clock, at("01:00"), "--dry-run"); r.code != 0 || !strings.Contains(r.stdout, "demo: would restart worker (2 dynos)\n") ||
		!strings.Contains(r.stdout, ", 1 with dynos to restart (dry run: nothing sent)\n") || len(restarts(h)) != 0 {
		t.Errorf("a dry run in the window:\n%s", r)
	}
	// Scheduler skips the run at 01:00: the one at 01:10 restarts worker.
	r := h.applyAt(clock, at("01:10"))
	if r.code != 0 || !strings.Contains(r.stdout, "demo: restarted worker (2 dynos)\n") || !strings.HasSuffix(r.stdout, ", 1 with dynos restarted\n") ||
		!strings.Contains(r.stderr, `msg=restarted app=demo type=worker dynos=2`) {
		t.Fatalf("apply in the window:\n%s", r)
	}
	if got, want := strings.Join(restarts(h), " "), "/apps/demo/dynos/"+ids["worker.1"]+" /apps/demo/dynos/"+ids["worker.2"]; got != want {
		t.Errorf("restarts = %s, want one of each worker dyno, by id: %s", got, want)
	}
	// A duplicate, a second later, and the next run: nothing sent again.
	for _, when := range []time.Time{at("01:10").Add(time.Second), at("01:20")} {
		r := h.applyAt(clock, when)
		if r.code != 0 || !strings.Contains(r.stdout, "demo: worker restarted in this window at 01:10 CET\n") || strings.Contains(r.stdout, "with dynos") || len(restarts(h)) != 2 {
			t.Errorf("apply at %s after the restart:\n%s", when.Format("15:04:05"), r)
		}
	}
	clock.set(at("01:25"))
	// The emulator without a dyno manager keeps a restarted dyno's
	// created_at (as the platform may: unconfirmed); status counts the
	// restart as apply does, by its updated_at.
	if out := h.run("status").stdout; !strings.Contains(out, "=== worker (Standard-1X): 2, restarted in this window at 01:10 CET\n") ||
		!strings.Contains(out, "worker.1: up for 14m, may be cycled from 01:10 CET tomorrow\n") {
		t.Errorf("status in the window, after the restart:\n%s", out)
	}
	r = h.applyAt(clock, at("01:20"), "--json")
	var out applyDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Apps) != 1 || len(out.Apps[0].Restarts) != 1 {
		t.Fatalf("apply --json: %v\n%s", err, r)
	}
	// Without a dyno manager, the emulator keeps a restarted dyno's
	// created_at, as the platform may (unconfirmed): its updated_at, when it
	// came up again, tells the restart.
	if rj := out.Apps[0].Restarts[0]; rj.Type != "worker" || rj.State != "done" || !rj.Since.Equal(at("01:10").Add(20*time.Second)) || !rj.Open.Equal(at("01:00")) || rj.Line != 2 {
		t.Errorf("apply --json restarts = %+v", rj)
	}
	// After the window: nothing said, nothing missed.
	if r := h.applyAt(clock, at("01:30")); r.code != 0 || strings.Contains(r.stdout, "worker") || len(restarts(h)) != 2 {
		t.Errorf("apply after the window:\n%s", r)
	}
	if out := h.run("status").stdout; !strings.Contains(out, "=== worker (Standard-1X): 2, next restart window 01:00-01:30 CET tomorrow\n") {
		t.Errorf("status after the window:\n%s", out)
	}
}

// A type at 0 is left alone; a restart that fails fails the app, and the
// next run in the window tries again; a window that closes without its
// restart is said once, by the run whose interval holds its close.
func TestApplyRestartFailuresAndMisses(t *testing.T) {
	t.Parallel()
	h, clock := restartHarness(t)
	h.em.SetQuantity("demo", "worker", 0)
	if r := h.applyAt(clock, at("01:00")); r.code != 0 || !strings.Contains(r.stdout, "demo: worker at 0: left alone in its restart window\n") || len(restarts(h)) != 0 {
		t.Errorf("apply with worker at 0:\n%s", r)
	}
	h.em.SetQuantity("demo", "worker", 2)
	clock.set(at("01:00"))
	// SetQuantity made new dynos: make them old again, a night later.
	day := 24 * time.Hour
	h.em.Inject(emulatortest.Fault{Method: "DELETE", Status: 503, ID: "service_unavailable", Message: "API unavailable", Times: 1})
	r := h.applyAt(clock, at("01:00").Add(day))
	if r.code == 0 || !strings.Contains(r.stdout, "demo: worker restart failed: the next apply in the window tries again") || !strings.Contains(r.stdout, "1 failed") ||
		!strings.Contains(r.stderr, `hint="the dynos may or may not have restarted: see them with `+"`scaler status`"+`; the next apply in the window restarts those that did not"`) {
		t.Errorf("apply whose restart fails:\n%s", r)
	}
	// The failed restart was the first dyno's: the next run restarts both.
	if r := h.applyAt(clock, at("01:10").Add(day)); r.code != 0 || !strings.Contains(r.stdout, "demo: restarted worker (2 dynos)") || len(restarts(h)) != 3 {
		t.Errorf("the next apply in the window:\n%s", r)
	}
	// The next night, Scheduler skips every run of the window: the run
	// after the interval of the close (01:30-01:40) says it, at 01:45; the
	// run at 01:55 does not again.
	r = h.applyAt(clock, at("01:45").Add(2*day))
	if r.code != 0 || !strings.Contains(r.stdout, "demo: worker not restarted in its window, Thu 2026-12-03 01:00 CET to 01:30 CET\n") ||
		!strings.Contains(r.stderr, `level=warn msg="restart missed" app=demo type=worker`) {
		t.Errorf("apply after a window without its restart:\n%s", r)
	}
	if r := h.applyAt(clock, at("01:55").Add(2*day)); r.code != 0 || strings.Contains(r.stdout+r.stderr, "missed") {
		t.Errorf("the apply after said the miss again:\n%s", r)
	}
}

// plan shows each restart and the quiet period it buys.
func TestPlanShowsRestarts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	h.env[envSchedule] = restartWindow + "; nightly daily 00:30-03:00 once"
	r := h.run("plan", "--from", "2026-12-01", "--days", "2")
	wantAll(t, "plan", r,
		"Restarts (2)\n",
		"Tue 2026-12-01 01:00 CET  12-01 00:00Z  worker  restarts once between 01:00 and 01:30  line 2\n",
		"  no daily cycling of worker between 01:30 and 01:00 the next day, as long as\n    a restart happens each day (line 2)\n",
		"  warning: the job window of nightly (line 4: nightly daily 00:30-03:00 once)\n    is open before the restart window of worker (line 2) closes",
	)
}

// restart:rolling restarts the dynos one at a time, by id, each up before
// the next: on the emulator's clock, which runs as the machine's, each
// restart comes at least the boot delay after the one before.
func TestApplyRollingRestart(t *testing.T) {
	t.Parallel()
	var shift atomic.Int64 // the emulator's clock, ahead of the machine's
	shift.Store(int64(-time.Hour))
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	const boot = 300 * time.Millisecond
	h := newHarness(t, emulator.Config{Now: now, BootDelay: boot,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 3}}}}})
	shift.Store(0) // the dynos started an hour ago
	open := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	h.env[envSchedule] = "web daily " + open.Format("15:04") + "-" + open.Add(30*time.Minute).Format("15:04") + " restart:rolling"
	before := dynoIDs(t, h)
	r := h.run("apply")
	if r.code != 0 || !strings.Contains(r.stdout, "demo: restarted web one at a time (3 dynos)\n") {
		t.Fatalf("apply:\n%s", r)
	}
	deletes := h.em.Writes()
	if len(deletes) != 3 {
		t.Fatalf("writes = %+v, want three restarts", deletes)
	}
	for i, w := range deletes {
		name := "web." + strconv.Itoa(i+1)
		if w.Method != "DELETE" || w.Path != "/apps/demo/dynos/"+before[name] || w.Status != 202 {
			t.Errorf("write %d = %s %s %d, want DELETE of %s by its id", i, w.Method, w.Path, w.Status, name)
		}
		if i > 0 && w.At.Sub(deletes[i-1].At) < boot {
			t.Errorf("%s restarted %v after the one before, before it could be up (boot %v)", name, w.At.Sub(deletes[i-1].At), boot)
		}
	}
	if r := h.run("apply"); r.code != 0 || !strings.Contains(r.stdout, "demo: web restarted in this window at ") || len(h.em.Writes()) != 3 {
		t.Errorf("the next apply in the window:\n%s", r)
	}
}

// A rolling restart stops once its window has closed: what follows the
// window is the quiet period's, or the night's work's. Each dyno takes 5s
// to come up, and the window closes 7s after apply begins, so that its
// turn never comes for the third.
func TestApplyRollingRestartStopsAtTheWindowsClose(t *testing.T) {
	t.Parallel()
	var shift atomic.Int64 // the emulator's clock, ahead of the machine's
	shift.Store(int64(-time.Hour))
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	h := newHarness(t, emulator.Config{Now: now, BootDelay: 5 * time.Second,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 3}}}}})
	closes := time.Now().UTC().Truncate(time.Minute).Add(time.Hour)
	shift.Store(int64(closes.Add(-7 * time.Second).Sub(time.Now()))) // the dynos started two hours before
	h.env[envSchedule] = "web daily " + closes.Add(-30*time.Minute).Format("15:04") + "-" + closes.Format("15:04") + " restart:rolling"
	r := h.run("apply")
	deletes := h.em.Writes()
	if r.code != 0 || len(deletes) == 0 || len(deletes) == 3 || !strings.Contains(r.stderr, `level=warn msg="restart window closed" app=demo type=web restarted=`) {
		t.Fatalf("%d restarts, want some but not all three, and the window's close said:\n%s", len(deletes), r)
	}
	// The Date apply judges by is cut to the second, and the restart
	// takes its request's time: a second's grace.
	for _, w := range deletes {
		if at := w.At.Add(time.Duration(shift.Load())); !at.Before(closes.Add(2 * time.Second)) {
			t.Errorf("%s %s at %s, after the window closed at %s", w.Method, w.Path, at.Format(time.StampMilli), closes.Format(time.StampMilli))
		}
	}
}

// dynoIDs returns the ids of demo's dynos by name.
func dynoIDs(t *testing.T, h *harness) map[string]string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", h.url+"/apps/demo/dynos", nil)
	req.Header.Set("Accept", emulator.AcceptHeader)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct{ ID, Name string }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range list {
		out[d.Name] = d.ID
	}
	return out
}

// rollingHarness is an app with web=2, whose dynos started an hour ago,
// on an emulator whose clock runs as the machine's, a restarted dyno
// starting for boot; its schedule restarts web one at a time in a window
// open now.
func rollingHarness(t *testing.T, boot time.Duration) *harness {
	var shift atomic.Int64 // the emulator's clock, ahead of the machine's
	shift.Store(int64(-time.Hour))
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	h := newHarness(t, emulator.Config{Now: now, BootDelay: boot,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 2}}}}})
	shift.Store(0)
	open := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	h.env[envSchedule] = "web daily " + open.Format("15:04") + "-" + open.Add(30*time.Minute).Format("15:04") + " restart:rolling"
	return h
}

// neverTwoDown fails the test when two dynos were down at once: each
// restart that landed takes its dyno down for boot (the emulator's clock is
// the machine's), and restarts of two dynos must come boot apart. Two
// restarts of one dyno may come closer: it alone is down.
func neverTwoDown(t *testing.T, h *harness, boot time.Duration) {
	t.Helper()
	var landed []emulatortest.Request
	for _, w := range h.em.Writes() {
		if w.Method == "DELETE" && w.Applied {
			landed = append(landed, w)
		}
	}
	for i, a := range landed {
		for _, b := range landed[i+1:] {
			if a.Path != b.Path && b.At.Sub(a.At).Abs() < boot {
				t.Errorf("%s and %s restarted %v apart, before the first could be up (boot %v): two dynos down at once", a.Path, b.Path, b.At.Sub(a.At).Abs(), boot)
			}
		}
	}
}

// A rolling restart keeps every other dyno of the type up while it
// restarts one, whoever restarted the others: a second apply that comes
// while one restarts web.1 waits for web.1 to be up before it restarts
// web.2, and so does the run after one that --timeout cut short while
// web.1 booted.
func TestRollingRestartOneDynoAtATime(t *testing.T) {
	const boot = 400 * time.Millisecond
	t.Run("a second apply during the restart", func(t *testing.T) {
		h := rollingHarness(t, boot)
		first := make(chan result, 1)
		go func() { first <- h.run("apply") }()
		// The second apply comes once the first has restarted web.1.
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for len(restarts(h)) == 0 {
			select {
			case r := <-first:
				t.Fatalf("the first apply ended before it restarted a dyno:\n%s", r)
			case <-tick.C:
			}
		}
		second := h.run("apply")
		r := <-first
		if r.code != 0 || second.code != 0 {
			t.Fatalf("the first apply:\n%s\nthe second:\n%s", r, second)
		}
		neverTwoDown(t, h, boot)
		if !strings.Contains(r.stdout+second.stdout, "restarted web one at a time") {
			t.Errorf("no apply said it restarted web:\n%s\n%s", r, second)
		}
	})
	t.Run("the run after one cut short", func(t *testing.T) {
		h := rollingHarness(t, boot)
		r := h.run("apply", "--timeout", "100ms")
		if r.code == 0 || !strings.Contains(r.stdout, "demo: web restart failed after restarting 1 dyno") || len(restarts(h)) != 1 ||
			!strings.Contains(r.stderr, `hint="the API answered, but a dyno did not come up within --timeout (web.1 starting)`) {
			t.Fatalf("the apply cut short:\n%s", r)
		}
		r = h.run("apply")
		if r.code != 0 || !strings.Contains(r.stdout, "demo: restarted web one at a time (1 dyno)\n") || len(restarts(h)) != 2 {
			t.Errorf("the next apply:\n%s", r)
		}
		neverTwoDown(t, h, boot)
	})
}

// A run that scales a type up in its restart window restarts only the dyno
// that ran before the window opened: the two it starts are fresh, and are
// not restarted as they boot.
func TestApplyScalesUpAndRestarts(t *testing.T) {
	clock := &manual{now: at("15:00").AddDate(0, 0, -1)}
	h := newHarness(t, emulator.Config{Now: clock.Now, BootDelay: 20 * time.Second,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "worker", Quantity: 1}}}}})
	h.env[envSchedule] = "timezone Europe/Berlin; worker default 1; worker daily 01:00-06:00 3; worker daily 01:00-01:30 restart"
	old := dynoIDs(t, h)["worker.1"]
	r := h.applyAt(clock, at("01:00"))
	if r.code != 0 || !strings.Contains(r.stdout, "scaled demo: worker 1 -> 3") || !strings.Contains(r.stdout, "demo: restarted worker (1 dyno)\n") {
		t.Errorf("apply:\n%s", r)
	}
	if got := strings.Join(restarts(h), " "); got != "/apps/demo/dynos/"+old {
		t.Errorf("restarts = %s, want the one of worker.1, the dyno from before the window (%s)", got, old)
	}
}

// A restart rule for a process type the app does not have fails the app as
// a scale or once rule's does: exit 4, the app's types said, apply_failed
// notified; the formation's other changes are made all the same.
func TestApplyRestartOfAMissingType(t *testing.T) {
	for _, sched := range []string{
		"timezone Europe/Berlin; workr daily 01:00-01:30 restart; web default 2",
		"timezone Europe/Berlin; workr daily 01:00-01:30 3; web default 2",
	} {
		t.Run(sched, func(t *testing.T) {
			h, clock := restartHarness(t)
			rcv := newReceiver(t)
			h.env[envNotify] = rcv.URL + "/hook"
			h.env[envSchedule] = sched
			r := h.applyAt(clock, at("01:05"))
			if r.code != 4 || !strings.Contains(r.stderr, "app demo has no process type workr (it has: web, worker)") {
				t.Errorf("apply:\n%s", r)
			}
			if e := rcv.events()["apply_failed"]; e == nil || e["exit_code"] != float64(4) || !strings.Contains(fmt.Sprint(e["detail"]), "has no process type workr") {
				t.Errorf("notified %s, want apply_failed, exit 4", rcv.all())
			}
			if len(restarts(h)) != 0 {
				t.Errorf("restarts sent: %v", restarts(h))
			}
		})
	}
}

// The command list and plan's help say the rules' three kinds, as the
// schedule's errors do.
func TestHelpSaysOnceAndRestartWindows(t *testing.T) {
	h := newHarness(t, demoConfig())
	if r := h.run("--help"); !strings.Contains(r.stdout, "plan        preview a schedule (levels, once windows, restart windows)") ||
		!strings.Contains(r.stdout, "once windows' jobs, restart windows' restarts") {
		t.Errorf("scaler --help:\n%s", r)
	}
	if r := h.run("plan", "--help"); !strings.Contains(r.stdout, "once[:SIZE] (a job's window") || !strings.Contains(r.stdout, "restart[:rolling] (a restart window") {
		t.Errorf("scaler plan --help:\n%s", r)
	}
	h.env[envSchedule] = "worker daily 01:00-01:30 restart 2"
	if r := h.run("plan"); r.code != 2 || !strings.Contains(r.stderr, `unexpected \"2\" after \"restart\": want TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]`) {
		t.Errorf("plan of a restart rule with a quantity:\n%s", r)
	}
}
