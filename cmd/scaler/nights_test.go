package main

// The proof that a nightly job runs to completion once per window, whatever
// Heroku Scheduler and the platform do: many nights of a `once` window,
// under the dyno manager, with real processes. Scheduler runs `scaler apply`
// every few seconds with skips and duplicates; deploys and restarts land in
// the middle of jobs; the API fails at random, and not at all during one
// window. The emulator's clock runs 30 times faster than real time, so that
// a minute's window passes in two seconds; every delay of the platform and
// of scaler stays real.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// nights is a simulation's setting.
type nights struct {
	windows int     // occurrences of the window, one a night
	faults  float64 // share of API requests that fail at random
	down    int     // the window during which the API answers nothing but 503s (downtime); -1: none
	// restarts hits jobs in the middle of their run: a deploy in one
	// night out of four, a restart of the job's dyno in another.
	restarts bool
	seed     uint64
}

// The simulation's clock: each "night" is three emulated minutes, a
// one-minute window and two minutes for the job to end and its dyno to
// stop.
const (
	// nightRate is the emulated clock's speed: a minute in two seconds, so
	// that a Scheduler run has half a second to decide, and a run's real
	// delays (its job, the settle period, the platform's stop a second
	// after the scale-down, a restart's) end in its night, on a loaded
	// machine too.
	nightRate   = 30
	nightPeriod = 3 * time.Minute
	jobSeconds  = "0.4" // the job's own runtime, real seconds
	stopLatency = time.Second
	bootDelay   = 50 * time.Millisecond
	// Scheduler runs apply every 15 emulated seconds: the window's minute
	// sees four runs, of which a quarter are skipped and some doubled.
	nightEvery = 15 * time.Second
)

var nightStart = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// window returns the k-th window's occurrence, on the emulated clock.
func window(k int) (open, close time.Time) {
	open = nightStart.Add(time.Minute + time.Duration(k)*nightPeriod)
	return open, open.Add(time.Minute)
}

// schedule is a rule per window: `nightly daily HH:MM-HH:MM once`.
func (n nights) schedule() string {
	var b strings.Builder
	for k := range n.windows {
		open, close := window(k)
		fmt.Fprintf(&b, "nightly daily %s-%s once;", open.Format("15:04"), close.Format("15:04"))
	}
	return b.String()
}

// nightsResult is what a simulation saw.
type nightsResult struct {
	log []string // the log stream
	// overhead is, per completed run, the dyno's time beyond the job's own
	// runtime and the boot delay, in real time.
	overhead []time.Duration
	final    int // nightly's quantity at the end
	faults   int // requests that the faults failed
}

// The job counts its own starts and completions in the log stream, keyed by
// its run's identity; its work (a sleep) is done only when it ran its
// course. It starts its work once the test has seen its start (the file
// go-RUN, which follow writes), so that a restart the test sends as the job
// starts lands while it works, however late the test sees the start. On
// SIGTERM (which the work gets too, as every process of the dyno) it cleans
// up and exits 0, as Sidekiq does: the worst case for telling a shutdown
// from a completion.
const nightlyJob = `nightly: scaler run -- sh -c 'echo "job start $SCALER_RUN_ID"; trap "echo job stopped; exit 0" TERM; while [ ! -e "go-$SCALER_RUN_ID" ]; do sleep 0.02; done; sleep ` + jobSeconds + ` & if wait $!; then echo "job done $SCALER_RUN_ID"; fi'` + "\n"

// simulateNights runs a simulation of n to its end.
func simulateNights(tb testing.TB, n nights) nightsResult {
	tb.Helper()
	return startNights(tb, n)()
}

// startNights starts a simulation of n, and returns what follows it to its
// end, which any goroutine may call.
func startNights(tb testing.TB, n nights) (run func() nightsResult) {
	tb.Helper()
	dir, procfile := dynoFolder(tb, nightlyJob)
	clock := emulator.Clock(nightStart, nightRate)
	apply, err := emulator.ParseSchedulerJob(fmt.Sprintf(`%v scaler apply --at "$%s" --every %v`, nightEvery/nightRate, emulator.EnvNow, nightEvery))
	if err != nil {
		tb.Fatal(err)
	}
	stream := newLogStream()
	em, err := emulator.New(emulator.Config{
		Token: testToken, Now: clock, ClockRate: nightRate,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "nightly"}}}},
		Dynos: &emulator.DynoConfig{
			Procfile: procfile, Log: stream,
			Env:         []string{envToken + "=" + testToken, envSchedule + "=" + n.schedule()},
			StopLatency: stopLatency, KillAfter: 5 * time.Second, RestartDelay: time.Second,
			Scheduler:     []emulator.SchedulerJob{apply},
			SchedulerSkip: 0.25, SchedulerDup: 0.15, Seed: n.seed,
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	downFrom, downUntil := downtime(n.down)
	front := &chaos{next: em, p: n.faults, rng: rand.New(rand.NewPCG(n.seed, 11)), client: map[string]string{},
		down: func() bool {
			now := clock()
			return n.down >= 0 && !now.Before(downFrom) && now.Before(downUntil)
		}}
	// The dynos reach the API through the faults, under /dyno (chaos's
	// name for its clients), and the test around them.
	srv := httptest.NewServer(front)
	tb.Cleanup(srv.Close)
	if err := em.StartDynos(srv.URL + "/dyno"); err != nil {
		tb.Fatal(err)
	}
	var stopped atomic.Bool
	tb.Cleanup(func() {
		if !stopped.Load() {
			em.StopDynos(context.Background())
		}
	})

	// The platform's own doings in the middle of jobs, each as soon as the
	// job has started (follow says which).
	restart := func(path string) bool {
		req, _ := http.NewRequest("DELETE", srv.URL+"/test"+path, nil)
		req.Header.Set("Accept", emulator.AcceptHeader)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode < 300
	}
	release := func(run string) {
		if err := os.WriteFile(filepath.Join(dir, "go-"+run), nil, 0o644); err != nil {
			tb.Error(err)
		}
	}
	return func() nightsResult {
		follow(clock, stream, n, restart, release)
		stopped.Store(true)
		if err := em.StopDynos(tb.Context()); err != nil {
			tb.Error(err)
		}
		lines, _ := stream.wait(0, 0)
		return nightsResult{log: lines, overhead: overheads(lines), final: em.Quantity("demo", "nightly"), faults: front.failed()}
	}
}

// follow follows the log stream to the end of the last night, and has the
// platform restart jobs as they start: a deploy (every dyno restarted) in
// one night out of four, and a restart of the job's dyno (as cycling does)
// in another. It releases each job to do its work once it has seen it
// start, or, when it restarts it, once it has seen it start again.
func follow(clock func() time.Time, stream *logStream, n nights, restart func(path string) bool, release func(run string)) {
	_, lastClose := window(n.windows - 1)
	end := lastClose.Add(nightPeriod - time.Minute)
	started := regexp.MustCompile(`^(\S+) app\[nightly\.1\]: job start (\S+)$`)
	restarted := map[string]bool{}
	for cursor := 0; clock().Before(end); {
		lines, more := stream.wait(cursor, time.Until(realAt(clock, end)))
		for ; cursor < len(lines); cursor++ {
			m := started.FindStringSubmatch(lines[cursor])
			switch {
			case m == nil:
				continue
			case restarted[m[2]]:
				release(m[2])
				continue
			}
			restarted[m[2]] = true
			path := map[int]string{
				1: "/apps/demo/dynos",           // a deploy
				2: "/apps/demo/dynos/nightly.1", // a restart, as cycling does
			}[nightOf(m[1])%4]
			if !n.restarts || path == "" || !restart(path) {
				release(m[2])
			}
		}
		if !more {
			return
		}
	}
}

// downtime is when the API is down around window k: from 10 emulated
// seconds before it opens to 10 after it closes.
func downtime(k int) (from, until time.Time) {
	open, close := window(k)
	return open.Add(-10 * time.Second), close.Add(10 * time.Second)
}

// realAt returns the real instant at which the emulated clock reads t.
func realAt(clock func() time.Time, t time.Time) time.Time {
	return time.Now().Add(t.Sub(clock()) / nightRate)
}

// nightOf returns the window in which an emulated instant falls, or -1.
func nightOf(stamp string) int {
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return -1
	}
	k := int(t.Sub(nightStart) / nightPeriod)
	if open, close := window(k); t.Before(open) || !t.Before(close.Add(nightPeriod-time.Minute)) {
		return -1
	}
	return k
}

// runNight returns the night of a run's identity (nightly-YYYYMMDDTHHMMSSZ,
// when the type's scale-up landed), from its window's open to the next's,
// or -1 when it is before the first. The scale-up may land after the window
// closed: an apply that decided inside the window may have its write
// retried past the close (apply's decisions are checked on their own).
func runNight(id string) int {
	t := runStart(id)
	if t.IsZero() {
		return -1
	}
	return stampNight(t)
}

// runStart returns when a run's scale-up landed, from its identity, or the
// zero time.
func runStart(id string) time.Time {
	t, _ := time.Parse("20060102T150405Z", strings.TrimPrefix(id, "nightly-"))
	return t
}

// stampNight returns the night in which an emulated instant falls, from its
// window's open to the next window's, or -1 when it is before the first.
func stampNight(t time.Time) int {
	first, _ := window(0)
	if t.Before(first) {
		return -1
	}
	return int(t.Sub(first) / nightPeriod)
}

// overheads reads, for every dyno whose job completed, how long the dyno
// ran beyond the job's own runtime and the boot delay: from the platform's
// "Starting process" to its "Process exited", on the emulated clock scaled
// back to real time, less the job's runtime as scaler reports it.
func overheads(lines []string) []time.Duration {
	stamp := func(l string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, strings.Fields(l)[0])
		return t
	}
	var out []time.Duration
	var start time.Time
	var took time.Duration
	completed := false
	for _, l := range lines {
		switch {
		case strings.Contains(l, "heroku[nightly.1]: Starting process"):
			start, took, completed = stamp(l), 0, false
		case strings.Contains(l, `app[nightly.1]: level=info msg="job completed"`):
			_, v, _ := strings.Cut(l, "took=")
			v, _, _ = strings.Cut(v, " ")
			took, _ = time.ParseDuration(v)
		case strings.Contains(l, "app[nightly.1]: level=info msg=scaled app=demo type=nightly from=1 to=0"):
			completed = true
		case strings.Contains(l, "heroku[nightly.1]: Process exited") && completed && !start.IsZero():
			lived := stamp(l).Sub(start) / nightRate
			out = append(out, lived-took-bootDelay)
			start = time.Time{}
		}
	}
	return out
}

// A nightly job, many nights: every window's job runs to completion exactly
// once, or the window is reported missed (by the apply in the interval
// after its close, unless Scheduler skipped that one too), and only when
// the simulation made it impossible or Scheduler skipped every run of it,
// or the previous run still went when it opened; apply starts the job only inside a window; no
// run's job starts again after it completed; the type is at 0 at the end. The dyno time beyond
// the job's own runtime is logged here, and measured by BenchmarkNights: a
// figure, not an assertion, since a loaded machine stretches it. The 32
// nights are four simulations of 8 at once, each with its platform, its
// Scheduler and its faults, the API down in the first's sixth window:
// every window is judged alike, and what says that the simulation proved
// something counts them all.
func TestManyNights(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a simulation of 32 nights, about 50 s")
	}
	n := nights{windows: 32, faults: 0.08, down: 5, restarts: true, seed: 20261201}
	parts := n.split(4)
	runs := make([]func() nightsResult, len(parts))
	for i, p := range parts {
		runs[i] = startNights(t, p)
	}
	results := make([]nightsResult, len(parts))
	var wg sync.WaitGroup
	for i, run := range runs {
		wg.Go(func() { results[i] = run() })
	}
	wg.Wait()

	var all nightsTally
	for i, p := range parts {
		all.add(judgeNights(t, p, results[i], i*p.windows))
	}
	if all.completed < n.windows*3/4 {
		t.Errorf("%d of %d windows completed: the simulation proves little", all.completed, n.windows)
	}
	slices.Sort(all.overhead)
	if len(all.overhead) == 0 {
		t.Fatal("no completed run to measure")
	}
	median, worst := all.overhead[len(all.overhead)/2], all.overhead[len(all.overhead)-1]
	t.Logf("%d windows, %d completed, %d reported missed, %d missed with the run after their close skipped, %d taken by the previous run; dyno time beyond the job, per run: median %v, max %v (%d runs)",
		n.windows, all.completed, all.missed, all.unjudged, all.overlapped, median.Round(time.Millisecond), worst.Round(time.Millisecond), len(all.overhead))
	// What the simulation put the job through, so that a run that proves
	// little shows.
	t.Logf("%d Scheduler runs of apply, %d jobs stopped by the platform mid-run, %d restarts of a job within its run, %d failed API answers",
		all.applies, all.restarts, all.rerun, all.faults)
	if all.applies < 3*n.windows || all.restarts < n.windows/4 {
		t.Errorf("the simulation did not do what it should: %d applies, %d restarts", all.applies, all.restarts)
	}
	if t.Failed() {
		for i, res := range results {
			t.Logf("the log stream of windows %d-%d:\n%s", i*parts[i].windows, (i+1)*parts[i].windows-1, strings.Join(res.log, "\n"))
		}
	}
}

// split cuts n into simulations of as many nights each, to run at once: the
// first has n's first windows, and the downtime where n has it; each has a
// seed of its own.
func (n nights) split(parts int) []nights {
	out := make([]nights, parts)
	per := n.windows / parts
	for i := range out {
		p := n
		p.windows, p.seed, p.down = per, n.seed+uint64(i), -1
		if n.down >= i*per && n.down < (i+1)*per {
			p.down = n.down - i*per
		}
		out[i] = p
	}
	return out
}

// nightsTally counts what a simulation's windows came to, and what it put
// the job through.
type nightsTally struct {
	completed, missed, unjudged, overlapped int
	overhead                                []time.Duration
	// applies are Scheduler's runs of apply; restarts the jobs stopped by
	// the platform mid-run; rerun the starts of a job again within its run.
	applies, restarts, rerun, faults int
}

func (a *nightsTally) add(b nightsTally) {
	a.completed, a.missed, a.unjudged, a.overlapped = a.completed+b.completed, a.missed+b.missed, a.unjudged+b.unjudged, a.overlapped+b.overlapped
	a.overhead = append(a.overhead, b.overhead...)
	a.applies, a.restarts, a.rerun, a.faults = a.applies+b.applies, a.restarts+b.restarts, a.rerun+b.rerun, a.faults+b.faults
}

// judgeNights judges each window of a simulation of n, whose first window
// is the first-th of the test's, and counts what they came to.
func judgeNights(t *testing.T, n nights, res nightsResult, first int) nightsTally {
	t.Helper()
	_, downUntil := downtime(n.down)
	text := strings.Join(res.log, "\n")

	starts, dones := map[string]int{}, map[string]int{}
	doneAt := map[string]int{} // the line of a run's completion
	runs := map[int][]string{} // window -> its runs
	startRe := regexp.MustCompile(`app\[nightly\.1\]: job start (\S+)$`)
	doneRe := regexp.MustCompile(`app\[nightly\.1\]: job done (\S+)$`)
	for i, l := range res.log {
		if m := startRe.FindStringSubmatch(l); m != nil {
			if _, done := doneAt[m[1]]; done {
				t.Errorf("windows %d-: run %s started again after it completed (line %d)", first, m[1], i)
			}
			if starts[m[1]]++; starts[m[1]] == 1 {
				k := runNight(m[1])
				if k < 0 {
					t.Errorf("windows %d-: run %s started before the first window", first, m[1])
				}
				runs[k] = append(runs[k], m[1])
			}
		}
		if m := doneRe.FindStringSubmatch(l); m != nil {
			dones[m[1]]++
			doneAt[m[1]] = i
		}
	}
	missedRe := regexp.MustCompile(`msg="window missed" app=demo type=nightly open=(\S+)`)
	missed := map[int]bool{}
	for _, m := range missedRe.FindAllStringSubmatch(text, -1) {
		open, _ := time.Parse(time.RFC3339, m[1])
		missed[int(open.Sub(nightStart)/nightPeriod)] = true
	}
	// apply starts the job only inside a window: each Scheduler run that
	// changed the formation decided at an instant (its --at) inside one.
	startedBy := regexp.MustCompile(`app\[scheduler\.\d+\]: 1 app as of (\S+): 1 changed`)
	for _, m := range startedBy.FindAllStringSubmatch(text, -1) {
		at, _ := time.Parse(time.RFC3339, m[1])
		if open, close := window(stampNight(at)); at.Before(open) || !at.Before(close) {
			t.Errorf("windows %d-: an apply as of %s started the job outside every window", first, m[1])
		}
	}
	// A window missed is said by the one apply of the Scheduler interval
	// after the one of its close (the clock cut into intervals of --every),
	// statelessly: when Scheduler skipped that run, or it never read the
	// formation, nobody says it. held is the windows whose close such an
	// apply judged.
	held := map[int]bool{}
	judged := regexp.MustCompile(`app\[scheduler\.\d+\]: 1 app as of (\S+): \d+ changed, \d+ in state, 0 failed`)
	for _, m := range judged.FindAllStringSubmatch(text, -1) {
		at, _ := time.Parse(time.RFC3339, m[1])
		if k := stampNight(at); k >= 0 {
			if _, close := window(k); at.Truncate(nightEvery).Equal(close.Truncate(nightEvery).Add(nightEvery)) {
				held[k] = true
			}
		}
	}
	// A window may open while the previous night's run still goes (its API
	// calls failed and were retried, for seconds that the emulated clock
	// makes minutes): no second job starts, and its scale-down, in a night
	// with no run of its own, counts as that window's run (the README's
	// edge).
	scaledDown := regexp.MustCompile(`^(\S+) app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0`)
	taken := map[int]bool{}
	for _, l := range res.log {
		if m := scaledDown.FindStringSubmatch(l); m != nil {
			at, _ := time.Parse(time.RFC3339Nano, m[1])
			taken[stampNight(at)] = true
		}
	}
	var tally nightsTally
	for k := range n.windows {
		switch ids := runs[k]; {
		// With the API down throughout the window, its job cannot start
		// in it: the window is reported missed, or, when an apply that
		// began inside it was still retrying as the API came back (its
		// decision inside the window is checked above), the job starts
		// then, once.
		case k == n.down && len(ids) == 0 && !missed[k] && held[k]:
			t.Errorf("window %d, with the API down throughout: no run, and not reported missed", first+k)
		case len(ids) == 0 && !missed[k] && !held[k]:
			tally.unjudged++
		case k == n.down && len(ids) == 1 && runStart(ids[0]).Before(downUntil):
			t.Errorf("window %d, with the API down until %s: run %s started before", first+k, downUntil.Format(time.TimeOnly), ids[0])
		case len(ids) == 0 && !missed[k] && taken[k]:
			tally.overlapped++
		case len(ids) == 0 && !missed[k]:
			t.Errorf("window %d: no run, and not reported missed", first+k)
		case len(ids) > 1:
			t.Errorf("window %d started %d runs: %v", first+k, len(ids), ids)
		case len(ids) == 1 && dones[ids[0]] != 1:
			t.Errorf("window %d: run %s completed %d times, want once", first+k, ids[0], dones[ids[0]])
		case len(ids) == 1 && missed[k]:
			t.Errorf("window %d ran, and was reported missed", first+k)
		case len(ids) == 1:
			tally.completed++
		}
	}
	// At the end no job runs: the type is at 0, and no dyno of it is left.
	if res.final != 0 {
		t.Errorf("windows %d-: nightly is at %d at the end, want 0", first, res.final)
	}
	count := func(pattern string) int { return len(regexp.MustCompile(pattern).FindAllString(text, -1)) }
	tally.missed, tally.overhead, tally.faults = len(missed), res.overhead, res.faults
	tally.restarts = count(`heroku\[nightly\.1\]: Stopping all processes with SIGTERM`) - tally.completed
	tally.applies = count(`heroku\[scheduler\.\d+\]: Starting process`)
	tally.rerun = count(`app\[nightly\.1\]: job start`) - len(starts)
	return tally
}

// BenchmarkNights measures the dyno time a run costs beyond its job's own
// runtime, on nights without faults or restarts: what a completed run
// costs the app (the settle period, the scale-down, and the platform's
// stop, which comes a second after it).
//
//	go test ./cmd/scaler -run '^$' -bench BenchmarkNights -benchtime 1x
func BenchmarkNights(b *testing.B) {
	var all []time.Duration
	for i := range b.N {
		res := simulateNights(b, nights{windows: 8, down: -1, seed: uint64(i + 1)})
		all = append(all, res.overhead...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		b.Fatal("no completed run")
	}
	b.ReportMetric(float64(all[len(all)/2].Milliseconds()), "ms-beyond-job/run")
	b.ReportMetric(float64(all[len(all)-1].Milliseconds()), "max-ms-beyond-job/run")
	b.ReportMetric(0, "ns/op")
}
