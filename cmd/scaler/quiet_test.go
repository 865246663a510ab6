package main

// The proof of a restart window's quiet period: an always-on worker under
// the dyno manager, cycled as Heroku cycles every dyno (a day after it
// started, plus up to 216 minutes: --cycle, --cycle-jitter), takes a long
// job from its queue each "night", right after the restart window. With
// the window, Scheduler running `scaler apply` (with skips and duplicates)
// restarts the worker in it each day, and no job is cut by cycling; without
// it, the cycle drifts into the jobs.
//
// The time is compressed twice over. A simulated day is 18 emulated
// minutes, with everything in it at Heroku's proportions: the cycle is a
// day plus up to 216/1440 of one, the restart window a third of the day
// (a Scheduler run every 2 emulated minutes, three in a window), the job
// a third, starting 2 minutes after the window closes. Scheduler skips 5%
// of its runs and starts 15% twice. And the emulator's
// clock runs 360 times faster than real time: a day passes in three
// seconds, and a Scheduler run has a third of a second to decide, on a
// loaded machine too.
// The schedule's windows are in emulated minutes, one rule per day.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

const (
	quietRate   = 360              // the emulated clock's speed: a simulated day in three seconds
	quietDay    = 18 * time.Minute // a simulated day, on the emulated clock
	quietWindow = 6 * time.Minute  // the restart window, from the day's start
	quietJobAt  = 8 * time.Minute  // when the night's job is queued, from the day's start
	quietJob    = 6 * time.Minute  // how long it runs
	quietEvery  = 2 * time.Minute  // Scheduler's interval
	quietDays   = 14
)

var quietStart = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// quietDayAt returns when simulated day k starts, on the emulated clock:
// its restart window opens then. The worker starts 6 minutes before the
// first.
func quietDayAt(k int) time.Time {
	return quietStart.Add(6*time.Minute + time.Duration(k)*quietDay)
}

// quietReal turns a duration of the emulated clock into real time.
func quietReal(d time.Duration) time.Duration { return d / quietRate }

// The worker takes jobs from its queue (files in queue/), one at a time,
// and says when each starts and completes. On SIGTERM it stops, as Resque
// or Sidekiq do; a job it was running is cut, and never completes: it was
// taken from the queue.
var quietWorker = fmt.Sprintf(`worker: mkdir -p queue; trap 'echo "worker stopped"; exit 0' TERM; `+
	`while :; do for f in queue/ready-*; do [ -e "$f" ] || continue; k=${f#queue/ready-}; mv "$f" "queue/taken-$k" 2>/dev/null || continue; `+
	`echo "job start $k"; sleep %s & if wait $!; then echo "job done $k"; fi; done; sleep 0.02; done`+"\n",
	strconv.FormatFloat(quietReal(quietJob).Seconds(), 'f', 3, 64))

// quietSchedule is a restart window per simulated day: `worker daily
// HH:MM-HH:MM restart`.
func quietSchedule() string {
	var b strings.Builder
	for k := range quietDays {
		open := quietDayAt(k)
		fmt.Fprintf(&b, "worker daily %s-%s restart;", open.Format("15:04"), open.Add(quietWindow).Format("15:04"))
	}
	return b.String()
}

// quietRun is what one simulation saw: the log stream, and each job's
// fate.
type quietRun struct {
	log  []string
	jobs []quietJobFate // by day
}

type quietJobFate struct {
	started, done bool
	cutBy         string // Cycling or Restarting, when the worker was stopped while it ran
}

// simulateQuiet runs the worker for quietDays simulated days, with the
// restart windows or without (and then without Scheduler: nothing would
// restart it).
func simulateQuiet(t *testing.T, windows bool) quietRun {
	dir, procfile := dynoFolder(t, quietWorker)
	clock := emulator.Clock(quietStart, quietRate)
	dc := &emulator.DynoConfig{
		Procfile: procfile, Log: newLogStream(),
		Env:         []string{envToken + "=" + testToken},
		StopLatency: 0, KillAfter: 5 * time.Second, RestartDelay: time.Second,
		Cycle: quietReal(quietDay), CycleJitter: quietReal(quietDay * 216 / 1440),
		Seed: 20261201,
	}
	stream := dc.Log.(*logStream)
	if windows {
		apply, err := emulator.ParseSchedulerJob(fmt.Sprintf(`%v scaler apply --at "$%s" --every %v`, quietReal(quietEvery), emulator.EnvNow, quietEvery))
		if err != nil {
			t.Fatal(err)
		}
		dc.Env = append(dc.Env, envSchedule+"="+quietSchedule())
		dc.Scheduler, dc.SchedulerSkip, dc.SchedulerDup = []emulator.SchedulerJob{apply}, 0.05, 0.15
	}
	_, stop := startDynos(t, emulator.Config{
		Token: testToken, Now: clock, ClockRate: quietRate, BootDelay: 50 * time.Millisecond,
		Apps:  []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "worker", Quantity: 1}}}},
		Dynos: dc,
	})
	// The night's job is queued at its time of each day, on the emulated
	// clock: the queue is part of the world simulated, as Scheduler is.
	realAt := func(at time.Time) time.Duration { return quietReal(at.Sub(clock())) }
	for k := range quietDays {
		job := filepath.Join(dir, "queue", "ready-"+strconv.Itoa(k))
		timer := time.AfterFunc(realAt(quietDayAt(k).Add(quietJobAt)), func() {
			os.MkdirAll(filepath.Dir(job), 0o755)
			os.WriteFile(job, nil, 0o644)
		})
		defer timer.Stop()
	}
	stream.until(clock, quietDayAt(quietDays), quietRate)
	if err := stop(); err != nil {
		t.Error(err)
	}
	lines, _ := stream.wait(0, 0)
	return quietFates(lines)
}

var (
	quietJobLine    = regexp.MustCompile(`app\[worker\.1\]: job (start|done) (\d+)$`)
	quietWorkerStop = regexp.MustCompile(`heroku\[worker\.1\]: (Cycling|Restarting)$`)
)

// quietFates reads each job's fate from the log stream.
func quietFates(lines []string) quietRun {
	run := quietRun{log: lines, jobs: make([]quietJobFate, quietDays)}
	running := -1
	for _, l := range lines {
		if m := quietJobLine.FindStringSubmatch(l); m != nil {
			k, _ := strconv.Atoi(m[2])
			if m[1] == "start" {
				run.jobs[k].started, running = true, k
			} else {
				run.jobs[k].done, running = true, -1
			}
			continue
		}
		if m := quietWorkerStop.FindStringSubmatch(l); m != nil && running >= 0 {
			run.jobs[running].cutBy, running = m[1], -1
		}
	}
	return run
}

// cut returns the days whose job was cut.
func (r quietRun) cut() []int {
	var out []int
	for k, j := range r.jobs {
		if j.cutBy != "" {
			out = append(out, k)
		}
	}
	return out
}

func TestRestartWindowQuietPeriod(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a simulation of 14 days, about 45 s")
	}
	t.Run("with the restart window", func(t *testing.T) {
		t.Parallel()
		run := simulateQuiet(t, true)
		text := strings.Join(run.log, "\n")
		for k, j := range run.jobs {
			if !j.started || !j.done || j.cutBy != "" {
				t.Errorf("day %d: the job started %v, completed %v, cut by %q", k, j.started, j.done, j.cutBy)
			}
		}
		count := func(pattern string) int { return len(regexp.MustCompile(pattern).FindAllString(text, -1)) }
		restarts, done := count(`app\[scheduler\.\d+\]: demo: restarted worker \(1 dyno\)`), count(`app\[scheduler\.\d+\]: demo: worker restarted in this window`)
		// Each day, the worker restarted (or was cycled) in its window: a
		// cycle in the window is as good as a restart, and the applies
		// after it say so; and once: a Scheduler duplicate whose two
		// applies read the dynos before either's restart landed restarts
		// the dyno once, by its id, which the restart changes.
		stops, restarted := make([]int, quietDays), make([]int, quietDays)
		for _, l := range run.log {
			if m := quietWorkerStop.FindStringSubmatch(l); m != nil {
				at, _ := time.Parse(time.RFC3339Nano, strings.Fields(l)[0])
				k := int(at.Sub(quietDayAt(0)) / quietDay)
				if k < 0 || k >= quietDays {
					continue
				}
				stops[k]++
				if m[1] == "Restarting" {
					restarted[k]++
				}
				// The quiet period: from a window's close to the next's
				// opening, no cycling.
				if m[1] == "Cycling" && at.Sub(quietDayAt(k)) >= quietWindow {
					t.Errorf("worker cycled at %s, in the quiet period of day %d", at.Format(time.TimeOnly), k)
				}
			}
		}
		twice := 0
		for k := range quietDays {
			if stops[k] == 0 {
				t.Errorf("day %d: the worker was neither restarted nor cycled", k)
			}
			if restarted[k] > 1 {
				twice++
				t.Errorf("day %d: the worker restarted %d times", k, restarted[k])
			}
		}
		t.Logf("%d days: %d restarts by apply, %d applies that found the worker restarted in the window, %d cycles (each in a window, in place of its restart), %d days restarted twice, %d restarts missed",
			quietDays, restarts, done, count(`heroku\[worker\.1\]: Cycling`), twice, count(`msg="restart missed"`))
		if restarts < quietDays*3/4 || done == 0 {
			t.Errorf("the simulation did not do what it should: %d restarts, %d applies after one", restarts, done)
		}
		if t.Failed() || os.Getenv("QUIET_LOG") != "" {
			t.Logf("the log stream:\n%s", text)
		}
	})
	t.Run("without", func(t *testing.T) {
		t.Parallel()
		run := simulateQuiet(t, false)
		cut := run.cut()
		if len(cut) == 0 {
			t.Fatalf("no job was cut by cycling without the restart window: the simulation proves nothing\n%s", strings.Join(run.log, "\n"))
		}
		t.Logf("without the window, cycling cut the jobs of days %v", cut)
	})
}

// Scheduler starts every run twice, at the same instant, and the API is
// slow (its latency longer than the time between the two starts): the two
// applies of the run in the restart window read the dynos before either
// restarts them, and each dyno restarts once all the same. apply restarts
// the dynos due by id, and the dyno manager gives a restarted dyno a new
// one, so the later restart of a dyno is refused (404) and skipped.
func TestSchedulerDuplicatesRestartOnce(t *testing.T) {
	_, procfile := dynoFolder(t, "worker: sleep 3600\n")
	const rate = 300 // Scheduler's 10 minutes in 2 seconds
	start := time.Date(2026, 12, 1, 0, 59, 0, 0, time.UTC)
	clock := emulator.Clock(start, rate)
	apply, err := emulator.ParseSchedulerJob(fmt.Sprintf(`%v scaler apply --at "$%s" --every 10m`, 10*time.Minute/rate, emulator.EnvNow))
	if err != nil {
		t.Fatal(err)
	}
	dc := &emulator.DynoConfig{
		Procfile: procfile, Log: newLogStream(), KillAfter: 5 * time.Second,
		Env:       []string{envToken + "=" + testToken, envSchedule + "=worker daily 01:00-01:10 restart"},
		Scheduler: []emulator.SchedulerJob{apply}, SchedulerDup: 1, Seed: 1,
	}
	stream := dc.Log.(*logStream)
	_, stop := startDynos(t, emulator.Config{
		Token: testToken, Now: clock, ClockRate: rate, BootDelay: 50 * time.Millisecond, Latency: 150 * time.Millisecond,
		Apps:  []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "worker", Quantity: 2}}}},
		Dynos: dc,
	})
	// The window's run, and the one after its close.
	stream.until(clock, time.Date(2026, 12, 1, 1, 12, 0, 0, time.UTC), rate)
	if err := stop(); err != nil {
		t.Error(err)
	}
	text := stream.String()
	for _, dyno := range []string{"worker.1", "worker.2"} {
		if n := strings.Count(text, "heroku["+dyno+"]: Restarting"); n != 1 {
			t.Errorf("%s restarted %d times in the window, want once", dyno, n)
		}
	}
	if n := strings.Count(text, "demo: restarted worker"); n < 1 {
		t.Errorf("no apply said it restarted worker")
	}
	if t.Failed() {
		t.Logf("the log stream:\n%s", text)
	}
}
