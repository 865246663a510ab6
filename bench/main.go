// Command bench measures scaler as users run it: whole processes of the
// built binary against the Platform API emulator on loopback, each scenario
// repeated, reporting the median wall time, the peak RSS and the requests
// sent. It writes a Markdown report (bench/RESULTS.md by default).
//
//	make bench                          # builds the release binary, then runs this
//	go run ./bench -bin ./scaler -runs 50
//
// It is a benchmark, not a test: it never fails on a slow machine; it says
// what it measured, where, and how.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

func main() {
	bin := flag.String("bin", "", "the scaler binary to measure (make bench builds it as released)")
	runs := flag.Int("runs", 30, "repetitions of each scenario")
	out := flag.String("out", "bench/RESULTS.md", "where to write the report")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "bench: -bin is required; run make bench")
		os.Exit(2)
	}
	if err := run(*bin, *runs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sample is one run of the binary.
type sample struct {
	wall     time.Duration
	rssKiB   int64
	requests int
}

// row is a scenario's summary.
type row struct {
	name, command string
	wall          time.Duration // median
	wallMin       time.Duration
	rssKiB        int64 // median of the peaks
	requests      int   // median
	writes        int
}

func run(bin string, runs int, out string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	info, err := os.Stat(bin)
	if err != nil {
		return err
	}

	em, url, stop, err := serve(emulator.Config{Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}})
	if err != nil {
		return err
	}
	defer stop()
	env := []string{"HEROKU_API_URL=" + url, "HEROKU_API_KEY=bench-token", "HEROKU_APP=demo", "PATH=" + os.Getenv("PATH")}

	scenarios := []struct {
		name  string
		args  []string
		reset func()
	}{
		{"scale up (one change)", []string{"up", "worker=1"}, func() { em.SetQuantity("demo", "worker", 0) }},
		{"scale up (nothing to change)", []string{"up", "worker=1"}, func() { em.SetQuantity("demo", "worker", 1) }},
		{"status", []string{"status"}, func() {}},
	}
	var rows []row
	for _, sc := range scenarios {
		var samples []sample
		writesBefore := len(em.Writes())
		for i := 0; i < runs+1; i++ {
			sc.reset()
			s, err := measure(bin, env, em, sc.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			if i > 0 { // the first run warms the page cache
				samples = append(samples, s)
			}
		}
		r := summarize(samples)
		r.name, r.command = sc.name, "scaler "+strings.Join(sc.args, " ")
		r.writes = (len(em.Writes()) - writesBefore) / (runs + 1)
		rows = append(rows, r)
	}
	return report(out, runs, info.Size(), rows)
}

// serve runs an emulator on a free loopback port.
func serve(cfg emulator.Config) (*emulator.Emulator, string, func(), error) {
	em, err := emulator.New(cfg)
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { emulator.Serve(ctx, ln, em); close(done) }()
	return em, "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// measure runs the binary once and reads its wall time, peak RSS, and the
// requests the emulator received meanwhile.
func measure(bin string, env []string, em *emulator.Emulator, args ...string) (sample, error) {
	before := len(em.Requests())
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	err := cmd.Run()
	wall := time.Since(began)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss // KiB on Linux
	}
	return sample{wall: wall, rssKiB: rss, requests: len(em.Requests()) - before}, nil
}

func summarize(s []sample) row {
	walls := make([]time.Duration, len(s))
	rss := make([]int64, len(s))
	reqs := make([]int, len(s))
	for i, x := range s {
		walls[i], rss[i], reqs[i] = x.wall, x.rssKiB, x.requests
	}
	slices.Sort(walls)
	slices.Sort(rss)
	slices.Sort(reqs)
	return row{wall: walls[len(walls)/2], wallMin: walls[0], rssKiB: rss[len(rss)/2], requests: reqs[len(reqs)/2]}
}

func report(out string, runs int, size int64, rows []row) error {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# scaler benchmark\n\n")
	fmt.Fprintf(&b, "Produced by `make bench` on %s: %s/%s, %d CPUs, %s, %s.\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version())
	fmt.Fprintf(&b, "Each scenario runs the release binary (built by `make bench` with the Makefile's flags) as a whole process %d times against the emulator on loopback (after one warm-up run); figures are medians. Host: %s.\n\n", runs, host)
	fmt.Fprintf(&b, "Binary size: %.1f MiB (%d bytes).\n\n", float64(size)/(1<<20), size)
	fmt.Fprintf(&b, "| scenario | command | wall (median) | wall (min) | peak RSS (median) | requests | writes |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | `%s` | %.1f ms | %.1f ms | %.1f MiB | %d | %d |\n", r.name, r.command,
			float64(r.wall.Microseconds())/1000, float64(r.wallMin.Microseconds())/1000, float64(r.rssKiB)/1024, r.requests, r.writes)
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String())
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
