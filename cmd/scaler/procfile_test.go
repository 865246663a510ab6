package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// capturing is a run function that keeps the options it is given in got,
// and validates them as the command does before anything is sent.
func capturing[O validator](a *App, got *any) func(context.Context, O) error {
	return func(_ context.Context, opts O) error {
		*got = opts
		return opts.validate(a)
	}
}

// Each command's flags and arguments, through the seam of its constructor:
// what urfave/cli and arrange make of them, and what validate refuses, which
// the command and scaler check's reading of the Procfile share.
func TestCommandFlags(t *testing.T) {
	tests := []struct {
		args []string
		dyno string
		want any    // the options the command is given
		err  string // or what it refuses
	}{
		{args: []string{"run", "--", "rake", "x"}, dyno: "nightly.1",
			want: &runOptions{Grace: defaultGrace, FinishTimeout: defaultFinishTimeout, ForwardSignals: forwardAuto, Command: []string{"rake", "x"}}},
		{args: []string{"run", "--timeout", "4h", "--grace", "20s", "--", "python", "x.py", "--grace", "1h"}, dyno: "nightly.1",
			want: &runOptions{Grace: 20 * time.Second, Timeout: 4 * time.Hour, FinishTimeout: defaultFinishTimeout, ForwardSignals: forwardAuto, Command: []string{"python", "x.py", "--grace", "1h"}}},
		{args: []string{"run", "-a", "demo", "--type=worker", "--keep-on-failure", "--finish-timeout", "5m", "rake"},
			want: &runOptions{App: "demo", Type: "worker", Grace: defaultGrace, FinishTimeout: 5 * time.Minute, KeepOnFailure: true, ForwardSignals: forwardAuto, Command: []string{"rake"}}},
		{args: []string{"run", "--forward-signals", "never", "--", "x"}, dyno: "nightly.1",
			want: &runOptions{Grace: defaultGrace, FinishTimeout: defaultFinishTimeout, ForwardSignals: forwardNever, Command: []string{"x"}}},
		{args: []string{"run", "--forward-signals", "sometimes", "--", "x"}, err: `--forward-signals "sometimes": want auto, always or never`},
		{args: []string{"run", "--grace", "30s", "--", "x"}, err: "--grace 30s: want more than 0 and less than 30s"},
		{args: []string{"run", "--grace", "30", "--", "x"}, err: `--grace "30" is not a duration`},
		{args: []string{"run", "--grce", "3s", "--", "x"}, err: "flag --grce is not one of run's: did you mean --grace?"},
		{args: []string{"run", "--timeout", "-1s", "--", "x"}, err: "--timeout -1s: want a positive duration"},
		{args: []string{"run", "--finish-timeout", "0s", "--", "x"}, err: "--finish-timeout 0s"},
		{args: []string{"run", "--"}, err: "no command to run"},
		{args: []string{"run", "--type", "worker=1", "--", "x"}, err: `"worker=1": down takes process types`},
		{args: []string{"up", "worker=1", "-a", "myapp", "--wait"},
			want: &scaleOptions{Kind: up, App: "myapp", Args: []string{"worker=1"}, Wait: true, Timeout: defaultTimeout}},
		{args: []string{"up", "nightly=1", "--restart", "--dry-run", "--json", "--timeout", "2m"},
			want: &scaleOptions{Kind: up, Args: []string{"nightly=1"}, Restart: true, DryRun: true, JSON: true, Timeout: 2 * time.Minute}},
		{args: []string{"up"}, err: "no spec given"},
		{args: []string{"up", "--app", "worker=1"}, err: `--app took "worker=1" as the app's name`},
		{args: []string{"up", "worker=0"}, err: `"worker=0": up starts or adds dynos`},
		{args: []string{"up", "worker=1", "--wait", "--wait"}, err: "flag --wait given twice"},
		{args: []string{"up", "worker=1", "--timeout"}, err: "flag --timeout needs a value"},
		{args: []string{"up", "worker=1", "--restart=maybe"}, err: "--restart=maybe: a switch takes no value, or true or false"},
		{args: []string{"scale", "web=2:performance-m", "worker-1"},
			want: &scaleOptions{Kind: scale, Args: []string{"web=2:performance-m", "worker-1"}, Timeout: defaultTimeout}},
		{args: []string{"scale", "web=two"}, err: `"web=two"`},
		{args: []string{"scale", "web=1", "--restart"}, err: "flag --restart is not one of scale's"},
		{args: []string{"down"}, dyno: "worker.1", want: &scaleOptions{Kind: down, Timeout: defaultTimeout}},
		{args: []string{"down"}, dyno: "release.3", err: `DYNO="release.3" is not a dyno of the formation`},
		{args: []string{"down", "web=0"}, err: `"web=0": down takes process types`},
		{args: []string{"done", "nightly", "-a", "demo"}, want: &doneOptions{App: "demo", Timeout: finishAttempt, Types: []string{"nightly"}}},
		{args: []string{"done"}, dyno: "nightly.1", want: &doneOptions{Timeout: finishAttempt}},
		{args: []string{"done"}, err: "no process type given, and DYNO is not set"},
		{args: []string{"done", "a", "b"}, err: "done takes one process type"},
		{args: []string{"apply", "--schedule", "schedule.txt", "--concurrency", "8", "--every", "15m", "--enforce", "--at", "2026-12-24T09:00:00+01:00"},
			want: &applyOptions{Schedule: "schedule.txt", At: "2026-12-24T09:00:00+01:00", Enforce: true, Concurrency: 8, Every: 15 * time.Minute, Timeout: defaultTimeout}},
		{args: []string{"apply", "--schedule", "schedule.txt", "--concurrency", "0"}, err: "--concurrency 0: want 1 to 64"},
		{args: []string{"apply", "--schedule", "schedule.txt", "--at", "9am"}, err: `--at "9am": want an RFC 3339 instant`},
		{args: []string{"apply", "--schedule", "schedule.txt", "--every", "0s"}, err: "--every 0s"},
		{args: []string{"apply", "--schedule", "schedule.txt", "now"}, err: `apply takes no arguments, got "now"`},
		{args: []string{"apply"}, err: "no schedule: pass --schedule FILE or set SCALER_SCHEDULE"},
		{args: []string{"apply", "--schedule", "nope.txt"}, err: "read the schedule"},
		{args: []string{"check", "--procfile", "app/Procfile", "--json"},
			want: &checkOptions{Procfile: "app/Procfile", ProcfileSet: true, JSON: true, Timeout: defaultTimeout}},
		{args: []string{"check", "now"}, err: `check takes no arguments, got "now"`},
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "schedule.txt"), []byte("web default 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+" in "+tt.dyno, func(t *testing.T) {
			a := &App{Getenv: func(k string) string {
				if k == envDyno {
					return tt.dyno
				}
				return ""
			}, Now: time.Now}
			var got any
			cmds := []*command{
				a.newScaleCommand(up, capturing[*scaleOptions](a, &got)),
				a.newScaleCommand(scale, capturing[*scaleOptions](a, &got)),
				a.newScaleCommand(down, capturing[*scaleOptions](a, &got)),
				a.newRunCommand(capturing[*runOptions](a, &got)),
				a.newDoneCommand(capturing[*doneOptions](a, &got)),
				a.newApplyCommand(capturing[*applyOptions](a, &got)),
				a.newCheckCommand(capturing[*checkOptions](a, &got)),
			}
			a.Stdout, a.Stderr = new(strings.Builder), new(strings.Builder)
			err := a.dispatch(t.Context(), cmds, append([]string{"scaler"}, tt.args...))
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) || exitCode(err) != exitUsage {
					t.Errorf("scaler %s: %v (exit %d), want a usage error saying %q", strings.Join(tt.args, " "), err, exitCode(err), tt.err)
				}
			case err != nil:
				t.Errorf("scaler %s: %v", strings.Join(tt.args, " "), err)
			case fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want):
				t.Errorf("scaler %s gives\n%+v, want\n%+v", strings.Join(tt.args, " "), got, tt.want)
			}
		})
	}
}

// writeProcfile writes a Procfile into a new directory and makes it the
// test's own.
func writeProcfile(t *testing.T, procfile string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
}

// check reads the Procfile: each line that runs scaler goes through the
// command's own parser, as a dyno of its type would run it. A bad one fails
// the check with Procfile:LINE and a hint, before any request; a line check
// cannot read is said to be unchecked, never failed.
func TestCheckProcfile(t *testing.T) {
	tests := []struct {
		name     string
		procfile string
		env      map[string]string
		args     []string
		code     int
		say      []string
		not      []string
	}{
		{name: "good lines", code: 0, procfile: `
release: bin/scaler check
web: bundle exec puma -C config/puma.rb
nightly: bin/scaler run -- bundle exec rake nightly:report
reindex: scaler run --timeout 4h --grace 20s -- python manage.py reindex
worker: exec bin/scaler run -- rake jobs:work
sidekiq: FOO=1 bundle exec bin/scaler run --keep-on-failure -- sidekiq -q $QUEUE
clock: sh -c 'bin/scaler done || true'
`, say: []string{
			"ok    procfile   Procfile:2: release: scaler check\n",
			"ok    procfile   Procfile:4: nightly: scaler run -- bundle exec rake nightly:report\n",
			"ok    procfile   Procfile:5: reindex: scaler run --timeout 4h --grace 20s -- python manage.py reindex\n",
			"ok    procfile   Procfile:6: worker: scaler run -- rake jobs:work\n",
			"ok    procfile   Procfile:7: sidekiq: scaler run --keep-on-failure -- sidekiq -q $QUEUE\n",
			"ok    procfile   Procfile:8: clock: scaler done\n",
			"check: scaler will work here",
		}, not: []string{"Procfile:3"}},
		{name: "no Procfile is fine", code: 0, say: []string{"ok    procfile   no Procfile here"}},
		{name: "a Procfile named must be there", code: 2, args: []string{"--procfile", "app/Procfile"}, say: []string{"fail  procfile   read the Procfile: open app/Procfile"}},
		{name: "grace too long", code: 2, procfile: "web: bin/web\nreport: bin/scaler run --grace 30s -- bin/report\n", say: []string{
			"fail  procfile   Procfile:2: report: --grace 30s: want more than 0 and less than 30s, since Heroku sends SIGKILL 30s after SIGTERM\n",
			"hint: fix the line in Procfile and deploy again: a dyno of report would exit 2 at each start, and Heroku would restart it with growing back-off\n",
			"skip  api        not tried",
		}},
		{name: "a flag of another command", code: 2, procfile: "report: bin/scaler run --wait -- x\n", say: []string{"fail  procfile   Procfile:1: report: flag --wait is not one of run's"}},
		{name: "a typo of a flag", code: 2, procfile: "report: bin/scaler run --grce 3s -- x\n", say: []string{"Procfile:1: report: flag --grce is not one of run's: did you mean --grace?"}},
		{name: "a typo of a command", code: 2, procfile: "report: bin/scaler rum -- x\n", say: []string{`fail  procfile   Procfile:1: report: unknown command "rum": did you mean run?`}},
		{name: "no job", code: 2, procfile: "report: bin/scaler run --\n", say: []string{"Procfile:1: report: no command to run"}},
		{name: "in a shell", code: 2, procfile: "report: sh -c 'cd app && bin/scaler run --timeout 1 -- x'\n", say: []string{`Procfile:1: report: --timeout "1" is not a duration`}},
		{name: "after &&", code: 2, procfile: "release: bin/rails db:migrate && bin/scaler check now\n", say: []string{
			`fail  procfile   Procfile:1: release: check takes no arguments, got "now"`,
			"hint: fix the line in Procfile: the release phase would fail, and with it every deploy",
		}},
		{name: "down in the release phase", code: 2, procfile: "release: bin/scaler down\nworker: bin/scaler down\n", say: []string{
			`fail  procfile   Procfile:1: release: no process type given, and DYNO="release.1" is not a dyno of the formation`,
			"ok    procfile   Procfile:2: worker: scaler down\n",
		}},
		{name: "its own assignments", code: 2, procfile: "clock: SCALER_SCHEDULE='web sometimes 1' bin/scaler apply\n", say: []string{"fail  procfile   Procfile:1: clock: SCALER_SCHEDULE:1"}},
		{name: "the app's schedule", code: 0, env: map[string]string{envSchedule: "web default 1"}, procfile: "web: bin/web\nclock: bin/scaler apply --every 1h\n", say: []string{"ok    procfile   Procfile:2: clock: scaler apply --every 1h\n"}},
		{name: "every bad line is said", code: 2, procfile: "a: bin/scaler up\nb: bin/scaler up b=1 --wait --wait\nc: SCALER_SCHEDULE='web default 1' bin/scaler apply --concurrency 0\n", say: []string{
			"Procfile:1: a: no spec given", "Procfile:2: b: flag --wait given twice", "Procfile:3: c: --concurrency 0",
		}},
		{name: "what the shell expands is not checked", code: 0, procfile: "a: bin/scaler run --timeout $TIMEOUT -- x\nb: bin/scaler $CMD\n", say: []string{
			"warn  procfile   Procfile:1: a: scaler run --timeout $TIMEOUT -- x: not checked: the shell expands $TIMEOUT when the dyno starts",
			"warn  procfile   Procfile:2: b: scaler $CMD: not checked: the shell expands $CMD",
		}},
		{name: "what check does not read", code: 0, procfile: "a: (bin/scaler run -- x)\nb: bin/scaler status\nc: bundle exec rake x\nd web\nc: bin/scaler done\ne: bin/scaler run --help\n", say: []string{
			"warn  procfile   Procfile:1: a: not checked: parentheses (a subshell) are not read",
			"skip  procfile   Procfile:2: b: scaler status: not checked",
			"warn  procfile   Procfile:4: want TYPE: COMMAND",
			"warn  procfile   Procfile:5: process type c is declared again",
			"warn  procfile   Procfile:6: e: scaler run --help prints its help and exits",
		}, not: []string{"Procfile:3"}},
		{name: "scaler behind a program check does not read", code: 0, procfile: "report: timeout 3600 bin/scaler run --grace 30s -- bin/report\nwork: chpst -u app bin/scaler run -- bin/work\nweb: $WRAP scaler up web=1\n", say: []string{
			"warn  procfile   Procfile:1: report: timeout 3600 scaler run --grace 30s -- bin/report: not checked: scaler runs behind timeout, which check does not read",
			"warn  procfile   Procfile:2: work: chpst -u app scaler run -- bin/work: not checked: scaler runs behind chpst",
			"warn  procfile   Procfile:3: web: $WRAP scaler up web=1: not checked: scaler runs behind $WRAP",
		}, not: []string{"none of which runs scaler"}},
		{name: "scaler's own flags before the command", code: 2, procfile: "report: bin/scaler --grace 30s run -- bin/report\nweb: bin/scaler --version\n", say: []string{
			"fail  procfile   Procfile:1: report: flag --grace is run's, and goes after its name: scaler run --grace ... (see scaler run --help)",
			"skip  procfile   Procfile:2: web: scaler --version: not checked",
		}},
		{name: "none runs scaler", code: 0, procfile: "web: bin/web\n", say: []string{"ok    procfile   Procfile: 1 process type, none of which runs scaler"}},
		{name: "a type of the schedule missing", code: 0, env: map[string]string{envDyno: "release.4", envAppName: "demo", envSchedule: "web default 1; worker daily 22:00-06:00 1"},
			procfile: "release: bin/scaler check\nweb: bin/web\n", say: []string{"warn  procfile   the schedule names process type worker of demo, which Procfile does not declare (it declares release, web)"}},
		{name: "types of the schedule missing", code: 4, env: map[string]string{envDyno: "release.4", envAppName: "demo", envSchedule: "web default 1; worker daily 22:00-06:00 1; ghost daily 1"},
			procfile: "release: bin/scaler check\nweb: bin/web\n", say: []string{"warn  procfile   the schedule names process types ghost, worker of demo, which Procfile does not declare (it declares release, web): once it is deployed, demo will have no such types"}},
		{name: "another app's Procfile", code: 0, env: map[string]string{envSchedule: "web default 1; worker daily 22:00-06:00 1"},
			procfile: "release: bin/scaler check\n", say: []string{"ok    procfile   Procfile declares none of the process types the schedule names for demo (web, worker): taken for another app's Procfile"}},
		{name: "every type of the schedule", code: 0, env: map[string]string{envSchedule: "web default 1; worker daily 22:00-06:00 1"},
			procfile: "web: bin/web\nworker: bin/worker\n", say: []string{"ok    procfile   Procfile declares every process type the schedule names for demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.procfile != "" {
				writeProcfile(t, tt.procfile)
			} else {
				t.Chdir(t.TempDir())
			}
			h := newHarness(t, demoConfig())
			rcv := newReceiver(t) // a line that scaler run would refuse is never notified from check
			h.env[envNotify] = rcv.URL + "/hook"
			for k, v := range tt.env {
				h.env[k] = v
			}
			r := h.run(append([]string{"check"}, tt.args...)...)
			if rcv.all() != "" {
				t.Errorf("check notified:\n%s", rcv.all())
			}
			if r.code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, tt.code, r)
			}
			says(t, "check", r.stdout, tt.say...)
			for _, not := range tt.not {
				if strings.Contains(r.stdout, not) {
					t.Errorf("check says %q:\n%s", not, r.stdout)
				}
			}
			if n := len(h.em.Requests()); tt.code == exitUsage && n != 0 {
				t.Errorf("check exited 2, which says nothing was sent, after %d requests", n)
			}
		})
	}
}

// The guides show what a mistake in the Procfile says: check's lines in
// docs/deploy.md, and run's, in the dyno, in docs/run.md.
func TestDocsShowWhatAProcfileMistakeSays(t *testing.T) {
	guide, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../docs/run.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- what scaler check prints for a bad line -->\n```text\n"
	_, block, ok := strings.Cut(string(guide), marker)
	block, _, _ = strings.Cut(block, "```")
	if !ok || block == "" {
		t.Fatalf("docs/deploy.md has no text block after %s", marker)
	}
	writeProcfile(t, "web: bin/web\nnightly: bin/scaler run -- bin/nightly\nreport: bin/scaler run --grace 30s -- bin/report\n")
	h := newHarness(t, demoConfig())
	if r := h.run("check"); r.code != 2 || !strings.Contains(r.stdout, block) {
		t.Errorf("docs/deploy.md shows\n%s\nbut check prints (exit %d)\n%s", block, r.code, r.stdout)
	}

	i := strings.Index(string(page), `level=error msg="job not started"`)
	if i < 0 {
		t.Fatal(`docs/run.md does not show the line of a job not started`)
	}
	line, _, _ := strings.Cut(string(page)[i:], "\n")
	cfg := demoConfig()
	cfg.Apps[0].Formation = append(cfg.Apps[0].Formation, emulator.Process{Type: "report", Quantity: 1})
	h = newHarness(t, cfg)
	h.env[envDyno] = "report.1"
	if r := h.run("run", "--grace", "30s", "--", "bin/report"); r.code != 2 || r.stderr != line+"\n" {
		t.Errorf("docs/run.md shows\n%s\nbut run prints (exit %d)\n%s", line, r.code, r.stderr)
	}
}
