package main

// One clock: apply, status and run judge the platform's timestamps by the
// platform's clock (the Date of its answers), whatever the dyno's says.

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// The dyno's clock 2 minutes ahead of the platform's, or behind it; a job
// that runs 50 s, shorter than the skew; Scheduler runs apply every 10
// minutes, each run twice: one start per occurrence of the window, and a
// warning in each run, with both clocks.
func TestApplyDecidesByThePlatformsClock(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{2 * time.Minute, -2 * time.Minute} {
		t.Run(fmt.Sprintf("dyno %v", skew), func(t *testing.T) {
			t.Parallel()
			h, clock := onceHarness(t, false)
			h.dyno = func() time.Time { return clock.Now().Add(skew) }
			for night := range 2 {
				// Each run 30 s into the dyno's minute: ahead, the first
				// run in the window by the dyno's clock is 90 s before it
				// by the platform's.
				first := at("01:50").AddDate(0, 0, night).Add(30*time.Second - skew)
				for step := time.Duration(0); step < 4*time.Hour; step += 10 * time.Minute {
					platform := first.Add(step)
					for dup := range 2 {
						clock.set(platform.Add(time.Duration(dup) * time.Second))
						r := h.run("apply")
						want := fmt.Sprintf(`level=warn msg="clock skew" dyno_clock=%s platform_clock=%s app=demo`, stamp(clock.Now().Add(skew)), stamp(clock.Now()))
						if r.code != 0 || strings.Count(r.stderr, `msg="clock skew"`) != 1 || !strings.Contains(r.stderr, want) {
							t.Fatalf("apply at %s (platform), %s (dyno): want one warning %s:\n%s", stamp(clock.Now()), stamp(clock.Now().Add(skew)), want, r)
						}
						if h.em.Quantity("demo", "nightly") == 1 {
							if !strings.Contains(r.stdout, "demo: nightly started (run nightly-") {
								t.Errorf("the start is not said:\n%s", r.stdout)
							}
							clock.set(clock.Now().Add(50 * time.Second)) // the job's run
							h.em.SetQuantity("demo", "nightly", 0)
						}
					}
				}
				if n := len(h.em.Writes()); n != night+1 {
					t.Fatalf("after night %d: %d starts, want %d", night, n, night+1)
				}
			}
		})
	}
}

// --at names an instant of the platform's clock. Under the emulator,
// whose dynos run apply --at "$SCALER_EMULATOR_NOW", that is the
// emulator's clock at the dyno's start, however far the dyno's own clock
// is (--clock-start): nothing to say. Elsewhere it is a person's what-if,
// said when it is more than 30 s from the platform's now. Without --at, the
// dyno's clock is moved onto the platform's: apply needs no --at under the
// emulator either.
func TestApplyAt(t *testing.T) {
	t.Parallel()
	farAway := func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) } // the dyno's real clock
	for _, tt := range []struct {
		name     string
		args     []string
		emulated bool   // SCALER_EMULATOR_NOW is the emulator's clock
		say      string // the warning, or "" for none
	}{
		{"under the emulator, --at its clock", []string{"--at", at("02:10").Format(time.RFC3339)}, true, ""},
		{"under the emulator, no --at", nil, true, `level=warn msg="clock skew" dyno_clock=2025-03-01T12:00:00Z platform_clock=2026-12-01T01:10:00Z`},
		{"a what-if, an hour off", []string{"--at", at("02:10").Add(time.Hour).Format(time.RFC3339)}, false, `level=warn msg="not now" at=2026-12-01T02:10:00Z platform_clock=2026-12-01T01:10:00Z`},
		{"a what-if, 20 s off: nothing to say", []string{"--at", at("02:10").Add(20 * time.Second).Format(time.RFC3339)}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, clock := onceHarness(t, false)
			h.dyno = farAway
			clock.set(at("02:10"))
			if tt.emulated {
				h.env[emulator.EnvNow] = at("02:10").UTC().Format(time.RFC3339)
			}
			r := h.run(append([]string{"apply"}, tt.args...)...)
			if r.code != 0 || h.em.Quantity("demo", "nightly") != 1 {
				t.Errorf("apply in the window, by the platform's clock, did not start the job:\n%s", r)
			}
			warned := strings.Contains(r.stderr, `msg="clock skew"`) || strings.Contains(r.stderr, `msg="not now"`)
			if tt.say == "" && warned || tt.say != "" && (!strings.Contains(r.stderr, tt.say) || strings.Count(r.stderr, "level=warn") != 1) {
				t.Errorf("want the warning %q:\n%s", tt.say, r)
			}
		})
	}
}

// The binary, as Scheduler runs it, against an emulator whose clock is 2
// minutes from the machine's: a window that the two clocks disagree on.
// Ahead, the dyno's clock says the window has opened and the platform's
// that it has not: no start. Behind, the other way round: the job starts
// once, runs for less than the skew, and duplicates of the next run leave it.
func TestApplyBinaryMeetsASkewedDyno(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{2 * time.Minute, -2 * time.Minute} {
		t.Run(fmt.Sprintf("dyno %v", skew), func(t *testing.T) {
			t.Parallel()
			em, err := emulatortest.New(emulator.Config{Token: testToken, Now: emulator.Clock(time.Now().Add(-skew), 1),
				Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "nightly"}}}}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(em)
			defer srv.Close()
			// The clock that is ahead has passed the window's opening by
			// less than a minute; the one behind reaches it in over a minute.
			open := time.Now().Add(max(0, -skew)).Truncate(time.Minute).UTC()
			env := map[string]string{envToken: testToken, envAPIURL: srv.URL, envApp: "demo",
				envSchedule: fmt.Sprintf("nightly daily %s-%s once", open.Format("15:04"), open.Add(30*time.Minute).Format("15:04"))}
			r := runBinary(t, env, "apply")
			// The Date has one-second resolution, and the answer takes a
			// moment to come: the skew read is 2m within a second.
			if r.code != 0 || !strings.Contains(r.stderr, `level=warn msg="clock skew" dyno_clock=`) || !regexp.MustCompile(`platform_clock=\S+ app=demo hint="the dyno's clock is about (1m59s|2m0s|2m1s) (ahead of|behind) the platform's`).MatchString(r.stderr) {
				t.Fatalf("apply with the dyno %v:\n%s", skew, r)
			}
			if skew > 0 {
				if len(em.Writes()) != 0 || !strings.Contains(r.stdout, "demo: nightly waiting for the window (opens "+open.Format("15:04")+" UTC)") {
					t.Errorf("the dyno ahead: apply started the job before the window opened on the platform's clock:\n%s", r)
				}
				return
			}
			if len(em.Writes()) != 1 || em.Quantity("demo", "nightly") != 1 || !strings.Contains(r.stdout, "demo: nightly started (run nightly-") {
				t.Fatalf("the dyno behind: apply did not start the job in the platform's window:\n%s", r)
			}
			em.SetQuantity("demo", "nightly", 0) // the job is done, within seconds
			var wg sync.WaitGroup
			outs := make([]result, 2)
			for i := range outs {
				wg.Go(func() { outs[i] = runBinary(t, env, "apply", "--json") })
			}
			wg.Wait()
			for _, r := range outs {
				var out applyDoc
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 || len(out.Apps) != 1 || len(out.Apps[0].Jobs) != 1 || out.Apps[0].Jobs[0].State != "ran" {
					t.Errorf("a duplicate after the job: %v\n%s", err, r)
				}
			}
			if len(em.Writes()) != 1 {
				t.Errorf("the job was started %d times, want once", len(em.Writes()))
			}
		})
	}
}

// The binary, run 50 ms after an edge of every kind, against an emulator
// on a real-time clock (as the auditor ran it): a level rule's end and a
// job's window's close. The Date is cut to the second and the read takes
// time, so the instant apply decides for is a second before the edge; a
// write from it would land after the edge: the job started after its window
// closed, web written 2 after its rule ended, which the next apply would
// take for a person's change and keep a day. Apply waits past the edge and
// decides for then: no write, and the apply 3 s later says nothing.
func TestApplyBinaryJustAfterAnEdge(t *testing.T) {
	// The emulator's clock a second before a minute's edge, less than 30 s
	// from the machine's (no clock skew to say).
	edge := time.Now().Add(time.Second).Round(time.Minute).UTC()
	start := time.Now()
	em, err := emulatortest.New(emulator.Config{Token: testToken, Now: emulator.Clock(edge.Add(-time.Second), 1),
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "nightly"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	defer srv.Close()
	hhmm := func(t time.Time) string { return t.Format("15:04") }
	env := map[string]string{envToken: testToken, envAPIURL: srv.URL, envApp: "demo",
		envSchedule: fmt.Sprintf("web daily %s-%s 2; web default 1; nightly daily %s-%s once", hhmm(edge.Add(-time.Minute)), hhmm(edge), hhmm(edge.Add(-time.Minute)), hhmm(edge))}
	// The runs come at instants of the clock, which is what is tested:
	// nothing to wait on but the clock.
	at := func(d time.Duration) { time.Sleep(time.Until(start.Add(time.Second + d))) }
	at(50 * time.Millisecond)
	first := runBinary(t, env, "apply")
	if first.code != 0 || len(em.Writes()) != 0 || !strings.Contains(first.stderr, `level=info msg="edge near, waiting" app=demo edge=`+stamp(edge)) {
		t.Fatalf("apply 50 ms after the edge at %s wrote %v:\n%s", stamp(edge), em.Writes(), first)
	}
	at(3050 * time.Millisecond)
	next := runBinary(t, env, "apply")
	if next.code != 0 || len(em.Writes()) != 0 || strings.Contains(next.stderr, "level=warn") || strings.Contains(next.stderr, `msg="change kept"`) ||
		!strings.Contains(next.stdout, "demo: in state (web=1:Standard-1X)") {
		t.Errorf("apply 3 s later:\n%s", next)
	}
}
