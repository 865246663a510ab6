package main

// `once` windows through apply, against the emulator on a clock the tests
// move: a job is started at most once per occurrence of its window, a
// skipped Scheduler run is healed by the next, and a window wholly missed
// is said.

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// manual is a clock that moves only when a test says so.
type manual struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manual) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

const nightlyWindow = "timezone Europe/Berlin; nightly daily 02:00-05:00 once"

// at is an instant of the night of 2026-12-01 in Berlin (UTC+1).
func at(clock string) time.Time {
	t, err := time.Parse(time.RFC3339, "2026-12-01T"+clock+":00+01:00")
	if err != nil {
		panic(err)
	}
	return t
}

// onceHarness is an app with a nightly type at 0, whose formation was last
// changed the day before, on a clock set to t.
func onceHarness(t *testing.T, ignoreIfMatch bool) (*harness, *manual) {
	clock := &manual{now: at("01:00")}
	cfg := emulator.Config{Now: clock.Now, IgnoreIfMatch: ignoreIfMatch,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "nightly"}}}}}
	h := newHarness(t, cfg)
	h.env[envSchedule] = nightlyWindow
	return h, clock
}

// applyAt runs `scaler apply` with the emulator's clock and --at at t.
func (h *harness) applyAt(clock *manual, t time.Time, args ...string) result {
	clock.set(t)
	return h.run(append([]string{"apply", "--at", t.Format(time.RFC3339)}, args...)...)
}

func TestOnceWindowStartsTheJobOncePerOccurrence(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	// Before the window: nothing.
	if r := h.applyAt(clock, at("01:50")); r.code != 0 || len(h.em.Writes()) != 0 {
		t.Fatalf("apply before the window:\n%s", r)
	}
	// Scheduler's run at 02:00 is skipped; the one at 02:10 heals it.
	r := h.applyAt(clock, at("02:10"))
	if r.code != 0 || h.em.Quantity("demo", "nightly") != 1 || !strings.Contains(r.stdout, "scaled demo: nightly 0 -> 1") {
		t.Fatalf("apply in the window:\n%s", r)
	}
	// A duplicate, and the next run while the job runs: nothing.
	for _, when := range []string{"02:10", "02:20"} {
		if r := h.applyAt(clock, at(when)); r.code != 0 || len(h.em.Writes()) != 1 {
			t.Errorf("apply at %s while the job runs sent a write:\n%s", when, r)
		}
	}
	// The job completes: scaler run scales nightly to 0 at 03:05.
	clock.set(at("03:05"))
	h.em.SetQuantity("demo", "nightly", 0)
	for _, when := range []string{"03:10", "04:50"} {
		if r := h.applyAt(clock, at(when)); r.code != 0 || len(h.em.Writes()) != 1 || h.em.Quantity("demo", "nightly") != 0 {
			t.Errorf("apply at %s after the job completed started it again:\n%s", when, r)
		}
	}
	// After the window, nothing is said: it ran.
	if r := h.applyAt(clock, at("05:05")); r.code != 0 || strings.Contains(r.stderr, "window missed") {
		t.Errorf("apply after a window that ran:\n%s", r)
	}
	// The next night: started again, once.
	if r := h.applyAt(clock, at("02:00").AddDate(0, 0, 1)); r.code != 0 || h.em.Quantity("demo", "nightly") != 1 || len(h.em.Writes()) != 2 {
		t.Errorf("apply the next night:\n%s", r)
	}
}

// A running job is never stopped by the window's end, and outside its
// windows the type is never touched.
func TestOnceWindowNeverStopsARunningJob(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	h.applyAt(clock, at("04:55"))
	for _, when := range []string{"05:00", "05:30", "12:00"} {
		if r := h.applyAt(clock, at(when)); r.code != 0 || h.em.Quantity("demo", "nightly") != 1 || len(h.em.Writes()) != 1 {
			t.Errorf("apply at %s touched the running job:\n%s", when, r)
		}
	}
}

// A person who scales the type inside the window has decided: it counts as
// the window's run.
func TestOnceWindowCountsAPersonsChange(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	clock.set(at("02:01"))
	h.em.SetQuantity("demo", "nightly", 0) // a person's `heroku ps:scale nightly=0`
	if r := h.applyAt(clock, at("02:10")); r.code != 0 || h.em.Quantity("demo", "nightly") != 0 || len(h.em.Writes()) != 0 {
		t.Errorf("apply after a person's change in the window:\n%s", r)
	}
}

// The API down for the whole window (or every Scheduler run of it
// skipped): the apply whose --every interval holds the close says so, in
// the log, the text and JSON; the applies after it do not repeat it.
func TestOnceWindowMissed(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	// The window closed at 05:00: the Scheduler run of 05:00-05:10 leaves
	// it to the run of the next interval, which says it, once.
	if r := h.applyAt(clock, at("05:05")); r.code != 0 || strings.Contains(r.stderr, "window missed") {
		t.Errorf("said by the run of the close's own interval:\n%s", r)
	}
	r := h.applyAt(clock, at("05:15"), "--json")
	if r.code != 0 || !strings.Contains(r.stderr, `level=warn msg="window missed" app=demo type=nightly open=2026-12-01T01:00:00Z close=2026-12-01T04:00:00Z`) {
		t.Fatalf("apply after a missed window:\n%s", r)
	}
	var out applyDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Missed) != 1 || out.Missed[0].Type != "nightly" {
		t.Errorf("apply --json: %+v, %v\n%s", out.Missed, err, r.stdout)
	}
	if len(h.em.Writes()) != 0 {
		t.Errorf("a missed window was started after its close")
	}
	for _, when := range []string{"05:25", "05:35"} {
		if r := h.applyAt(clock, at(when)); strings.Contains(r.stderr, "window missed") {
			t.Errorf("said again at %s:\n%s", when, r)
		}
	}
	// An hourly Scheduler job: the run of the hour after the close's.
	if r := h.applyAt(clock, at("06:30"), "--every", "1h"); !strings.Contains(r.stderr, "window missed") || !strings.Contains(r.stdout, "demo: nightly's window 2026-12-01T01:00:00Z to 2026-12-01T04:00:00Z closed without its job (line 2)") {
		t.Errorf("not said within the interval of an hourly Scheduler job:\n%s", r)
	}
}

// Two applies at once (Scheduler's duplicates), on a platform that honours
// If-Match: the second to write is refused (412), reads again, finds the
// job started, or already run, and leaves it. (Were If-Match ignored, the
// second start would set 1 again, which starts nothing new while the job
// runs; the case it cannot catch, a whole job between a read and a write,
// is documented in the README.)
func TestOnceWindowConcurrentApplies(t *testing.T) {
	t.Parallel()
	for _, finished := range []bool{false, true} {
		t.Run(map[bool]string{false: "the other's job runs", true: "the other's job has completed"}[finished], func(t *testing.T) {
			h, clock := onceHarness(t, false)
			clock.set(at("02:00"))
			// The other apply starts the job between this one's read and
			// its write; its job may even have completed already.
			h.em.Inject(emulatortest.Fault{Method: "PATCH", Times: 1, During: func() {
				var stdout, stderr syncBuffer
				if code := h.app(&stdout, &stderr).Main(t.Context(), []string{"scaler", "apply", "--at", at("02:00").Format(time.RFC3339)}); code != 0 {
					t.Errorf("the other apply: exit %d\n%s", code, stderr.String())
				}
				if finished {
					clock.set(at("02:30"))
					h.em.SetQuantity("demo", "nightly", 0)
				}
			}})
			r := h.run("apply", "--at", at("02:00").Format(time.RFC3339))
			started := 0
			for _, w := range h.em.Requests() {
				if w.Applied && strings.Contains(w.Body, `"nightly"`) && strings.Contains(w.Body, `"quantity":1`) {
					started++
				}
			}
			if r.code != 0 || started != 1 {
				t.Errorf("the job was started %d times, want once:\n%s", started, r)
			}
		})
	}
}

// Once windows that overlap without end are one occurrence that never
// opened: apply cannot tell a start from the job's own, starts nothing, and
// says why.
func TestOnceWindowsThatNeverClose(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	h.env[envSchedule] = "nightly daily 00:00-13:00 once; nightly daily 12:00-01:00 once"
	r := h.applyAt(clock, at("02:00"))
	if r.code != 0 || h.em.Quantity("demo", "nightly") != 0 || !strings.Contains(r.stderr, `level=warn msg="once window never closes" app=demo type=nightly line=1`) {
		t.Errorf("apply of once windows without end:\n%s", r)
	}
}

// apply says where each job's window stands, in its text, its JSON and its
// log line.
func TestApplySaysWhereJobsStand(t *testing.T) {
	t.Parallel()
	h, clock := onceHarness(t, false)
	type say struct{ text, log, state string }
	step := func(when string, want say) {
		t.Helper()
		r := h.applyAt(clock, at(when))
		if r.code != 0 || !strings.Contains(r.stdout, "demo: nightly "+want.text+"\n") || !strings.Contains(r.stderr, `level=info msg="job window" app=demo type=nightly state=`+want.log) {
			t.Errorf("apply at %s: want %q and %q:\n%s", when, want.text, want.log, r)
		}
		r = h.applyAt(clock, at(when), "--json", "--dry-run")
		var out applyDoc
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Apps) != 1 || len(out.Apps[0].Jobs) != 1 || out.Apps[0].Jobs[0].State != want.state {
			t.Errorf("apply --json at %s: %v, want the state %s:\n%s", when, err, want.state, r.stdout)
		}
	}
	step("01:50", say{"waiting for the window (opens 02:00 CET)", "waiting opens=2026-12-01T01:00:00Z", "waiting"})
	step("02:10", say{"started (run nightly-20261201T011000Z)", "started since=2026-12-01T01:10:00Z run_id=nightly-20261201T011000Z", "running"})
	step("02:20", say{"running since 02:10 CET (run nightly-20261201T011000Z)", "running since=2026-12-01T01:10:00Z run_id=nightly-20261201T011000Z", "running"})
	clock.set(at("02:41"))
	h.em.SetQuantity("demo", "nightly", 0)
	step("02:50", say{"ran in this window (done 02:41 CET)", "ran done=2026-12-01T01:41:00Z", "ran"})
	step("05:10", say{"waiting for the window (opens 02:00 CET tomorrow)", "waiting opens=2026-12-02T01:00:00Z", "waiting"})
}
