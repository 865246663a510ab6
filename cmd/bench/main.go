// Command bench measures scaler as users run it: whole processes of the
// released binary against the Platform API emulator on loopback, each
// scenario repeated, reporting medians of wall time, peak RSS and requests
// sent. It prints a Markdown report, and writes it to -out when given
// (make bench-report writes the tracked docs/bench-results.md; make bench, an
// ignored file under dist/). Beside scaler it measures the official heroku
// CLI, found at HEROKU_CLI or as heroku on PATH, and says so when it cannot.
//
//	make bench                          # builds the release binary, then runs this
//	HEROKU_CLI=$(npm prefix -g)/bin/heroku make bench
//	go run ./cmd/bench -bin bin/scaler -runs 50
//
// It is a benchmark, not a test: it never fails on a slow machine; it says
// what it measured, where, and how.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
	"github.com/scalerdev/scaler/scaler"
)

func main() {
	if os.Getenv(jobEnv) != "" {
		job()
		return
	}
	bin := flag.String("bin", "", "the scaler binary to measure (make bench builds it as released)")
	runs := flag.Int("runs", 30, "repetitions of each single-app scenario")
	fleetRuns := flag.Int("fleet-runs", 3, "repetitions of each fleet size")
	out := flag.String("out", "", "also write the report to this file (make bench-report: docs/bench-results.md)")
	only := flag.String("sections", "", "comma-separated sections to run (commands, fleet, run, nights, plan, peer); all when empty")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "bench: -bin is required; run make bench")
		os.Exit(2)
	}
	b := &bench{runs: *runs, fleetRuns: *fleetRuns, only: *only}
	var err error
	if b.heroku, b.noPeer, err = officialCLI(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if b.heroku != "" {
		fmt.Fprintf(os.Stderr, "bench: comparing with the official CLI at %s\n", b.heroku)
	} else {
		fmt.Fprintf(os.Stderr, "bench: no comparison with the official CLI: %s\n", b.noPeer)
	}
	if err := b.run(*bin, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if b.noPeer != "" {
		fmt.Fprintf(os.Stderr, "bench: the comparison with the official CLI was skipped: %s\n", b.noPeer)
	}
}

type bench struct {
	bin             string
	only            string // the sections to run, comma-separated; all when empty
	runs, fleetRuns int
	report          strings.Builder
	heroku          string // the official CLI, or "" when it is not compared
	noPeer          string // why it is not compared
}

// herokuEnv is the environment variable that names the official CLI to
// compare scaler with, when it is not heroku on PATH.
const herokuEnv = "HEROKU_CLI"

// officialCLI returns the official heroku CLI's path, from HEROKU_CLI or
// PATH, or "" and why there is none. A HEROKU_CLI that names no executable
// is an error: whoever set it asked for the comparison.
func officialCLI() (path, why string, err error) {
	if v := os.Getenv(herokuEnv); v != "" {
		if path, err = exec.LookPath(v); err != nil {
			return "", "", fmt.Errorf("%s=%s: %w", herokuEnv, v, err)
		}
		return path, "", nil
	}
	if path, err = exec.LookPath("heroku"); err != nil {
		return "", "heroku is not on PATH and " + herokuEnv + " is not set (install it, e.g. npm install -g heroku, and set " + herokuEnv + "=/path/to/heroku)", nil
	}
	return path, "", nil
}

// sample is one run of a command.
type sample struct {
	wall     time.Duration
	rssKiB   int64
	requests int
	writes   int
}

type summary struct {
	wall, wallMin    time.Duration
	rssKiB           int64
	requests, writes int
	samples          int
}

func summarize(s []sample) summary {
	pick := func(f func(sample) int64) []int64 {
		v := make([]int64, len(s))
		for i, x := range s {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v
	}
	walls := pick(func(x sample) int64 { return int64(x.wall) })
	return summary{
		wall: time.Duration(walls[len(walls)/2]), wallMin: time.Duration(walls[0]),
		rssKiB:   pick(func(x sample) int64 { return x.rssKiB })[len(s)/2],
		requests: int(pick(func(x sample) int64 { return int64(x.requests) })[len(s)/2]),
		writes:   int(pick(func(x sample) int64 { return int64(x.writes) })[len(s)/2]),
		samples:  len(s),
	}
}

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(&b.report, format, args...) }

func (b *bench) run(bin, out string) error {
	dir, err := os.MkdirTemp("", "scaler-bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if b.bin, err = installed(bin, dir); err != nil {
		return err
	}
	info, err := os.Stat(b.bin)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	b.printf("# scaler benchmark\n\n")
	b.printf("Produced by `make bench` on %s: %s/%s, %d CPUs (%s), %s, host %s. ", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version(), host)
	b.printf("Every figure is a whole process of the release binary (built with the Makefile's flags) against the Platform API emulator on loopback, after one warm-up run; medians.\n\n")
	b.printf("Binary size: %.1f MiB (%d bytes).\n\n", float64(info.Size())/(1<<20), info.Size())
	if gnuTime == "" {
		b.printf("GNU time is not installed: no peak RSS figures (0 MiB below).\n\n")
	} else {
		b.printf("Peak RSS is each process's own, read by GNU time.\n\n")
	}

	type section struct {
		name string
		run  func() error
	}
	sections := []section{{"commands", b.commands}, {"fleet", b.fleet}, {"run", b.runLatency}, {"nights", b.nights}, {"plan", b.plan}, {"peer", b.peer}}
	if b.only != "" {
		for _, name := range strings.Split(b.only, ",") {
			if !slices.ContainsFunc(sections, func(s section) bool { return s.name == name }) {
				return fmt.Errorf("-sections: no section %q (commands, fleet, run, nights, plan, peer)", name)
			}
		}
	}
	for _, section := range sections {
		if b.only != "" && !slices.Contains(strings.Split(b.only, ","), section.name) {
			continue
		}
		began := time.Now()
		fmt.Fprintf(os.Stderr, "bench: %s...\n", section.name)
		if err := section.run(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %v\n", section.name, time.Since(began).Round(time.Second))
	}
	fmt.Print(b.report.String())
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(b.report.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s\n", out)
	return nil
}

// serve runs an emulator on a free loopback port until stop is called. It
// is the tests' emulator, whose record of requests the report counts.
func serve(cfg emulator.Config) (*emulatortest.Emulator, string, func(), error) {
	em, err := emulatortest.New(cfg)
	if err != nil {
		return nil, "", nil, err
	}
	srv := httptest.NewServer(em)
	return em, srv.URL, srv.Close, nil
}

// fresh is a refill rate (Config.RefillPerMinute) at which every run finds
// the account's bucket full, as a fresh account would: so that no run is
// paced for the runs before it.
const fresh = 60_000_000

func environ(url string, extra ...string) []string {
	return append([]string{"HEROKU_API_URL=" + url, "HEROKU_API_KEY=bench-token", "HEROKU_APP=demo", "PATH=" + os.Getenv("PATH")}, extra...)
}

// measure runs the binary once: wall time and the requests the emulator
// received meanwhile; or, with rss, its peak RSS (through GNU time, whose
// own start would blur the wall time).
func measure(em *emulatortest.Emulator, env []string, rss bool, bin string, args ...string) (sample, error) {
	before, writesBefore := len(em.Requests()), len(em.Writes())
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := runAlone(cmd, rss)
	if err != nil {
		return sample{}, fmt.Errorf("%s %v: %v: %s", filepath.Base(bin), args, err, out)
	}
	return sample{wall: out.wall, rssKiB: out.rssKiB, requests: len(em.Requests()) - before, writes: len(em.Writes()) - writesBefore}, nil
}

// result is what runAlone saw of a process.
type result struct {
	output []byte        // stdout and stderr
	wall   time.Duration // from the process's start to its end
	rssKiB int64         // 0 when not read
}

func (r result) String() string { return string(r.output) }

// gnuTime is GNU time, which reads a process's own peak RSS. The rusage
// that os/exec (or wait4) returns here cannot be trusted for it: Go starts
// a child with vfork semantics, so the child's peak starts from this
// program's size when it execs.
var gnuTime, _ = exec.LookPath("/usr/bin/time")

// runAlone runs cmd with its output in a file (so that no goroutine copies
// it while it runs) and returns that output and its wall time, which
// leaves out the making and reading of that file; with rss, through GNU
// time, also its peak RSS.
func runAlone(cmd *exec.Cmd, rss bool) (result, error) {
	dir, err := os.MkdirTemp("", "scaler-bench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		return result{}, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	report := filepath.Join(dir, "rss")
	if rss && gnuTime != "" {
		cmd.Args = append([]string{gnuTime, "-f", "%M", "-o", report}, cmd.Args...)
		cmd.Path = gnuTime
	}
	began := time.Now()
	err = cmd.Run()
	r := result{wall: time.Since(began)}
	r.output, _ = os.ReadFile(out.Name())
	if raw, rerr := os.ReadFile(report); rerr == nil {
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		r.rssKiB, _ = strconv.ParseInt(lines[len(lines)-1], 10, 64)
	}
	return r, err
}

// pair measures two scenarios as repeat does, a run of one next to a run
// of the other, the first of the two in turn, and returns each one's
// summary and the median of the ratios of b's wall time to a's, run for
// run.
func pair(n int, reset func(), a, b func(rss bool) (sample, error)) (sa, sb summary, ratio float64, err error) {
	n = max(n, 1)
	runs := [2]func(bool) (sample, error){a, b}
	var samples [2][]sample
	var ratios []float64
	for i := 0; i <= n; i++ {
		var got [2]sample
		for k := range 2 {
			which := (i + k) % 2
			reset()
			if got[which], err = runs[which](false); err != nil {
				return summary{}, summary{}, 0, err
			}
		}
		if i > 0 { // the first round warms up
			samples[0], samples[1] = append(samples[0], got[0]), append(samples[1], got[1])
			ratios = append(ratios, float64(got[1].wall)/float64(got[0].wall))
		}
	}
	var sums [2]summary
	for k := range 2 {
		sums[k] = summarize(samples[k])
		reset()
		peak, err := runs[k](true)
		if err != nil {
			return summary{}, summary{}, 0, err
		}
		sums[k].rssKiB = peak.rssKiB
	}
	slices.Sort(ratios)
	return sums[0], sums[1], ratios[len(ratios)/2], nil
}

// repeat measures a scenario n times after a warm-up, resetting the state
// before each run, then once more for its peak RSS.
func repeat(n int, reset func(), run func(rss bool) (sample, error)) (summary, error) {
	var samples []sample
	for i := 0; i <= n; i++ {
		reset()
		s, err := run(false)
		if err != nil {
			return summary{}, err
		}
		if i > 0 {
			samples = append(samples, s)
		}
	}
	reset()
	peak, err := run(true)
	if err != nil {
		return summary{}, err
	}
	sum := summarize(samples)
	sum.rssKiB = peak.rssKiB
	return sum, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func mib(kib int64) string      { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// commands: the everyday commands against one app.
func (b *bench) commands() error {
	em, url, stop, err := serve(emulator.Config{RefillPerMinute: fresh, Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}})
	if err != nil {
		return err
	}
	defer stop()
	const schedule = "SCALER_SCHEDULE=web default 2"
	scenarios := []struct {
		name  string
		args  []string
		reset func()
	}{
		{"scale up, one change", []string{"up", "worker=1"}, func() { em.SetQuantity("demo", "worker", 0) }},
		{"scale up, nothing to change", []string{"up", "worker=1"}, func() { em.SetQuantity("demo", "worker", 1) }},
		{"status", []string{"status"}, func() {}},
		{"apply, one change", []string{"apply"}, func() { em.SetQuantity("demo", "web", 1) }},
		{"apply, nothing to change", []string{"apply"}, func() { em.SetQuantity("demo", "web", 2) }},
	}
	b.printf("## Everyday commands\n\n%d runs each.\n\n", b.runs)
	b.printf("| scenario | command | wall (median) | wall (min) | peak RSS | requests | writes |\n|---|---|---|---|---|---|---|\n")
	floor, err := buildFloor()
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(floor))
	s, err := repeat(b.runs, func() {}, func(rss bool) (sample, error) { return measure(em, nil, rss, floor) })
	if err != nil {
		return err
	}
	b.printf("| the floor: a Go program that links net/http, and exits | | %s | %s | %s | | |\n", ms(s.wall), ms(s.wallMin), mib(s.rssKiB))
	run := func(sc int) func(rss bool) (sample, error) {
		return func(rss bool) (sample, error) {
			return measure(em, environ(url, schedule), rss, b.bin, scenarios[sc].args...)
		}
	}
	// The bare client and scaler up, one change, run in turn, so that a
	// change of the machine's load meets both alike.
	bare, up, ratio, err := pair(b.runs, scenarios[0].reset, func(rss bool) (sample, error) { return measure(em, environ(url), rss, floor, "up") }, run(0))
	if err != nil {
		return err
	}
	b.printf("| the bare client: the same program, sending `scaler up worker=1`'s GET and PATCH with net/http | | %s | %s | %s | %d | %d |\n", ms(bare.wall), ms(bare.wallMin), mib(bare.rssKiB), bare.requests, bare.writes)
	for i, sc := range scenarios {
		s := up
		if i > 0 {
			if s, err = repeat(b.runs, sc.reset, run(i)); err != nil {
				return err
			}
		}
		b.printf("| %s | `scaler %s` | %s | %s | %s | %d | %d |\n", sc.name, strings.Join(sc.args, " "), ms(s.wall), ms(s.wallMin), mib(s.rssKiB), s.requests, s.writes)
	}
	b.printf("\n`scaler up worker=1`, one change, takes %.2f times the bare client's wall time (the median of the ratios of %d runs of each, in turn; %.2f by the minima).\n\n",
		ratio, b.runs, float64(up.wallMin)/float64(bare.wallMin))
	return nil
}

// buildFloor builds the smallest Go program that starts as scaler must: it
// links net/http, runs its init, and exits; with the argument up, it is the
// bare client of `scaler up worker=1`: it sends the same GET and PATCH as
// scaler (the headers the Platform API wants, the write conditional on the
// read's ETag) with nothing but net/http and encoding/json. The first is
// what this machine charges any such program before it does anything; the
// second, what the command's own work costs without scaler around it.
func buildFloor() (string, error) {
	dir, err := os.MkdirTemp("", "scaler-bench-floor-")
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(bareClient), 0o644); err != nil {
		return "", err
	}
	built := filepath.Join(dir, "build", "floor")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", built, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the floor program: %v\n%s", err, out)
	}
	return installed(built, dir)
}

// installed copies the binary at path into dir, written as a download or
// a tarball writes a file, and returns the copy's path: the binaries are
// measured as users hold them. The Go linker writes its output through a
// memory map, and on the VM of docs/bench-results.md (Linux 6.18, ext4) a
// process started from a binary so written takes 0.6 to 0.9 ms longer,
// the floor as scaler (medians of 300 runs alternating the two forms of
// each), which would blur every figure below.
func installed(path, dir string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	copied := filepath.Join(dir, filepath.Base(path))
	return copied, os.WriteFile(copied, data, 0o755)
}

// bareClient is the floor program's source.
const bareClient = `package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		return // the floor: net/http linked, nothing done
	}
	base, app := os.Getenv("HEROKU_API_URL"), os.Getenv("HEROKU_APP")
	do := func(method, path, etag string, body []byte) (*http.Response, error) {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
		req.Header.Set("Authorization", "Bearer "+os.Getenv("HEROKU_API_KEY"))
		req.Header.Set("User-Agent", "bare/1")
		req.Header.Set("Content-Type", "application/json")
		if etag != "" {
			req.Header.Set("If-Match", etag)
		}
		return http.DefaultClient.Do(req)
	}
	resp, err := do("GET", "/apps/"+app+"/formation", "", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var form []struct {
		Type     string
		Quantity int
	}
	err = json.NewDecoder(resp.Body).Decode(&form)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range form {
		if p.Type != "worker" || p.Quantity == 1 {
			continue
		}
		body := []byte(` + "`" + `{"updates":[{"type":"worker","quantity":"1"}]}` + "`" + `)
		resp, err := do("PATCH", "/apps/"+app+"/formation", etag, body)
		if err != nil || resp.StatusCode != 200 {
			fmt.Fprintln(os.Stderr, "PATCH:", err, resp)
			os.Exit(1)
		}
		resp.Body.Close()
		fmt.Printf("scaled %s: worker %d -> 1\n", app, p.Quantity)
	}
}
`

// fleet: apply over many apps, with 50 ms of latency on every answer.
func (b *bench) fleet() error {
	const latency = 50 * time.Millisecond
	b.printf("## Fleet: `scaler apply` over many apps\n\n")
	b.printf("Every answer of the emulator is delayed %s, like a distant API; `--concurrency` is the default, 4. Each app's schedule changes its web quantity (one read and one write per app), or is already in state (one read). %d runs per size.\n\n", latency, b.fleetRuns)
	b.printf("| apps | wall, all change | per app | requests | wall, in state | per app | requests | peak RSS | 429s |\n|---|---|---|---|---|---|---|---|---|\n")
	var perApp []float64
	var sizes []int
	for _, n := range []int{1, 10, 100, 500} {
		cfg, sched := fleetOf(n, latency)
		cfg.RefillPerMinute = fresh
		em, url, stop, err := serve(cfg)
		if err != nil {
			return err
		}
		env := environ(url, "SCALER_SCHEDULE="+sched)
		setAll := func(q int) func() {
			return func() {
				for _, a := range cfg.Apps {
					em.SetQuantity(a.Name, "web", q)
				}
			}
		}
		change, err := repeat(b.fleetRuns, setAll(1), func(rss bool) (sample, error) { return measure(em, env, rss, b.bin, "apply") })
		if err != nil {
			stop()
			return err
		}
		same, err := repeat(b.fleetRuns, setAll(2), func(rss bool) (sample, error) { return measure(em, env, rss, b.bin, "apply") })
		if err != nil {
			stop()
			return err
		}
		stop()
		perApp = append(perApp, float64(change.wall.Microseconds())/1000/float64(n))
		sizes = append(sizes, n)
		b.printf("| %d | %s | %s | %d | %s | %s | %d | %s | %d |\n", n, ms(change.wall), ms(change.wall/time.Duration(n)), change.requests,
			ms(same.wall), ms(same.wall/time.Duration(n)), same.requests, mib(max(change.rssKiB, same.rssKiB)), throttled(em))
	}
	b.printf("\nCost per app, all changing (each `#` is 2 ms):\n\n```\n")
	for i, n := range sizes {
		b.printf("%4d apps  %-40s %.1f ms/app\n", n, strings.Repeat("#", max(1, int(perApp[i]/2+0.5))), perApp[i])
	}
	b.printf("```\n\n")

	// The account's budget: 4500 requests, refilled at 75 a minute, shared
	// by every tool of the account.
	b.printf("Rate budget: the account holds 4500 requests and regains 75 a minute (4500 an hour). `scaler apply` spends one request per app when the fleet is in state and two when an app changes, so run every 10 minutes (6 runs an hour) over 500 apps it spends 3000 requests an hour in state, within the budget with 1500 to spare for other tools; a run in which every app changes spends 1000.\n\n")
	return b.pacedFleet()
}

// pacedFleet shows what happens when the budget is nearly spent: scaler
// paces itself at the refill rate instead of running into 429s.
func (b *bench) pacedFleet() error {
	const apps, left = 10, 110
	cfg, sched := fleetOf(apps, 0)
	cfg.RateLimit = left
	em, url, stop, err := serve(cfg)
	if err != nil {
		return err
	}
	defer stop()
	s, err := measure(em, environ(url, "SCALER_SCHEDULE="+sched), false, b.bin, "apply")
	if err != nil {
		return err
	}
	b.printf("With only %d requests left in the budget, `scaler apply` over %d apps (%d requests) paces itself once fewer than 100 remain, at the refill rate (one request per 800 ms across all its workers): it took %s, and the API answered 429 %d times.\n\n",
		left, apps, s.requests, ms(s.wall), throttled(em))
	return nil
}

// fleetOf is n apps with web=1, and a schedule that wants web=2 in each.
func fleetOf(n int, latency time.Duration) (emulator.Config, string) {
	cfg := emulator.Config{Latency: latency}
	var sched strings.Builder
	for i := range n {
		name := fmt.Sprintf("app-%03d", i)
		cfg.Apps = append(cfg.Apps, emulator.App{Name: name, Formation: []emulator.Process{{Type: "web", Quantity: 1}}})
		fmt.Fprintf(&sched, "app %s; web default 2; ", name)
	}
	return cfg, sched.String()
}

// throttled counts the requests the emulator answered with 429.
func throttled(em *emulatortest.Emulator) int {
	n := 0
	for _, r := range em.Requests() {
		if r.Status == 429 {
			n++
		}
	}
	return n
}

// runLatency: the time from the job's exit to the arrival of scaler's
// requests after it, and scaler's memory while the job runs.
func (b *bench) runLatency() error {
	em, url, stop, err := serve(emulator.Config{Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker", Quantity: 1}}}}})
	if err != nil {
		return err
	}
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	stamp := filepath.Join(os.TempDir(), fmt.Sprintf("scaler-bench-%d", os.Getpid()))
	defer os.Remove(stamp)

	var toRead, toWrite []time.Duration
	var rss []int64
	for i := 0; i <= b.runs; i++ {
		em.SetQuantity("demo", "worker", 1)
		before := len(em.Requests())
		cmd := exec.Command(b.bin, "run", "--", self)
		cmd.Env = environ(url, "DYNO=worker.1", jobEnv+"="+stamp)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			return err
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			return fmt.Errorf("job: %q, %v", line, err)
		}
		kib := vmRSS(cmd.Process.Pid) // scaler, while its job runs
		io.WriteString(stdin, "go\n")
		// Once the scale-down lands, the platform stops the dyno: scaler
		// waits for that SIGTERM before it exits.
		for deadline := time.Now().Add(time.Minute); !slices.ContainsFunc(em.Requests()[before:], func(r emulatortest.Request) bool { return r.Method == "PATCH" && r.Status != 0 }); {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				return fmt.Errorf("scaler run sent no scale-down within a minute of its job's exit")
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("scaler run: %v", err)
		}
		raw, err := os.ReadFile(stamp)
		if err != nil {
			return err
		}
		ns, _ := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
		exited := time.Unix(0, ns)
		// scaler reads the formation before it starts the job (its run's
		// id), then once more after the job, and writes.
		reqs := em.Requests()[before:]
		if len(reqs) != 3 || reqs[0].Method != "GET" || reqs[0].At.After(exited) || reqs[1].Method != "GET" || reqs[2].Method != "PATCH" {
			return fmt.Errorf("scaler run sent %+v, want a read before the job, and a read and a write after it", reqs)
		}
		reqs = reqs[1:]
		if i > 0 {
			toRead = append(toRead, reqs[0].At.Sub(exited))
			toWrite = append(toWrite, reqs[1].At.Sub(exited))
			rss = append(rss, kib)
		}
	}
	slices.Sort(toRead)
	slices.Sort(toWrite)
	slices.Sort(rss)
	b.printf("## `scaler run`\n\n%d runs. The job is a process that says it is ready, waits for a line on stdin, notes the time and exits; the emulator notes when each request arrives. Before it decides that the job completed, scaler waits %v for a sign that the dyno is shutting down (a job's exit alone does not tell); the platform's SIGTERM then follows the scale-down.\n\n", b.runs, scaler.DefaultSettle)
	b.printf("| from the job's exit to | median | max |\n|---|---|---|\n")
	b.printf("| the formation read arriving | %s | %s |\n", ms(toRead[len(toRead)/2]), ms(toRead[len(toRead)-1]))
	b.printf("| the scale-down write arriving | %s | %s |\n\n", ms(toWrite[len(toWrite)/2]), ms(toWrite[len(toWrite)-1]))
	b.printf("scaler's resident memory while the job runs (VmRSS): %s (median).\n\n", mib(rss[len(rss)/2]))
	return nil
}

// nights reports what a nightly job under `scaler run` costs its dyno
// beyond the job's own runtime: the simulation of cmd/scaler's
// BenchmarkNights (the dyno manager, real processes, a `once` window a
// night), which builds scaler from source as its tests do.
func (b *bench) nights() error {
	cmd := exec.Command("go", "test", "./cmd/scaler", "-run", "^$", "-bench", "^BenchmarkNights$", "-benchtime", "1x")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("BenchmarkNights: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(\d+) max-ms-beyond-job/run\s+(\d+) ms-beyond-job/run`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("BenchmarkNights said nothing this section reads:\n%s", out)
	}
	b.printf("## A nightly job's dyno time\n\n")
	b.printf("8 nights of a `once` window under the dyno manager (`go test ./cmd/scaler -run '^$' -bench BenchmarkNights -benchtime 1x`): Scheduler runs `scaler apply`, the dyno runs `scaler run -- JOB`, the job completes, the type goes to 0 and the platform stops the dyno a second later. The dyno's time beyond the job's own runtime, boot excluded: %s ms a run (median), %s ms at most. It is the 600 ms settle period, the scale-down, and the platform's stop.\n\n", m[2], m[1])
	return nil
}

// vmRSS reads a process's resident set size, in KiB.
func vmRSS(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

const jobEnv = "SCALER_BENCH_JOB"

// job is the job of the run benchmark: this program, run again by scaler.
func job() {
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	os.WriteFile(os.Getenv(jobEnv), []byte(strconv.FormatInt(time.Now().UnixNano(), 10)), 0o644)
}

// plan: a year of a 200-rule schedule.
func (b *bench) plan() error {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("scaler-bench-%d.schedule", os.Getpid()))
	if err := os.WriteFile(path, []byte(bigSchedule()), 0o644); err != nil {
		return err
	}
	defer os.Remove(path)
	runs := max(3, b.runs/5)
	b.printf("## `scaler plan` over a year\n\nA schedule of 200 rules (20 process types in 3 time zones, each with a default, five weekday windows and four holidays), planned over 365 days; %d runs.\n\n", runs)
	b.printf("| command | wall (median) | peak RSS | output |\n|---|---|---|---|\n")
	for _, args := range [][]string{{"plan", "--from", "2026-01-01", "--days", "365"}, {"plan", "--from", "2026-01-01", "--days", "365", "--json"}} {
		var size int
		s, err := repeat(runs, func() {}, func(rss bool) (sample, error) {
			cmd := exec.Command(b.bin, append(args, "--schedule", path)...)
			out, err := runAlone(cmd, rss)
			size = len(out.output)
			if err != nil {
				return sample{}, fmt.Errorf("plan: %v", err)
			}
			return sample{wall: out.wall, rssKiB: out.rssKiB}, nil
		})
		if err != nil {
			return err
		}
		b.printf("| `scaler %s` | %s | %s | %.1f MiB |\n", strings.Join(args, " "), ms(s.wall), mib(s.rssKiB), float64(size)/(1<<20))
	}
	b.printf("\n")
	return nil
}

// bigSchedule writes 200 rules that do not overlap.
func bigSchedule() string {
	var s strings.Builder
	zones := []string{"Europe/Berlin", "America/New_York", "UTC"}
	days := []string{"Mon", "Tue", "Wed", "Thu", "Fri"}
	for t := range 20 {
		fmt.Fprintf(&s, "timezone %s\n", zones[t%3])
		typ := fmt.Sprintf("type%02d", t)
		fmt.Fprintf(&s, "%s default 1\n", typ)
		for d, day := range days {
			start := 6 + (t+d)%12
			fmt.Fprintf(&s, "%s %s %02d:00-%02d:30 %d\n", typ, day, start, start+4, 2+d%3)
		}
		for h := range 4 {
			fmt.Fprintf(&s, "%s 2026-%02d-%02d 0\n", typ, 3*h+1, 10+t)
		}
	}
	return s.String()
}

// peer: the official CLI, when it is installed, scaling through the
// emulator the same way.
func (b *bench) peer() error {
	b.printf("## Beside the official CLI\n\n")
	heroku := b.heroku
	if heroku == "" {
		b.printf("No comparison: the official `heroku` CLI is not on PATH and `%s` is not set (install it, e.g. `npm install -g heroku`, and run `%s=/path/to/heroku make bench` again).\n", herokuEnv, herokuEnv)
		return nil
	}
	em, url, stop, err := serve(emulator.Config{RefillPerMinute: fresh, Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}})
	if err != nil {
		return err
	}
	defer stop()
	runs := max(3, b.runs/3)
	env := append(environ(url), "HEROKU_HOST="+url, "HOME="+os.TempDir(), "HEROKU_SKIP_NEW_VERSION_CHECK=1", "HEROKU_UPDATE_INSTRUCTIONS=none")
	reset := func() { em.SetQuantity("demo", "worker", 0) }
	ours, err := repeat(runs, reset, func(rss bool) (sample, error) { return measure(em, env, rss, b.bin, "up", "worker=1") })
	if err != nil {
		return err
	}
	theirs, err := repeat(runs, reset, func(rss bool) (sample, error) {
		return measure(em, env, rss, heroku, "ps:scale", "worker=1", "-a", "demo")
	})
	if err != nil {
		b.noPeer = fmt.Sprintf("%s ps:scale could not run against the emulator here: %v", heroku, err)
		b.printf("`heroku ps:scale` could not run against the emulator here (%v): no comparison.\n", err)
		return nil
	}
	b.printf("`heroku ps:scale worker=1 -a demo` (the CLI at %s, `HEROKU_HOST` pointed at the emulator) against `scaler up worker=1`, %d runs each:\n\n", heroku, runs)
	b.printf("| | wall (median) | peak RSS | requests |\n|---|---|---|---|\n")
	b.printf("| scaler | %s | %s | %d |\n", ms(ours.wall), mib(ours.rssKiB), ours.requests)
	b.printf("| heroku CLI | %s | %s | %d |\n", ms(theirs.wall), mib(theirs.rssKiB), theirs.requests)
	b.printf("| ratio (heroku / scaler) | %.0f× | %.0f× | |\n\n", float64(theirs.wall)/float64(ours.wall), float64(theirs.rssKiB)/float64(ours.rssKiB))
	return nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}
