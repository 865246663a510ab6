package main

// The night the clocks skip the hour of a nightly job: in Berlin on
// 2026-03-29, 02:00-03:00 does not happen, and `nightly daily 02:00-02:30
// once` opens when the gap ends, 03:00-03:30 CEST (01:00Z-01:30Z).

import (
	"encoding/json"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

const skippedNightly = "timezone Europe/Berlin; nightly daily 02:00-02:30 once"

// berlinAt is an instant of 2026-03-29 in Berlin, written with its zone:
// "01:59 CET", "03:10 CEST".
func berlinAt(t testing.TB, clock string) time.Time {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04 MST", "2026-03-29 "+clock, berlin)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// apply on the night of the change, in-process: nothing before the gap,
// the job started inside the moved window with the window's edges, and a
// window without its job said missed, as 03:00-03:30.
func TestApplyOnTheNightTheClocksSkip(t *testing.T) {
	t.Parallel()
	newNight := func(t *testing.T) (*harness, *manual) {
		clock := &manual{now: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)}
		h := newHarness(t, emulator.Config{Now: clock.Now,
			Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "nightly"}}}}})
		h.env[envSchedule] = skippedNightly
		return h, clock
	}

	h, clock := newNight(t)
	if r := h.applyAt(clock, berlinAt(t, "01:59 CET")); r.code != 0 || len(h.em.Writes()) != 0 {
		t.Fatalf("apply at 01:59 CET, before the gap, wrote:\n%s", r)
	}
	r := h.applyAt(clock, berlinAt(t, "03:10 CEST"), "--json")
	var out applyDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("apply --json: %v\n%s", err, r)
	}
	if r.code != 0 || h.em.Quantity("demo", "nightly") != 1 || len(out.Apps) != 1 || len(out.Apps[0].Edges) != 1 ||
		!out.Apps[0].Edges[0].Since.Equal(berlinAt(t, "03:00 CEST")) || !out.Apps[0].Edges[0].Until.Equal(berlinAt(t, "03:30 CEST")) {
		t.Fatalf("apply at 03:10 CEST: want the job started in the window open since 03:00 CEST, until 03:30:\n%s", r)
	}
	if r := h.applyAt(clock, berlinAt(t, "03:40 CEST")); r.code != 0 || len(h.em.Writes()) != 1 || strings.Contains(r.stderr, "window missed") {
		t.Errorf("apply at 03:40 CEST, after a window that ran:\n%s", r)
	}

	// No run in the window (the API was down): the Scheduler run of the
	// interval after the one of its close (03:30-03:40) says it missed.
	h, clock = newNight(t)
	r = h.applyAt(clock, berlinAt(t, "03:45 CEST"))
	if r.code != 0 || len(h.em.Writes()) != 0 ||
		!strings.Contains(r.stderr, `level=warn msg="window missed" app=demo type=nightly open=2026-03-29T01:00:00Z close=2026-03-29T01:30:00Z`) {
		t.Errorf("apply at 03:45 CEST after a window without its job:\n%s", r)
	}
}

// The night under the dyno manager, through the binary: the emulated clock
// starts at 01:45 CET and runs 120 times faster; Heroku Scheduler runs
// `scaler apply` every 10 emulated minutes. The run before the gap starts
// nothing, a run in 03:00-03:30 CEST starts the job, which runs once and
// scales itself down, and the run after the window says nothing missed.
// plan shows the same window.
func TestNightlyJobOnTheNightTheClocksSkip(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, `nightly: scaler run -- sh -c 'echo "job start $SCALER_RUN_ID"'`+"\n",
		"--formation", "nightly=0", "--env", envToken+"="+testToken, "--env", envSchedule+"="+skippedNightly,
		"--clock-start", "2026-03-29T01:45:00+01:00", "--clock-rate", "120",
		"--scheduler", `5s bin/scaler apply --at "$`+emulator.EnvNow+`"`,
		"--boot-delay", "50ms", "--stop-latency", "300ms", "--kill-after", "5s")
	stamp := func(line string) time.Time {
		at, err := time.Parse(time.RFC3339Nano, strings.Fields(line)[0])
		if err != nil {
			t.Fatalf("line without a stamp: %q", line)
		}
		return at
	}
	asOf := regexp.MustCompile(`app\[scheduler\.\d+\]: 1 app as of (\S+): (\d) changed`)
	open, close := berlinAt(t, "03:00 CEST"), berlinAt(t, "03:30 CEST")
	var started time.Time
	for {
		m := asOf.FindStringSubmatch(em.log.next(t, asOf.String()))
		at, err := time.Parse(time.RFC3339, m[1])
		if err != nil {
			t.Fatal(err)
		}
		inWindow := !at.Before(open) && at.Before(close)
		switch {
		case m[2] == "1" && !inWindow:
			t.Fatalf("an apply as of %s, outside 03:00-03:30 CEST, changed the formation:\n%s", at, em.log)
		case m[2] == "1":
			started = at
		}
		if !at.Before(close) {
			break // the first run after the window
		}
	}
	if started.IsZero() {
		t.Fatalf("no apply started the job in 03:00-03:30 CEST:\n%s", em.log)
	}
	em.log.rewind()
	job := em.log.next(t, `app\[nightly\.1\]: job start nightly-\d{8}T\d{6}Z$`)
	em.log.next(t, `app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0`)
	if at := stamp(job); at.Before(open) || !at.Before(close) {
		t.Errorf("the job started at %s, want within 03:00-03:30 CEST", at.In(open.Location()))
	}
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
	log := em.log.String()
	if n := len(regexp.MustCompile(`app\[nightly\.1\]: job start `).FindAllString(log, -1)); n != 1 || strings.Contains(log, "window missed") {
		t.Errorf("the job started %d times, want once, and no window missed:\n%s", n, log)
	}

	r := runBinary(t, map[string]string{envSchedule: skippedNightly}, "plan", "--from", "2026-03-28", "--days", "2")
	wantAll(t, "plan", r,
		"Sun 2026-03-29 03:00 CEST  03-29 01:00Z  nightly  unmanaged -> starts once between 03:00 and 03:30  line 2",
		"  no run is late or missing, but a clock change keeps 1 window from happening\n  as written: see Daylight saving time below\n",
		"  2026-03-29 Europe/Berlin skips 02:00-03:00\n    line 2: nightly daily 02:00-02:30 once moves to 03:00-03:30\n",
		"  Sat 2026-03-28  ....o...........................................\n  Sun 2026-03-29* ....  o.........................................\n",
	)
}

// plan over the night: an ordinary window that the clocks empty is a
// warning under the change, in text and in JSON, and the Scheduler section
// does not say that every change is met on time.
func TestPlanOnTheNightTheClocksSkip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	h.env[envSchedule] = skippedNightly + "; web daily 02:00-02:30 3; web default 1"
	r := h.run("plan", "--from", "2026-03-28", "--days", "2")
	wantAll(t, "plan", r,
		"  no run is late or missing, but a clock change keeps 2 windows from happening\n  as written: see Daylight saving time below\n",
		"    line 2: nightly daily 02:00-02:30 once moves to 03:00-03:30\n    warning: line 3: web daily 02:00-02:30 3 is empty\n",
	)
	if strings.Contains(r.stdout, "every change is met on time") {
		t.Errorf("plan says every change is met on time, while a window is empty:\n%s", r.stdout)
	}
	r = h.run("plan", "--from", "2026-03-28", "--days", "2", "--json")
	var out struct {
		Scheduler struct {
			Warnings []json.RawMessage `json:"warnings"`
		} `json:"scheduler"`
		Effects []struct {
			Type    string `json:"type"`
			Line    int    `json:"line"`
			Date    string `json:"date"`
			Effect  string `json:"effect"`
			Warning bool   `json:"warning"`
			Message string `json:"message"`
		} `json:"dst_effects"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 {
		t.Fatalf("plan --json: %v\n%s", err, r)
	}
	if len(out.Scheduler.Warnings) != 0 || len(out.Effects) != 2 || out.Effects[1].Effect != "empty" || !out.Effects[1].Warning ||
		out.Effects[1].Message != "web daily 02:00-02:30 3 (line 3) is empty on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00" {
		t.Errorf("plan --json = %+v, want no Scheduler warning and web's window empty in dst_effects", out)
	}
}
