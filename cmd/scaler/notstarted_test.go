package main

import (
	"cmp"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// When scaler run cannot start its job in a dyno of the formation (a bad
// flag in the Procfile, no token, an unknown app), nobody watches: it says
// why on one error line, with what to do, and notifies, then exits with the
// error's code at once; the platform restarts the dyno with back-off. The
// job never starts.
func TestRunNotStartedInAFormationDyno(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before []string // scaler's arguments before the command's name
		cmd    string   // the command's name, run when empty
		args   []string
		env    map[string]string
		app    string // the app named in the notification
		code   int
		err    string // what the line and the notification say
		hint   string
		sent   bool // whether a request reached the API
	}{
		{name: "grace too long", args: []string{"--grace", "30s"}, app: "demo", code: 2,
			err: "--grace 30s: want more than 0 and less than 30s", hint: "fix what the error says (scaler run's line in the Procfile, or a config var), and deploy; until then each start of worker fails alike, and Heroku restarts it with growing back-off (scale worker to 0 to stop it)"},
		{name: "a flag urfave refuses", args: []string{"--grce", "3s"}, app: "demo", code: 2, err: "flag --grce is not one of run's: did you mean --grace?"},
		{name: "run's flag before its name", before: []string{"--grace", "20s"}, app: "demo", code: 2,
			err: "flag --grace is run's, and goes after its name: scaler run --grace ... (see scaler run --help)"},
		{name: "a misspelt command", cmd: "runn", app: "demo", code: 2, err: "unknown command"},
		{name: "a flag with no value", args: []string{"--timeout"}, app: "demo", code: 2, err: "flag --timeout needs a value (--timeout 30s, 5m)"},
		{name: "no token", env: map[string]string{envToken: ""}, app: "demo", code: 2, err: "HEROKU_API_KEY is not set"},
		{name: "no app", env: map[string]string{envApp: ""}, code: 2, err: "no app given"},
		{name: "unknown app", env: map[string]string{envApp: "nope-app"}, app: "nope-app", code: 4, sent: true,
			err: "read formation of nope-app, for the run's identity: app nope-app not found", hint: "check the app's name"},
		{name: "token refused", env: map[string]string{envToken: "HRKU-revoked"}, app: "demo", code: 3, sent: true, err: "401 unauthorized", hint: "the token in HEROKU_API_KEY is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t)
			h := inItsDyno(t)
			h.env[envNotify] = rcv.URL + "/services/T000/B000/secret"
			for k, v := range tt.env {
				h.env[k] = v
			}
			h.env["SCALER_TEST_JOB"] = "exit:0"
			args := append(append(append(tt.before, cmp.Or(tt.cmd, "run")), tt.args...), jobArgs()...)
			r := h.run(args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, tt.code, r)
			}
			if strings.Contains(r.stdout, "job: ready") || h.em.Quantity("demo", "worker") != 1 || len(h.em.Writes()) != 0 {
				t.Errorf("the job ran, or the formation changed:\n%s", r)
			}
			if sent := len(h.em.Requests()) > 0; sent != tt.sent {
				t.Errorf("requests sent: %v, want %v", sent, tt.sent)
			}
			// One line, at error level: what, where, why and what to do.
			lines := regexp.MustCompile(`(?m)^level=error .*$`).FindAllString(r.stderr, -1)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], `level=error msg="job not started" app=`+cmp.Or(tt.app, `""`)+` type=worker hint="`) ||
				!strings.Contains(lines[0], tt.err) || !strings.Contains(lines[0], tt.hint) || !strings.Contains(lines[0], "Heroku restarts it with growing back-off") {
				t.Errorf("want one error line, job not started, saying %q and %q:\n%s", tt.err, tt.hint, r.stderr)
			}
			e, ok := rcv.events()["job_not_started"]
			if !ok || len(rcv.events()) != 1 {
				t.Fatalf("want one job_not_started notification, got:\n%s", rcv.all())
			}
			detail, _ := e["detail"].(string)
			action, _ := e["action"].(string)
			if app, _ := e["app"].(string); app != tt.app || e["type"] != "worker" || e["exit_code"] != float64(tt.code) || !strings.Contains(detail, tt.err) || !strings.Contains(action, "growing back-off") {
				t.Errorf("the notification: %v", e)
			}
			if all := rcv.all() + r.stderr; strings.Contains(all, testToken) || strings.Contains(all, "HRKU-revoked") || strings.Contains(r.stderr, "/services/") {
				t.Errorf("a secret is shown:\n%s\n%s", rcv.all(), r.stderr)
			}
		})
	}
}

// Where a person runs it (a terminal, a one-off dyno), run's error is said
// as any command's, and nobody is notified: the person sees it.
func TestRunNotStartedOutsideTheFormation(t *testing.T) {
	t.Parallel()
	for _, dyno := range []string{"", "run.4123"} {
		rcv := newReceiver(t)
		h := newHarness(t, demoConfig())
		h.env[envNotify] = rcv.URL + "/hook"
		h.env[envDyno] = dyno
		r := h.run(append([]string{"run", "--type", "worker", "--grace", "30s"}, jobArgs()...)...)
		if r.code != 2 || !strings.Contains(r.stderr, `level=error msg="usage error" err="--grace 30s`) || rcv.all() != "" {
			t.Errorf("DYNO=%q: want exit 2, a usage error, no notification:\n%s\nsent: %s", dyno, r, rcv.all())
		}
	}
}

// In a dyno of the formation, a command line meant for another command
// than run (a clock dyno's apply misspelt, up's flag before its name) is a
// usage error as anywhere: no job was to start, and nobody is notified.
func TestOtherCommandsNotStartedAreUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"aply"}, {"statsu"}, {"-a", "demo", "up", "worker=1"}} {
		rcv := newReceiver(t)
		h := inItsDyno(t)
		h.env[envNotify] = rcv.URL + "/hook"
		r := h.run(args...)
		if r.code != 2 || !strings.Contains(r.stderr, `level=error msg="usage error"`) || strings.Contains(r.stderr, "job not started") || rcv.all() != "" {
			t.Errorf("scaler %s: want exit 2, a usage error, no notification:\n%s\nsent: %s", strings.Join(args, " "), r, rcv.all())
		}
	}
}

// A notification URL that cannot be used does not stop run from saying why
// its job did not start: two error lines, notifications off and job not
// started, and nothing sent.
func TestRunNotStartedWithoutNotifications(t *testing.T) {
	t.Parallel()
	h := inItsDyno(t)
	h.env[envNotify] = "http://hooks.example.com/services/x"
	r := h.run(append([]string{"run", "--grace", "1m"}, jobArgs()...)...)
	if r.code != 2 || strings.Count(r.stderr, "level=error") != 2 || !strings.Contains(r.stderr, `msg="notifications off"`) || !strings.Contains(r.stderr, `msg="job not started"`) {
		t.Errorf("want exit 2, notifications off and job not started:\n%s", r)
	}
}

// A shutdown while run waits for the API before its job is no failure: the
// platform starts the dyno again, and nobody is notified.
func TestRunStoppedBeforeItsJobIsNotNotified(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	f := newRunFixture(t, 1)
	f.em.Inject(emulatortest.Fault{Method: "GET", Status: 503, ID: "service_unavailable", Message: "down"})
	f.env["SCALER_TEST_JOB"] = "exit:0"
	f.env[envNotify] = rcv.URL + "/hook"
	p := startBinary(t, f.env, append([]string{"run"}, jobArgs()...)...)
	if !p.stderr.waitFor(`msg="job not started yet"`, time.Minute) {
		t.Fatalf("no word of the wait:\n%s", p.stderr)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	r := f.finish(t, p)
	if r.code != 143 || rcv.all() != "" || strings.Contains(r.stderr, `msg="job not started" `) {
		t.Errorf("want exit 143, and no notification:\n%s\nsent: %s", r, rcv.all())
	}
}
