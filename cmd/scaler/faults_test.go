package main

// The fault matrix: what scaler does when the API misbehaves, for each
// command that writes, against the emulator over real HTTP. Each cell
// checks the exit code (the README's tables), the time bound, the final
// formation (no lost update, nothing applied twice, a relative spec never
// applied twice after a retry) and, through the harness, that no output
// holds the token. The README's "When the API misbehaves" summarises it.

import (
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// matrixCommand is one column of the matrix: a command that changes the
// formation, from a known state.
type matrixCommand struct {
	name string
	// prepare sets the formation and the environment; args is the command.
	prepare func(t *testing.T, h *harness)
	args    []string
	// done reports whether the change landed, exactly once; same whether
	// the formation is as it was.
	done, same func(em *emulator.Emulator) bool
	// afterFirst lets the first request through every fault.
	afterFirst bool
}

func quantities(em *emulator.Emulator, pairs ...any) bool {
	for i := 0; i < len(pairs); i += 2 {
		app, typ, _ := strings.Cut(pairs[i].(string), "/")
		if em.Quantity(app, typ) != pairs[i+1].(int) {
			return false
		}
	}
	return true
}

var matrixCommands = []matrixCommand{
	{
		name: "up worker=1", args: []string{"up", "worker=1"},
		prepare: func(t *testing.T, h *harness) {},
		done:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 1) },
		same:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 0) },
	},
	{
		name: "scale web+1 (relative)", args: []string{"scale", "web+1"},
		prepare: func(t *testing.T, h *harness) {},
		done:    func(em *emulator.Emulator) bool { return quantities(em, "demo/web", 2) },
		same:    func(em *emulator.Emulator) bool { return quantities(em, "demo/web", 1) },
	},
	{
		name: "down worker", args: []string{"down", "worker"},
		prepare: func(t *testing.T, h *harness) { h.em.SetQuantity("demo", "worker", 1) },
		done:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 0) },
		same:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 1) },
	},
	{
		// The faults strike after run's first read (the run's identity,
		// before the job): at the scale-down, once the job is over.
		name: "run's final scale-down", args: []string{"run", "--finish-timeout", "2s"}, // then the job, once it is built
		afterFirst: true,
		prepare: func(t *testing.T, h *harness) {
			h.em.SetQuantity("demo", "worker", 1)
			h.env[envDyno] = "worker.1"
			h.stopOnScaleDown("demo", "worker")
			h.env["SCALER_TEST_JOB"] = "exit:0"
		},
		done: func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 0) },
		same: func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 1) },
	},
	{
		name: "apply, one app", args: []string{"apply"},
		prepare: func(t *testing.T, h *harness) { h.env[envSchedule] = "worker default 1" },
		done:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 1) },
		same:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 0) },
	},
	{
		name: "apply, two apps", args: []string{"apply"},
		prepare: func(t *testing.T, h *harness) { h.env[envSchedule] = "worker default 1; app other; worker default 1" },
		done:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 1, "other/worker", 1) },
		same:    func(em *emulator.Emulator) bool { return quantities(em, "demo/worker", 0, "other/worker", 0) },
	},
}

// codes are the exit codes of the matrix's columns, in order: up, scale,
// down, run, apply (one app), apply (two apps).
type codes [6]int

var (
	allOK     = codes{0, 0, 0, 0, 0, 0}
	allFailed = codes{1, 1, 1, 1, 1, 1}
	// 401 and 403 exit 3, 404 exits 4; apply over several apps exits 1 if
	// any failed. run's scale-down tries again until --finish-timeout
	// whatever the refusal (exiting would start the job again), then exits
	// 1: the job succeeded, its dyno runs on.
	refused  = codes{3, 3, 3, 1, 3, 1}
	notFound = codes{4, 4, 4, 1, 4, 1}
	// A relative write whose answer was lost after it landed cannot be
	// proven: it may have landed, or another client's may have. It is not
	// sent again, and the command says so (exit 1). Absolute writes are
	// read back and found in place.
	lostRelative = codes{0, 1, 0, 0, 0, 0}
)

func unavailable(times int) emulatortest.Fault {
	return emulatortest.Fault{Status: 503, ID: "service_unavailable", Message: "The service is unavailable.", Times: times}
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name   string
		faults []emulatortest.Fault
		budget int // the account's rate limit, when set (RateLimit-Remaining to start with)
		// slow runs the command with a 300ms deadline.
		slow     bool
		want     codes
		min, max time.Duration
		say      string // in stderr, when the command fails
		// landed: the write landed before its answer was lost, so a
		// command that fails has changed the formation, exactly once.
		landed bool
	}{
		{name: "5xx burst shorter than the retry budget", faults: []emulatortest.Fault{unavailable(3)}, want: allOK},
		{name: "5xx on the write, shorter than the budget", faults: []emulatortest.Fault{withMethod("PATCH", unavailable(2))}, want: allOK},
		{name: "5xx longer than the retry budget", faults: []emulatortest.Fault{unavailable(0)}, want: allFailed, say: "after 6 attempts"},
		{name: "5xx on every write", faults: []emulatortest.Fault{withMethod("PATCH", unavailable(0))}, want: allFailed, say: "503 service_unavailable"},
		{name: "429 without Retry-After, then through", faults: []emulatortest.Fault{{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit", Times: 2}}, want: allOK},
		{name: "429 with Retry-After: 1", faults: []emulatortest.Fault{{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit", Times: 1, Header: map[string]string{"Retry-After": "1"}}}, want: allOK, min: time.Second},
		{name: "429 for ever", faults: []emulatortest.Fault{{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"}}, want: allFailed, say: "4500 requests"},
		{name: "low RateLimit-Remaining", budget: 5, want: allOK},
		{name: "connection reset, then through", faults: []emulatortest.Fault{{Reset: true, Times: 1}}, want: allOK},
		{name: "connection reset after the write landed", faults: []emulatortest.Fault{{Method: "PATCH", Reset: true, After: true, Times: 1}}, want: lostRelative, say: "may or may not have landed", landed: true},
		{name: "answer slower than the deadline", faults: []emulatortest.Fault{{Delay: time.Minute}}, slow: true, want: allFailed, max: 3 * time.Second, say: "no answer in time"},
		{name: "truncated body, then through", faults: []emulatortest.Fault{{Truncate: true, Times: 1}}, want: allOK},
		{name: "truncated answer to a write that landed", faults: []emulatortest.Fault{{Method: "PATCH", Truncate: true, After: true, Times: 1}}, want: lostRelative, say: "may or may not have landed", landed: true},
		{name: "200 with a maintenance page, then through", faults: []emulatortest.Fault{{Status: 200, Body: "<html><title>Down for maintenance</title></html>", Times: 1}}, want: allOK},
		{name: "HTML 502 page, then through", faults: []emulatortest.Fault{{Status: 502, Body: emulatortest.HTMLErrorPage, Times: 2}}, want: allOK},
		{name: "HTML 502 page for ever", faults: []emulatortest.Fault{{Status: 502, Body: emulatortest.HTMLErrorPage}}, want: allFailed, say: "not JSON"},
		{name: "401 unauthorized", faults: []emulatortest.Fault{{Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."}}, want: refused, say: "heroku authorizations:create"},
		{name: "403 two_factor", faults: []emulatortest.Fault{{Status: 403, ID: "two_factor", Message: "Invalid two-factor code."}}, want: refused, say: "second factor"},
		{name: "404 not_found", faults: []emulatortest.Fault{{Status: 404, ID: "not_found", Message: "Couldn't find that app."}}, want: notFound, say: "not found"},
		{name: "422 invalid_params on the write", faults: []emulatortest.Fault{{Method: "PATCH", Status: 422, ID: "invalid_params", Message: "Cannot update to more than 1 Basic size dynos per process type."}}, want: allFailed, say: "Cannot update to more than 1 Basic"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			for col, cmd := range matrixCommands {
				t.Run(cmd.name, func(t *testing.T) {
					t.Parallel()
					h := newHarness(t, emulator.Config{RateLimit: row.budget, Apps: []emulator.App{
						{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}},
						{Name: "other", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}},
					}})
					cmd.prepare(t, h)
					args := cmd.args
					if args[0] == "run" {
						args = append(args, jobArgs()...)
					}
					if row.slow {
						h.finish = 300 * time.Millisecond
						if args[0] != "run" {
							args = append(append([]string{}, args...), "--timeout", "300ms")
						}
					}
					for _, f := range row.faults {
						if cmd.afterFirst && f.Method != "PATCH" {
							f.Skip = 1
						}
						h.em.Inject(f)
					}

					began := time.Now()
					r := h.run(args...)
					took := time.Since(began)

					want := row.want[col]
					if r.code != want {
						t.Errorf("exit %d, want %d:\n%s", r.code, want, r)
					}
					switch {
					case (want == 0 || row.landed) && !cmd.done(h.em.Emulator):
						t.Errorf("the change did not land exactly once: %+v %+v", h.em.Formation("demo"), h.em.Formation("other"))
					case want != 0 && !row.landed && !cmd.same(h.em.Emulator):
						t.Errorf("a failed command changed the formation: %+v %+v", h.em.Formation("demo"), h.em.Formation("other"))
					}
					if cmd.afterFirst && !strings.Contains(r.stderr, `msg="job completed"`) {
						t.Errorf("the job did not run: the fault struck before the scale-down:\n%s", r.stderr)
					}
					if want != 0 && row.say != "" && !strings.Contains(r.stderr, row.say) {
						t.Errorf("stderr does not say %q:\n%s", row.say, r.stderr)
					}
					if row.budget > 0 && !strings.Contains(r.stderr, "api budget low") {
						t.Errorf("no word of the low budget:\n%s", r.stderr)
					}
					limit := row.max
					if limit == 0 {
						limit = 5 * time.Second
					}
					if took < row.min || took > limit {
						t.Errorf("took %v, want between %v and %v", took, row.min, limit)
					}
				})
			}
		})
	}
}

func withMethod(method string, f emulatortest.Fault) emulatortest.Fault {
	f.Method = method
	return f
}
