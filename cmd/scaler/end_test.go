package main

import (
	"maps"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/scalerdev/scaler/scaler"
)

// logLines are the log lines of a command's stderr, as a person reads
// them in `heroku logs`.
func logLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "level=") {
			out = append(out, l)
		}
	}
	return out
}

// inOrder checks that lines hold a line matching each pattern, in this
// order, and returns the index of the last.
func inOrder(t *testing.T, lines []string, patterns ...string) int {
	t.Helper()
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Errorf("no line matching %s (in this order: %q):\n%s", p, patterns, strings.Join(lines, "\n"))
			return -1
		}
		i++
	}
	return i - 1
}

// The line that says how the job ended says what it means, at the level it
// deserves, with what scaler does next: a completion (info, then the
// scale-down), a failure (error, with its status), a stop by the platform
// (warn: not a completion, the type left as it is). Someone reading the
// log at 3 a.m. cannot take one for another: no line says "exited" as if
// it were news, and nothing after a shutdown reads like success.
func TestRunSaysWhatTheEndMeans(t *testing.T) {
	t.Parallel()
	const took = `took=\d+(\.\d+)?m?s `
	for _, tt := range []struct {
		name, job string
		flags     []string
		env       map[string]string // beside the fixture's (DYNO=worker.1)
		platform  bool              // the platform stops the dyno while the job runs
		kill      bool              // a person's SIGTERM to scaler alone
		interrupt bool              // a person's SIGINT to scaler
		want      []string
		never     string // no line matches
	}{
		{name: "completion", job: "exit:0", want: []string{
			`^level=info msg="job completed" app=demo type=worker status=0 ` + took + `next="scaling worker to 0"$`,
			`^level=info msg=scaled app=demo type=worker from=1 to=0$`,
		}, never: `level=(warn|error)`},
		{name: "failure", job: "exit:3", want: []string{
			`^level=error msg="job failed" app=demo type=worker status=3 ` + took + `next="scaling worker to 0"$`,
			`^level=info msg=scaled app=demo type=worker from=1 to=0$`,
		}, never: `level=info msg="job (completed|exited)"`},
		{name: "failure, kept", job: "exit:3", flags: []string{"--keep-on-failure"}, want: []string{
			`^level=error msg="job failed" app=demo type=worker status=3 ` + took + `next="worker left at 1 \(--keep-on-failure\)"$`,
		}, never: `msg=scaled`},
		{name: "timeout", job: "wait", flags: []string{"--timeout", "200ms"}, want: []string{
			`^level=warn msg="job timed out" timeout=200ms`,
			`^level=error msg="job failed" app=demo type=worker status=124 ` + took + `cause="ran past --timeout 200ms" next="scaling worker to 0"$`,
			`^level=info msg=scaled app=demo type=worker from=1 to=0$`,
		}},
		// The job cleans up and exits 0 on the platform's SIGTERM: the
		// case that read like success. scaler's own SIGTERM may come while
		// the job runs, or after its exit, in the settle period.
		{name: "shutdown", job: "wait", platform: true, want: []string{
			`^level=warn msg="shutdown before completion" signal=TERM (passed_on=false|after_exit=true)`,
			`^level=warn msg="job stopped by the platform" app=demo type=worker status=143 ` + took + `signal=TERM next="not a completion; worker left as it was \(1\), and the platform starts the job again, unless this stop is worker's scale-down"$`,
		}, never: `level=info msg="job (completed|exited)"|status=0|msg=scaled`},
		// Outside a dyno, a person's kill of scaler, passed on: no
		// platform starts the job again.
		{name: "a kill outside a dyno", job: "wait", env: map[string]string{envDyno: ""}, flags: []string{"--type", "worker"}, kill: true, want: []string{
			`^level=warn msg="shutdown before completion" signal=TERM passed_on=true`,
			`^level=warn msg="job stopped" app=demo type=worker status=143 ` + took + `signal=TERM next="not a completion; worker left as it was \(1\); nothing starts the job again \(not in a dyno\): run it again to complete it"$`,
		}, never: `platform|msg=scaled`},
		// A one-off dyno stopped: the platform does not restart it.
		{name: "a one-off dyno stopped", job: "wait", env: map[string]string{envDyno: "run.1234"}, flags: []string{"--type", "worker"}, platform: true, want: []string{
			`^level=warn msg="job stopped by the platform" app=demo type=worker status=143 ` + took + `signal=TERM next="not a completion; worker left as it was \(1\); nothing starts the job again \(a one-off dyno is not restarted\): run it again to complete it"$`,
		}, never: `starts the job again,|msg=scaled`},
		// A person's SIGINT to scaler, passed on.
		{name: "interrupted", job: "wait", interrupt: true, want: []string{
			`^level=warn msg="shutdown before completion" signal=INT passed_on=true`,
			`^level=warn msg="job interrupted" app=demo type=worker status=130 ` + took + `next="not a completion \(a person's Ctrl-C\); worker left as it was \(1\)"$`,
		}, never: `level=info msg="job (completed|exited)"|msg=scaled`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newRunFixture(t, 1)
			maps.Copy(f.env, tt.env)
			p := f.start(t, tt.job, tt.flags...)
			switch {
			case tt.interrupt:
				p.cmd.Process.Signal(syscall.SIGINT)
			case tt.kill:
				p.cmd.Process.Signal(syscall.SIGTERM)
			case tt.platform:
				group := 0
				if _, after, ok := strings.Cut(p.ready, " pid="); ok {
					group = atoi(after)
				}
				if group <= 1 {
					// kill(-0) would signal this test's own group.
					t.Fatalf("no pid in the job's line %q", p.ready)
				}
				syscall.Kill(-group, syscall.SIGTERM)
				p.cmd.Process.Signal(syscall.SIGTERM)
			default:
				f.stopOnScaleDown(t, p)
			}
			r := f.finish(t, p)
			lines := logLines(r.stderr)
			last := inOrder(t, lines, tt.want...)
			if (tt.platform || tt.kill || tt.interrupt) && last != len(lines)-1 {
				t.Errorf("the line that says the job was stopped is not the last:\n%s", strings.Join(lines, "\n"))
			}
			if tt.never != "" {
				for _, l := range lines {
					if regexp.MustCompile(tt.never).MatchString(l) {
						t.Errorf("a line matches %s: %s\n%s", tt.never, l, strings.Join(lines, "\n"))
					}
				}
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// A job stopped before it started (a dyno stopped as it boots; a race that
// TestRunStoppedAsItStarts hunts): its line says so, and what follows.
func TestSayEndOfAJobNotStarted(t *testing.T) {
	t.Parallel()
	var stderr syncBuffer
	a, _, errs := (&App{Stderr: &stderr, Getenv: func(k string) string { return map[string]string{envDyno: "nightly.1"}[k] }}).forRun()
	defer a.signals.close()
	a.sayEnd(scaler.Outcome{Status: 143, Signal: syscall.SIGTERM, NotStarted: true}, &target{app: "demo"}, "nightly", 1, &runOptions{})
	errs.Flush()
	want := `level=warn msg="job not started" app=demo type=nightly status=143 signal=TERM next="the dyno is being stopped; nightly left as it was (1), and the platform starts the job again, unless this stop is nightly's scale-down"` + "\n"
	if got := stderr.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
