package emulator

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logWait bounds every wait on the log stream or the API state: generous,
// since a loaded CI machine is slow; a test that passes waits far less.
const logWait = 20 * time.Second

// stream is the log stream as a test reads it: whole lines, and a cursor
// for reading them in order.
type stream struct {
	mu      sync.Mutex
	lines   []string
	partial string
	changed chan struct{}
	pos     int
}

func newStream() *stream { return &stream{changed: make(chan struct{})} }

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := s.partial + string(p)
	parts := strings.Split(text, "\n")
	s.partial = parts[len(parts)-1]
	s.lines = append(s.lines, parts[:len(parts)-1]...)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// next waits for the first line at or after the cursor that matches the
// regular expression, moves the cursor past it, and returns it.
func (s *stream) next(t testing.TB, pattern string) string {
	t.Helper()
	line, _ := s.find(t, pattern, true)
	return line
}

// find waits for a line matching pattern, from the cursor (from the start
// when !fromCursor), and returns it and its index.
func (s *stream) find(t testing.TB, pattern string, fromCursor bool) (string, int) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.NewTimer(logWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		start := 0
		if fromCursor {
			start = s.pos
		}
		for i := start; i < len(s.lines); i++ {
			if re.MatchString(s.lines[i]) {
				if fromCursor {
					s.pos = i + 1
				}
				line := s.lines[i]
				s.mu.Unlock()
				return line, i
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no line matching %q after line %d within %v; the stream:\n%s", pattern, start, logWait, s)
			return "", -1
		}
	}
}

// rewind moves the cursor back to the first line.
func (s *stream) rewind() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pos = 0
}

// skip moves the cursor past every line written so far.
func (s *stream) skip() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pos = len(s.lines)
}

// await returns a channel closed once a line matches pattern, for a
// goroutine that must not fail the test itself.
func (s *stream) await(pattern string) <-chan struct{} {
	re := regexp.MustCompile(pattern)
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.NewTimer(logWait)
		defer deadline.Stop()
		for {
			s.mu.Lock()
			for _, l := range s.lines {
				if re.MatchString(l) {
					s.mu.Unlock()
					return
				}
			}
			ch := s.changed
			s.mu.Unlock()
			select {
			case <-ch:
			case <-deadline.C:
				return
			}
		}
	}()
	return done
}

// count returns how many lines match pattern.
func (s *stream) count(pattern string) int {
	re := regexp.MustCompile(pattern)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lines {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

// stampOf reads the time a log line is stamped with.
func stampOf(t testing.TB, line string) time.Time {
	t.Helper()
	at, _, _ := strings.Cut(line, " ")
	ts, err := time.Parse(logStampLayout, at)
	if err != nil {
		t.Fatalf("line %q is not stamped like heroku logs: %v", line, err)
	}
	return ts
}

// dynoFixture is an emulator whose dynos are real processes, served over
// HTTP on loopback, with its log stream.
type dynoFixture struct {
	em  *Emulator
	url string
	dir string // the Procfile's directory
	log *stream
}

// startDynos writes procfile in a temporary directory and runs the
// formation (TYPE=N,...) of an app named demo. edit may change the
// configuration first. The dynos are stopped when the test ends.
func startDynos(t *testing.T, procfile, formation string, edit func(*Config)) *dynoFixture {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		t.Fatal(err)
	}
	pf, err := ReadProcfile(filepath.Join(dir, "Procfile"))
	if err != nil {
		t.Fatal(err)
	}
	procs, err := ParseFormation(formation)
	if err != nil {
		t.Fatal(err)
	}
	log := newStream()
	cfg := Config{
		Apps:  []App{{Name: "demo", Formation: procs}},
		Dynos: &DynoConfig{Procfile: pf, Log: log, KillAfter: 5 * time.Second},
	}
	if edit != nil {
		edit(&cfg)
	}
	em, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	if err := em.StartDynos(srv.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), logWait)
		defer cancel()
		if err := em.StopDynos(ctx); err != nil {
			t.Errorf("StopDynos: %v", err)
		}
	})
	return &dynoFixture{em: em, url: srv.URL, dir: dir, log: log}
}

// waitDynos waits until the app's dynos, as "name:state" sorted as the API
// lists them, are want.
func (f *dynoFixture) waitDynos(t *testing.T, want string) []DynoState {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), logWait)
	defer cancel()
	var got []DynoState
	err := f.em.WaitDynos(ctx, "demo", func(ds []DynoState) bool {
		got = ds
		return stateString(ds) == want
	})
	if err != nil {
		t.Fatalf("dynos are %q, want %q (%v); the stream:\n%s", stateString(got), want, err, f.log)
	}
	return got
}

func stateString(ds []DynoState) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Name+":"+d.State)
	}
	return strings.Join(s, " ")
}

func (f *dynoFixture) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	return do(t, f.url, method, path, body)
}

// scale sets a process type's quantity through the API.
func (f *dynoFixture) scale(t *testing.T, typ string, n int) {
	t.Helper()
	if status, body := f.do(t, "PATCH", "/apps/demo/formation", fmt.Sprintf(`{"updates":[{"type":%q,"quantity":%d}]}`, typ, n)); status != 200 {
		t.Fatalf("scale %s=%d: %d %s", typ, n, status, body)
	}
}

// running reports whether a process is alive: a zombie, which has exited
// and waits to be reaped, is not.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// pidIn reads the number after word in a line.
func pidIn(t *testing.T, line, word string) int {
	t.Helper()
	_, after, _ := strings.Cut(line, word)
	pid, err := strconv.Atoi(strings.Fields(after + " ")[0])
	if err != nil {
		t.Fatalf("no pid after %q in %q", word, line)
	}
	return pid
}

var logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|heroku)\[[a-z0-9_-]+\.\d+\]: `)

func TestDynosRunTheFormation(t *testing.T) {
	t.Parallel()
	f := startDynos(t, `
# comments and blank lines are fine
web: echo "web DYNO=$DYNO PORT=$PORT app=$HEROKU_APP_NAME id=$HEROKU_APP_ID dyno=$HEROKU_DYNO_ID api=$HEROKU_API_URL greeting=$GREETING"; exec sleep 60
worker: echo "worker $DYNO in $(pwd)"; exec sleep 60
`, "web=1,worker=0", func(c *Config) {
		c.Dynos.Env = []string{"GREETING=hello world"}
		c.BootDelay = 50 * time.Millisecond
	})
	ds := f.waitDynos(t, "web.1:up")
	line := f.log.next(t, `app\[web\.1\]: web `)
	want := fmt.Sprintf("web DYNO=web.1 PORT=%s app=demo id=%s dyno=%s api=%s greeting=hello world",
		regexp.MustCompile(`PORT=(\d+)`).FindStringSubmatch(line)[1], f.em.apps["demo"].id, ds[0].ID, f.url)
	if !strings.HasSuffix(line, want) {
		t.Errorf("web.1 printed %q, want %q", line, want)
	}

	f.scale(t, "worker", 2)
	f.waitDynos(t, "web.1:up worker.1:up worker.2:up")
	for _, name := range []string{"worker.1", "worker.2"} {
		f.log.find(t, `app\[`+name+`\]: worker `+name+` in `+regexp.QuoteMeta(f.dir)+`$`, false)
	}
	// Scaling down stops the highest-numbered dyno: down, then SIGTERM.
	f.scale(t, "worker", 1)
	f.log.next(t, `heroku\[worker\.2\]: State changed from up to down$`)
	f.log.next(t, `heroku\[worker\.2\]: Stopping all processes with SIGTERM$`)
	f.log.next(t, `heroku\[worker\.2\]: Process exited with status 143$`)
	f.waitDynos(t, "web.1:up worker.1:up")
	if n := f.log.count(`heroku\[worker\.1\]: Stopping`); n != 0 {
		t.Errorf("worker.1 was stopped too:\n%s", f.log)
	}
	for _, l := range strings.Split(f.log.String(), "\n") {
		if !logLine.MatchString(l) {
			t.Errorf("not a heroku logs line: %q", l)
		}
	}
}

// Log stamps come from the emulator's clock, not the machine's.
func TestLogStampsComeFromTheEmulatorClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 2, 0, 0, 123456000, time.UTC)
	f := startDynos(t, "web: echo hello; exec sleep 60\n", "web=1", func(c *Config) {
		c.Now = func() time.Time { return at }
	})
	if line := f.log.next(t, `app\[web\.1\]: hello$`); line != "2026-11-30T02:00:00.123456+00:00 app[web.1]: hello" {
		t.Errorf("line = %q", line)
	}
}

// A dyno whose processes ignore SIGTERM gets SIGKILL after the kill-after
// time, with the R12 error; a grandchild goes with its dyno, whether it
// ignores SIGTERM or not.
func TestStoppingKillsTheWholeGroup(t *testing.T) {
	t.Parallel()
	f := startDynos(t, `
stubborn: trap '' TERM; echo ready; while :; do sleep 0.05; done
forker: sh -c 'trap "" TERM; echo "stubborn grandchild $$"; exec sleep 60' & sleep 60 & echo "grandchild $!"; wait
`, "stubborn=1,forker=1", func(c *Config) {
		c.Dynos.KillAfter = 300 * time.Millisecond
	})
	f.log.find(t, `app\[stubborn\.1\]: ready`, false)
	stubbornChild := pidIn(t, f.log.next(t, `app\[forker\.1\]: stubborn grandchild \d+`), "grandchild ")
	f.log.rewind()
	child := pidIn(t, f.log.next(t, `app\[forker\.1\]: grandchild \d+`), "grandchild ")

	f.scale(t, "stubborn", 0)
	term := f.log.next(t, `heroku\[stubborn\.1\]: Stopping all processes with SIGTERM$`)
	r12 := f.log.next(t, `heroku\[stubborn\.1\]: Error R12 \(Exit timeout\) -> At least one process failed to exit within 0\.3 seconds of SIGTERM$`)
	f.log.next(t, `heroku\[stubborn\.1\]: Stopping process with SIGKILL$`)
	f.log.next(t, `heroku\[stubborn\.1\]: Process exited with status 137$`)
	if took := stampOf(t, r12).Sub(stampOf(t, term)); took < 300*time.Millisecond {
		t.Errorf("SIGKILL %v after SIGTERM, before the kill-after time of 300ms", took)
	}

	// The forker's command dies of SIGTERM at once, one grandchild with
	// it; the other ignores it and is killed with the rest of the group.
	f.log.rewind()
	f.scale(t, "forker", 0)
	f.log.next(t, `heroku\[forker\.1\]: Stopping all processes with SIGTERM$`)
	f.log.next(t, `heroku\[forker\.1\]: Process exited with status 143$`)
	f.log.next(t, `heroku\[forker\.1\]: Error R12 \(Exit timeout\)`)
	f.log.next(t, `heroku\[forker\.1\]: Stopping process with SIGKILL$`)
	f.waitDynos(t, "")
	for _, pid := range []int{child, stubbornChild} {
		if running(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("grandchild %d outlived its dyno:\n%s", pid, f.log)
		}
	}
	if n := f.log.count(`heroku\[stubborn\.1\]: Starting process`); n != 1 {
		t.Errorf("a dyno scaled away was started %d times", n)
	}
}

// A dyno that keeps crashing is restarted at once the first time, then
// after a cool-off that doubles.
func TestCrashLoopBacksOff(t *testing.T) {
	t.Parallel()
	const coolOff = 300 * time.Millisecond
	f := startDynos(t, "crashy: echo boom; exit 3\n", "crashy=1", func(c *Config) {
		c.Dynos.RestartDelay = coolOff
	})
	var exits, starts []time.Time
	starts = append(starts, stampOf(t, f.log.next(t, `heroku\[crashy\.1\]: Starting process`)))
	for range 3 {
		exits = append(exits, stampOf(t, f.log.next(t, `heroku\[crashy\.1\]: Process exited with status 3$`)))
		f.log.next(t, `heroku\[crashy\.1\]: State changed from (starting|up) to crashed$`)
		f.log.next(t, `heroku\[crashy\.1\]: State changed from crashed to starting$`)
		starts = append(starts, stampOf(t, f.log.next(t, `heroku\[crashy\.1\]: Starting process`)))
	}
	gaps := []time.Duration{starts[1].Sub(exits[0]), starts[2].Sub(exits[1]), starts[3].Sub(exits[2])}
	if gaps[0] >= coolOff || gaps[1] < coolOff || gaps[2] < 2*coolOff {
		t.Errorf("restarts came %v after each crash; want at once, then after %v, then %v", gaps, coolOff, 2*coolOff)
	}
	// Scaled to 0 while it waits to restart, it is down at once.
	f.log.next(t, `heroku\[crashy\.1\]: Process exited with status 3$`)
	f.waitDynos(t, "crashy.1:crashed")
	f.scale(t, "crashy", 0)
	f.log.next(t, `heroku\[crashy\.1\]: State changed from crashed to down$`)
	f.waitDynos(t, "")
}

// Until the stop latency is over, a dyno scaled away runs on, and if its
// command exits, it is restarted like a crashed dyno: a supervisor that
// exits right after scaling its own type to 0 runs once more.
func TestStopLatencyWindow(t *testing.T) {
	t.Parallel()
	const latency = time.Second
	f := startDynos(t, `worker: echo "started $HEROKU_DYNO_ID"; while [ ! -e done ]; do sleep 0.01; done; rm -f done; echo exiting`+"\n",
		"worker=1", func(c *Config) {
			c.Dynos.StopLatency = latency
		})
	first := f.log.next(t, `app\[worker\.1\]: started `)
	f.scale(t, "worker", 0)
	down := f.log.next(t, `heroku\[worker\.1\]: State changed from (starting|up) to down$`)
	f.waitDynos(t, "worker.1:down")
	if err := os.WriteFile(filepath.Join(f.dir, "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f.log.next(t, `app\[worker\.1\]: exiting$`)
	f.log.next(t, `heroku\[worker\.1\]: Process exited with status 0$`)
	f.log.next(t, `heroku\[worker\.1\]: State changed from down to crashed$`)
	f.log.next(t, `heroku\[worker\.1\]: State changed from crashed to starting$`)
	f.log.next(t, `heroku\[worker\.1\]: Starting process`)
	second := f.log.next(t, `app\[worker\.1\]: started `)
	if first == second {
		t.Errorf("the restarted dyno has the same id: %q", second)
	}
	term := f.log.next(t, `heroku\[worker\.1\]: Stopping all processes with SIGTERM$`)
	f.log.next(t, `heroku\[worker\.1\]: Process exited with status 143$`)
	if took := stampOf(t, term).Sub(stampOf(t, down)); took < latency {
		t.Errorf("SIGTERM %v after the scale-down, want the stop latency of %v", took, latency)
	}
	f.waitDynos(t, "")
}

// Each formation dyno is cycled --cycle after it started: the new dyno
// starts while the old one is being stopped (they overlap, as on the
// platform).
func TestCycling(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "worker: echo \"up $HEROKU_DYNO_ID\"; exec sleep 60\n", "worker=1", func(c *Config) {
		c.Dynos.Cycle = 300 * time.Millisecond
	})
	first := f.log.next(t, `app\[worker\.1\]: up `)
	f.log.next(t, `heroku\[worker\.1\]: Cycling$`)
	f.log.next(t, `heroku\[worker\.1\]: State changed from (up|starting) to starting$`)
	f.log.next(t, `heroku\[worker\.1\]: Stopping all processes with SIGTERM$`)
	f.log.next(t, `heroku\[worker\.1\]: Starting process`)
	f.log.next(t, `heroku\[worker\.1\]: Process exited with status 143$`)
	f.log.rewind()
	f.log.next(t, regexp.QuoteMeta(first))
	if second := f.log.next(t, `app\[worker\.1\]: up `); second == first {
		t.Errorf("the cycled dyno kept its id")
	}
	f.log.next(t, `heroku\[worker\.1\]: Cycling$`) // and again, a cycle after the new one started
}

// With CycleJitter, each dyno's cycle is Cycle plus a draw of up to
// CycleJitter, which the seed replays; without, it is Cycle.
func TestCycleJitter(t *testing.T) {
	t.Parallel()
	const cycle, jitter = time.Hour, 216 * time.Minute
	cycles := func(seed uint64, withJitter bool) []time.Duration {
		var mu sync.Mutex
		var got []time.Duration
		startDynos(t, "worker: exec sleep 60\n", "worker=4", func(c *Config) {
			c.Dynos.Cycle, c.Dynos.Seed = cycle, seed
			if withJitter {
				c.Dynos.CycleJitter = jitter
			}
			c.Dynos.AfterFunc = func(d time.Duration, f func()) func() bool {
				if d >= cycle { // the cycles: nothing else is that long here
					mu.Lock()
					got = append(got, d)
					mu.Unlock()
				}
				return time.AfterFunc(d, f).Stop
			}
		}).waitDynos(t, "worker.1:up worker.2:up worker.3:up worker.4:up")
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	a, again, other := cycles(7, true), cycles(7, true), cycles(8, true)
	if len(a) != 4 || slices.Equal(a, other) || !slices.Equal(a, again) {
		t.Errorf("cycles of seed 7: %v, again %v; of seed 8: %v; want 4 draws, replayed by the seed", a, again, other)
	}
	for _, d := range a {
		if d < cycle || d > cycle+jitter {
			t.Errorf("a cycle of %v, want %v plus up to %v", d, cycle, jitter)
		}
	}
	if plain := cycles(7, false); !slices.Equal(plain, []time.Duration{cycle, cycle, cycle, cycle}) {
		t.Errorf("cycles without jitter: %v, want %v each", plain, cycle)
	}
	if _, err := New(Config{Apps: []App{{Name: "demo"}}, Dynos: &DynoConfig{Procfile: &Procfile{}, CycleJitter: time.Minute}}); err == nil {
		t.Error("CycleJitter without Cycle was accepted")
	}
}

// Every restart through the API is a new dyno, whose cycle counts from its
// own start: a restart of the type (the CLI's), of the dyno, of the app (a
// deploy).
func TestRestartResetsTheCycle(t *testing.T) {
	t.Parallel()
	const cycle = 400 * time.Millisecond
	f := startDynos(t, "worker: exec sleep 60\n", "worker=1", func(c *Config) { c.Dynos.Cycle = cycle })
	f.log.next(t, `heroku\[worker\.1\]: State changed from starting to up$`)
	for _, restart := range []struct{ accept, path string }{
		{SDKAccept, "/apps/demo/formations/worker"},
		{AcceptHeader, "/apps/demo/dynos/worker.1"},
		{AcceptHeader, "/apps/demo/dynos"},
	} {
		if status, body := doAccept(t, f.url, restart.accept, "DELETE", restart.path, ""); status != 202 {
			t.Fatalf("DELETE %s = %d %s", restart.path, status, body)
		}
		restarted := f.log.next(t, `heroku\[worker\.1\]: Restarting$`)
		cycled := f.log.next(t, `heroku\[worker\.1\]: Cycling$`)
		if after := stampOf(t, cycled).Sub(stampOf(t, restarted)); after < cycle {
			t.Errorf("after DELETE %s, cycled %v after the restart, want %v at least", restart.path, after, cycle)
		}
		f.log.next(t, `heroku\[worker\.1\]: State changed from starting to up$`)
	}
}

// The API's restarts act on processes: every restart is a new dyno with a
// new id; a formation dyno that is stopped comes back.
func TestRestartsThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\nworker: exec sleep 60\n", "web=1,worker=2", nil)
	ids := func(ds []DynoState) map[string]string {
		out := map[string]string{}
		for _, d := range ds {
			out[d.Name] = d.ID
		}
		return out
	}
	before := ids(f.waitDynos(t, "web.1:up worker.1:up worker.2:up"))
	steps := []struct {
		method, path string
		changed      []string
	}{
		{"DELETE", "/apps/demo/dynos", []string{"web.1", "worker.1", "worker.2"}}, // a deploy
		{"DELETE", "/apps/demo/dynos/worker.2", []string{"worker.2"}},
		{"DELETE", "/apps/demo/dynos/worker", []string{"worker.1", "worker.2"}},
		{"POST", "/apps/demo/dynos/web.1/actions/stop", []string{"web.1"}},
	}
	for _, s := range steps {
		f.log.skip()
		if status, body := f.do(t, s.method, s.path, ""); status != 202 {
			t.Fatalf("%s %s = %d %s", s.method, s.path, status, body)
		}
		for _, name := range s.changed {
			if s.method == "DELETE" {
				f.log.find(t, `heroku\[`+regexp.QuoteMeta(name)+`\]: Restarting$`, true)
			}
		}
		after := ids(f.waitDynos(t, "web.1:up worker.1:up worker.2:up"))
		for name, id := range after {
			if changed := slicesContains(s.changed, name); changed == (id == before[name]) {
				t.Errorf("after %s %s, %s has id %s (was %s)", s.method, s.path, name, id, before[name])
			}
		}
		before = after
	}
	f.log.find(t, `heroku\[web\.1\]: State changed from up to down$`, false)
	// The official CLI's restart of a process type: new dynos.
	if status, body := doAccept(t, f.url, SDKAccept, "DELETE", "/apps/demo/formations/worker", ""); status != 202 {
		t.Fatalf("DELETE /apps/demo/formations/worker = %d %s", status, body)
	}
	f.log.find(t, `heroku\[worker\.2\]: Restarting$`, true)
	after := ids(f.waitDynos(t, "web.1:up worker.1:up worker.2:up"))
	if after["web.1"] != before["web.1"] || after["worker.1"] == before["worker.1"] || after["worker.2"] == before["worker.2"] {
		t.Errorf("after the restart of worker: ids %v, were %v", after, before)
	}
	status, body := f.do(t, "DELETE", "/apps/demo/dynos/clock.1", "")
	wantError(t, status, body, 404, "not_found", "Couldn't find that dyno.")
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// When the dyno manager stops, every dyno gets SIGTERM, then SIGKILL after
// the kill-after time, and nothing is left; a done context skips the wait.
func TestStopDynosLeavesNothing(t *testing.T) {
	t.Parallel()
	f := startDynos(t, `
web: sh -c 'sleep 60' & echo "grandchild $!"; wait
stubborn: trap '' TERM; sh -c 'echo "grandchild $$"; exec sleep 60' & while :; do sleep 0.05; done
`, "web=1,stubborn=1", func(c *Config) {
		c.Dynos.KillAfter = time.Minute
	})
	web := pidIn(t, f.log.next(t, `app\[web\.1\]: grandchild `), "grandchild ")
	f.log.rewind()
	stubborn := pidIn(t, f.log.next(t, `app\[stubborn\.1\]: grandchild `), "grandchild ")

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-f.log.await(`heroku\[stubborn\.1\]: Stopping all processes with SIGTERM$`)
		// Any status: the signals reach web's processes in no fixed
		// order, and its shell may see its child die first and exit 0.
		<-f.log.await(`heroku\[web\.1\]: Process exited with status \d+$`)
		cancel() // a second interrupt: do not wait the kill-after minute
	}()
	began := time.Now()
	if err := f.em.StopDynos(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > logWait {
		t.Errorf("StopDynos took %v", took)
	}
	f.log.find(t, `heroku\[stubborn\.1\]: Stopping process with SIGKILL$`, false)
	for _, pid := range []int{web, stubborn} {
		if running(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d outlived the dyno manager:\n%s", pid, f.log)
		}
	}
}

// Lines from many dynos printing at once come out whole, one per line.
func TestLogLinesNeverInterleave(t *testing.T) {
	t.Parallel()
	f := startDynos(t, `chatty: i=0; while [ $i -lt 300 ]; do echo "line $i of $DYNO $DYNO $DYNO $DYNO"; i=$((i+1)); done; exec sleep 60`+"\n", "chatty=4", nil)
	for n := 1; n <= 4; n++ {
		f.log.find(t, fmt.Sprintf(`app\[chatty\.%d\]: line 299 of chatty\.%d`, n, n), false)
	}
	whole := regexp.MustCompile(`^\S+ app\[(chatty\.\d)\]: line \d+ of (chatty\.\d) (chatty\.\d) (chatty\.\d) (chatty\.\d)$`)
	for _, l := range strings.Split(f.log.String(), "\n") {
		if !strings.Contains(l, " app[") {
			continue
		}
		m := whole.FindStringSubmatch(l)
		if m == nil || m[1] != m[2] || m[2] != m[5] {
			t.Fatalf("a mangled line: %q", l)
		}
	}
	if n := f.log.count(` app\[`); n != 1200 {
		t.Errorf("%d lines, want 1200", n)
	}
}

func TestProcfileAndFormation(t *testing.T) {
	for _, tt := range []struct {
		name, procfile, formation string
		want                      string // TYPE=N,... or the error
	}{
		{"web is up by default", "web: a\nworker: b\n", "", "web=1,worker=0"},
		{"declared types first", "web: a\nworker: b\nclock: c\n", "worker=2", "worker=2,web=0,clock=0"},
		{"no web", "worker: b\n", "", "worker=0"},
		{"comments", "# a comment\n\n  web:   a  # not a comment\n", "", "web=1"},
		{"type not in the Procfile", "web: a\n", "worker=1", "process type worker is not in the Procfile"},
		{"not TYPE: COMMAND", "web a\n", "", "line 1: want TYPE: COMMAND"},
		{"bad type", "my web: a\n", "", "line 1: want TYPE: COMMAND"},
		{"no command", "web:\n", "", "line 1: process type web has no command"},
		{"twice", "web: a\nweb: b\n", "", "line 2: process type web declared twice"},
		{"empty", "# nothing\n", "", "no process type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := procfileFormation(tt.procfile, tt.formation)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("formation of %q with %q = %q, want %q", tt.procfile, tt.formation, got, tt.want)
			}
		})
	}
}

func procfileFormation(procfile, formation string) (string, error) {
	pf, err := ParseProcfile(strings.NewReader(procfile))
	if err != nil {
		return "", err
	}
	var declared []Process
	if formation != "" {
		if declared, err = ParseFormation(formation); err != nil {
			return "", err
		}
	}
	procs, err := pf.formation(declared)
	if err != nil {
		return "", err
	}
	var s []string
	for _, p := range procs {
		s = append(s, fmt.Sprintf("%s=%d", p.Type, p.Quantity))
	}
	if strings.Contains(procfile, "not a comment") && pf.Commands["web"] != "a  # not a comment" {
		return "", fmt.Errorf("web's command is %q", pf.Commands["web"])
	}
	return strings.Join(s, ","), nil
}

// Without a dyno manager, there is no one-off endpoint, as before.
func TestNoDynoManagerNoOneOffs(t *testing.T) {
	em, url := start(t, demo())
	status, body := do(t, url, "POST", "/apps/demo/dynos", `{"command":"true"}`)
	wantError(t, status, body, 404, "not_found", "endpoint was not found")
	if err := em.StartDynos(url); err == nil {
		t.Error("StartDynos without a Procfile did not fail")
	}
	if err := em.StopDynos(t.Context()); err != nil {
		t.Errorf("StopDynos without a dyno manager: %v", err)
	}
}
