package schedules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// renderOccurrences writes occurrences compactly: "worker 00:00Z-00:30Z@1",
// with their dates when they are not from's.
func renderOccurrences(occ []Occurrence) string {
	parts := make([]string, len(occ))
	for i, o := range occ {
		parts[i] = fmt.Sprintf("%s %s-%s@%d", TypeName(o.App, o.Type), o.Open.UTC().Format("01-02T15:04Z"), o.Close.UTC().Format("01-02T15:04Z"), o.Rule.Line)
	}
	return strings.Join(parts, " ")
}

func TestRestarts(t *testing.T) {
	tests := []struct {
		name, src, from, to string
		want                string
	}{
		{"daily, two days", "timezone Europe/Berlin\nworker daily 01:00-01:30 restart",
			"2026-11-23T00:00:00Z", "2026-11-25T00:00:00Z",
			"worker 11-23T00:00Z-11-23T00:30Z@2 worker 11-24T00:00Z-11-24T00:30Z@2"},
		{"the one in force at from", "worker daily 01:00-01:30 restart",
			"2026-11-23T01:10:00Z", "2026-11-23T02:00:00Z",
			"worker 11-23T01:00Z-11-23T01:30Z@1"},
		{"from at the opening", "worker daily 01:00-01:30 restart",
			"2026-11-23T01:00:00Z", "2026-11-23T01:00:01Z",
			"worker 11-23T01:00Z-11-23T01:30Z@1"},
		{"to at the opening is out", "worker daily 01:00-01:30 restart",
			"2026-11-23T00:00:00Z", "2026-11-23T01:00:00Z",
			""},
		{"from at the close is out", "worker daily 01:00-01:30 restart",
			"2026-11-23T01:30:00Z", "2026-11-24T01:00:00Z",
			""},
		{"across midnight", "worker Mon 23:30-00:30 restart",
			"2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z",
			"worker 11-23T23:30Z-11-24T00:30Z@1"},
		{"windows that touch are two occurrences", "worker daily 01:00-01:30 restart\nworker daily 01:30-02:00 restart:rolling",
			"2026-11-23T00:00:00Z", "2026-11-23T12:00:00Z",
			"worker 11-23T01:00Z-11-23T01:30Z@1 worker 11-23T01:30Z-11-23T02:00Z@2"},
		{"a whole day a day", "worker daily restart",
			"2026-11-23T12:00:00Z", "2026-11-24T12:00:00Z",
			"worker 11-23T00:00Z-11-24T00:00Z@1 worker 11-24T00:00Z-11-25T00:00Z@1"},
		{"a date beside the week", "worker Mon-Fri 01:00-01:30 restart\nworker 2026-11-28 03:00-03:30 restart",
			"2026-11-27T12:00:00Z", "2026-12-01T00:00:00Z",
			"worker 11-28T03:00Z-11-28T03:30Z@2 worker 11-30T01:00Z-11-30T01:30Z@1"},
		{"types and apps, ties by app then type", "worker daily 01:00-01:30 restart\nweb daily 01:00-01:30 restart\napp other-app\nweb daily 01:00-01:30 restart",
			"2026-11-23T00:00:00Z", "2026-11-23T12:00:00Z",
			"web 11-23T01:00Z-11-23T01:30Z@2 worker 11-23T01:00Z-11-23T01:30Z@1 other-app/web 11-23T01:00Z-11-23T01:30Z@4"},
		// A restart window never vanishes: the clocks skip 02:00-03:00, and
		// 02:00-02:30 is 03:00-03:30 CEST.
		{"spring forward", "timezone Europe/Berlin\nworker daily 02:00-02:30 restart",
			"2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z",
			"worker 03-28T01:00Z-03-28T01:30Z@2 worker 03-29T01:00Z-03-29T01:30Z@2 worker 03-30T00:00Z-03-30T00:30Z@2"},
		// 02:30 happens twice: the window opens at the first, and closes at
		// 03:00 CET, once.
		{"fall back", "timezone Europe/Berlin\nworker daily 02:30-03:00 restart",
			"2026-10-24T12:00:00Z", "2026-10-26T00:00:00Z",
			"worker 10-25T00:30Z-10-25T02:00Z@2"},
		{"scale rules are not restarts", "worker default 2\nworker daily 01:00-06:00 4\nnightly daily 01:00-02:00 once",
			"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z",
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			from, to := utc(tt.from), utc(tt.to)
			got := s.Restarts(from, to)
			if r := renderOccurrences(got); r != tt.want {
				t.Errorf("Restarts(%s, %s) = %q, want %q", tt.from, tt.to, r, tt.want)
			}
			// A restart window's occurrences are those of a once window
			// written the same.
			if !strings.Contains(tt.src, "once") {
				once := mustParse(t, strings.NewReplacer(" restart:rolling", " once", " restart", " once").Replace(tt.src))
				if r, w := renderOccurrences(got), renderOccurrences(once.occurrences(from, to, false)); r != w {
					t.Errorf("Restarts(%s, %s) = %q, but the once windows written the same are %q", tt.from, tt.to, r, w)
				}
			}
		})
	}
}

// The formation's methods leave restart windows out: apply must never take
// a restart for a quantity.
func TestRestartsAreNoTargets(t *testing.T) {
	s := mustParse(t, "worker daily 01:00-01:30 restart\nweb daily 00:00-03:00 restart:rolling\nweb default 2")
	at, from, to := utc("2026-11-23T01:10:00Z"), utc("2026-11-22T00:00:00Z"), utc("2026-11-25T00:00:00Z")
	if got := render(s.At(at)); got != "web=2@3" {
		t.Errorf("At(%v) = %q, want web=2@3 alone", at, got)
	}
	if got := s.Changes(from, to); len(got) != 0 {
		t.Errorf("Changes = %v, want none", got)
	}
	if got := s.Closed(from, to); len(got) != 0 {
		t.Errorf("Closed = %v, want none", got)
	}
	if got := strings.Join(s.Types(""), ","); got != "web,worker" {
		t.Errorf("Types = %q, want web,worker", got)
	}
	r := s.Report(from, to)
	if len(r.Types) != 1 || r.Types[0].Type != "web" || len(r.Changes) != 0 {
		t.Errorf("Report has types %+v and changes %+v, want web's chart alone and no change", r.Types, r.Changes)
	}
	if len(r.Restarts) != 6 {
		t.Errorf("Report has %d restarts, want 6: %s", len(r.Restarts), renderOccurrences(r.Restarts))
	}
}

func TestQuietPeriods(t *testing.T) {
	tests := []struct {
		src     string
		from    string
		to      string
		nextDay bool
		hours   float64
		warning bool
		message string
	}{
		{"worker daily 01:00-01:30 restart", "01:30", "01:00", true, 23.5, false,
			"no daily cycling of worker between 01:30 and 01:00 the next day, as long as a restart happens each day"},
		{"worker Mon-Fri 04:00-05:00 restart:rolling", "05:00", "04:00", true, 23, false,
			"no daily cycling of worker between 05:00 and 04:00 the next day, after each restart (Mon-Fri); on other days Heroku cycles it when it will"},
		{"worker daily 23:30-00:30 restart", "00:30", "23:30", false, 23, false,
			"no daily cycling of worker between 00:30 and 23:30, as long as a restart happens each day"},
		{"worker daily 23:00-24:00 restart", "00:00", "23:00", false, 23, false,
			"no daily cycling of worker between 00:00 and 23:00, as long as a restart happens each day"},
		{"app other-app\nworker 2026-12-24 02:00-03:00 restart", "03:00", "02:00", true, 23, false,
			"no daily cycling of other-app/worker between 03:00 and 02:00 the next day, after each restart (2026-12-24); on other days Heroku cycles it when it will"},
		{"worker daily restart", "00:00", "00:00", false, 0, true,
			"the restart window of worker (line 1) lasts a whole day: a restart may come at any hour, and buys no quiet period"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := mustParse(t, tt.src).quietPeriods()
			if len(got) != 1 {
				t.Fatalf("quietPeriods() = %+v, want one", got)
			}
			q := got[0]
			if q.From != tt.from || q.To != tt.to || q.NextDay != tt.nextDay || q.Hours != tt.hours || q.Warning != tt.warning || q.Message != tt.message {
				t.Errorf("quietPeriods() = %+v,\nwant from %s to %s, next day %v, %v hours, warning %v, %q", q, tt.from, tt.to, tt.nextDay, tt.hours, tt.warning, tt.message)
			}
		})
	}
}

func TestExposures(t *testing.T) {
	tests := []struct {
		name, src, from, to string
		want                []string
	}{
		{"daily: none", "timezone Europe/Berlin\nworker daily 01:00-01:30 restart", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z", nil},
		// The night the clocks go back is 25 hours long: the restart of
		// Sunday 01:00 CEST runs out at Monday 00:00 CET.
		{"fall back", "timezone Europe/Berlin\nworker daily 01:00-01:30 restart", "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
			[]string{"Heroku may cycle worker from Mon 2026-10-26 00:00 to 01:00 CET: its restart window (line 2) opens 25 hours after the last one opened"}},
		// Spring forward: 23 hours, nothing exposed.
		{"spring forward", "timezone Europe/Berlin\nworker daily 01:00-01:30 restart", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z", nil},
		{"weekdays", "worker Mon-Fri 01:00-01:30 restart", "2026-11-23T00:00:00Z", "2026-12-01T00:00:00Z",
			[]string{"Heroku may cycle worker from Sat 2026-11-28 01:00 UTC to Mon 2026-11-30 01:00 UTC: its restart window (line 1) opens 3 days after the last one opened"}},
		{"in the repeated hour", "timezone Europe/Berlin\nworker daily 02:30-03:00 restart", "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
			[]string{"Heroku may cycle worker from Mon 2026-10-26 01:30 to 02:30 CET: its restart window (line 2) opens 25 hours after the last one opened"}},
		{"a change of zone within the stretch", "timezone Europe/Berlin\nworker 2026-10-24 02:00-02:15 restart\nworker 2026-10-25 03:30-03:45 restart", "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
			[]string{"Heroku may cycle worker from Sun 2026-10-25 02:00 CEST to 03:30 CET: its restart window (line 3) opens 26.5 hours after the last one opened"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.src).Report(utc(tt.from), utc(tt.to))
			var got []string
			for _, e := range r.Exposed {
				got = append(got, e.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Exposed =\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRestartConflicts(t *testing.T) {
	const restart = "timezone Europe/Berlin\nworker daily 01:00-01:30 restart\n"
	tests := []struct {
		name, jobs string
		want       []string // brief: restart line, job line, times
	}{
		{"a job window that opens before the restart window", "nightly daily 00:30-03:00 once", []string{"2/3 x3"}},
		{"one that opens in it", "nightly daily 01:10-03:00 once", []string{"2/3 x3"}},
		{"one that opens as it closes", "nightly daily 01:30-03:00 once", nil},
		// A job's window that closes before the restart window opens: a
		// job started late in it has as little as nothing before the
		// restart, or a cycle from the window's opening on.
		{"one that closes as it opens", "nightly daily 00:00-01:00 once", []string{"2/3 x3"}},
		{"one that closes before it opens", "nightly daily 00:00-00:30 once", []string{"2/3 x3"}},
		{"one that closes in the later half of the quiet period", "nightly daily 18:00-19:00 once", []string{"2/3 x3"}},
		{"one in the earlier half of the quiet period", "nightly daily 09:00-10:00 once", nil},
		{"one in the earlier half, to the minute", "nightly daily 12:00-13:15 once", nil},
		{"one in the later half, to the minute", "nightly daily 12:00-13:16 once", []string{"2/3 x3"}},
		{"one on some days", "nightly Tue 00:45-01:15 once\nreport daily 05:00-06:00 once", []string{"2/3 x1"}},
		{"one that crosses midnight into it", "nightly daily 23:00-01:15 once", []string{"2/3 x3"}},
		{"a level rule is no job", "batch daily 00:00-06:00 2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, restart+tt.jobs).Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-26T00:00:00Z"))
			var got []string
			for _, c := range r.RestartConflicts {
				got = append(got, fmt.Sprintf("%d/%d x%d", c.Line, c.JobLine, c.Times))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("RestartConflicts = %v, want %v", got, tt.want)
			}
		})
	}
	// What each says.
	for _, tt := range []struct{ jobs, want string }{
		{"nightly daily 00:30-03:00 once", "the job window of nightly (line 3: nightly daily 00:30-03:00 once) is open before the restart window of worker (line 2) closes: " +
			"the job may start before the restart, which then comes while it runs; open the job's window at 01:30 or later, when the quiet period begins (3 times in the period; first Mon 2026-11-23 00:30 CET)"},
		{"nightly daily 00:00-01:00 once", "the job window of nightly (line 3: nightly daily 00:00-01:00 once) closes as the restart window of worker (line 2) opens: " +
			"a job it starts may still run when the restart comes, or a cycle, which may come from the window's opening on; open the job's window at 01:30 or later, when the quiet period begins (3 times in the period; first Mon 2026-11-23 00:00 CET)"},
		{"nightly daily 22:00-22:30 once", "the job window of nightly (line 3: nightly daily 22:00-22:30 once) closes 2 h 30 min before the restart window of worker (line 2) opens: " +
			"a job it starts that runs longer than that may be cut by the restart, or by a cycle, which may come from the window's opening on; open the job's window at 01:30 or later, when the quiet period begins (3 times in the period; first Sun 2026-11-22 22:00 CET)"},
	} {
		r := mustParse(t, restart+tt.jobs).Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-26T00:00:00Z"))
		if len(r.RestartConflicts) != 1 || r.RestartConflicts[0].Message != tt.want {
			t.Errorf("RestartConflicts of %q = %+v, want one:\n%s", tt.jobs, r.RestartConflicts, tt.want)
		}
	}
	// Another app's job is no conflict.
	r := mustParse(t, restart+"app other-app\nnightly daily 00:30-03:00 once").Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-26T00:00:00Z"))
	if len(r.RestartConflicts) != 0 {
		t.Errorf("RestartConflicts = %+v, want none across apps", r.RestartConflicts)
	}
}

// Scheduler warns of a restart window that its runs cannot reach, as of a
// once window.
func TestSchedulerRestarts(t *testing.T) {
	s := mustParse(t, "worker daily 01:03-01:08 restart\nweb daily 04:05-04:20 restart:rolling\nclock daily 02:00-03:00 restart")
	got := s.Scheduler(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z"), Every10Minutes)
	var lines []string
	for _, w := range got.Warnings {
		lines = append(lines, fmt.Sprintf("%d %s %s: %s", w.Line, w.Edge, w.Problem, w.Message))
	}
	want := []string{
		"1 start no_run: no run falls in the window: worker is never restarted, and Heroku cycles it when it will (once in the period: Mon 2026-11-23 01:03 UTC)",
		"2 start late: the first run in the window comes up to 5 min after it opens: the restart comes then or at a later run, never sooner (once in the period: Mon 2026-11-23 04:05 UTC)",
		"2 start one_run: one run falls in the window: if Scheduler skips it, web is not restarted that day (once in the period: Mon 2026-11-23 04:05 UTC)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Scheduler warnings:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got.Changes != 3 {
		t.Errorf("Scheduler changes = %d, want the 3 restart windows", got.Changes)
	}
	// The report marks the window no run reaches, and promises no quiet
	// period for its rule.
	r := s.Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z"))
	r.SetScheduler(got)
	var noRun []string
	for _, o := range r.Restarts {
		noRun = append(noRun, fmt.Sprintf("%s %v", o.Type, o.NoRun))
	}
	if strings.Join(noRun, ", ") != "worker true, clock false, web false" {
		t.Errorf("restarts' NoRun: %v", noRun)
	}
	if q := r.Quiet[0]; !q.Warning || q.Message != "no run of Heroku Scheduler (every 10m) falls in the restart window of worker (line 1): apply never restarts worker, and the window buys no quiet period" {
		t.Errorf("quiet period of the window no run reaches: %+v", q)
	}
	if r.Quiet[1].Warning || r.Quiet[2].Warning {
		t.Errorf("quiet periods of windows runs reach: %+v", r.Quiet[1:])
	}
}

// A restart window that the clocks skip moves after the gap, as a once
// window does, and plan says so.
func TestDSTEffectsOfRestarts(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nworker daily 02:00-02:30 restart\nworker default 1\nweb daily 02:15-02:45 3")
	var got []string
	for _, e := range s.DSTEffects(utc("2026-03-28T00:00:00Z"), utc("2026-03-30T00:00:00Z")) {
		got = append(got, fmt.Sprintf("%d %s %s %v", e.Line, e.Effect, e.Window, e.Warning))
	}
	want := "2 moved 03:00-03:30 false\n4 empty  true"
	if strings.Join(got, "\n") != want {
		t.Errorf("DSTEffects =\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

func TestReportJSONRestart(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nworker daily 01:00-01:30 restart:rolling\nnightly daily 00:30-03:00 once")
	data, err := json.Marshal(s.Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z")))
	if err != nil {
		t.Fatalf("json.Marshal(Report) error: %v", err)
	}
	var got struct {
		Restarts []struct {
			Type        string
			Open, Close time.Time
			Rule        struct {
				Line    int
				Restart bool
				Rolling bool
			}
		} `json:"restarts"`
		Quiet []struct {
			Type, From, To string
			NextDay        bool `json:"next_day"`
			Hours          float64
		} `json:"quiet"`
		Exposed   []json.RawMessage `json:"exposed"`
		Conflicts []struct {
			Type, Job string
			Times     int
		} `json:"restart_conflicts"`
		Types []struct{ Type string } `json:"types"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("json.Unmarshal error: %v", err)
	}
	if len(got.Restarts) != 1 || got.Restarts[0].Type != "worker" || !got.Restarts[0].Open.Equal(utc("2026-11-23T00:00:00Z")) ||
		!got.Restarts[0].Close.Equal(utc("2026-11-23T00:30:00Z")) || got.Restarts[0].Rule.Line != 2 || !got.Restarts[0].Rule.Restart || !got.Restarts[0].Rule.Rolling {
		t.Errorf("restarts = %+v, want worker's of 01:00-01:30 CET, rolling, line 2", got.Restarts)
	}
	if len(got.Quiet) != 1 || got.Quiet[0].From != "01:30" || got.Quiet[0].To != "01:00" || !got.Quiet[0].NextDay || got.Quiet[0].Hours != 23.5 {
		t.Errorf("quiet = %+v, want 01:30 to 01:00 the next day, 23.5 hours", got.Quiet)
	}
	if got.Exposed == nil || len(got.Exposed) != 0 {
		t.Errorf("exposed = %v, want []", got.Exposed)
	}
	if len(got.Conflicts) != 1 || got.Conflicts[0].Type != "worker" || got.Conflicts[0].Job != "nightly" || got.Conflicts[0].Times != 1 {
		t.Errorf("restart_conflicts = %+v, want nightly's window against worker's restart, once", got.Conflicts)
	}
	if len(got.Types) != 1 || got.Types[0].Type != "nightly" {
		t.Errorf("types = %+v, want nightly's chart alone", got.Types)
	}
	// A restart rule changes no quantity: its JSON gives it none.
	if strings.Contains(string(data), `"quantity":0`) || !strings.Contains(string(data), `"type":"worker","restart":true,"rolling":true`) {
		t.Errorf("a restart rule's JSON gives a quantity, or not its kind:\n%s", data)
	}
}

// A restart window in which the type's own rules hold it at 0 restarts
// nothing, and plan says so: the restart is left alone, and a rule whose
// every window is so buys nothing.
func TestRestartsAtZero(t *testing.T) {
	s := mustParse(t, "worker default 0\nworker daily 08:00-20:00 2\nworker daily 01:00-01:30 restart\nweb default 1\nweb daily 01:00-01:30 restart")
	r := s.Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z"))
	var got []string
	for _, o := range r.Restarts {
		got = append(got, fmt.Sprintf("%s %v %d", o.Type, o.Idle, o.IdleLine))
	}
	if strings.Join(got, ", ") != "web false 0, worker true 1" {
		t.Errorf("restarts' Idle: %v", got)
	}
	if q := r.Quiet[0]; !q.Warning || q.Message != "worker is at 0 in every restart window of line 3 in the period (line 1 holds it there): apply leaves it alone, and the window buys nothing" {
		t.Errorf("worker's quiet period: %+v", q)
	}
	if r.Quiet[1].Warning {
		t.Errorf("web's quiet period: %+v", r.Quiet[1])
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"idle":true,"idle_line":1`) {
		t.Errorf("JSON does not mark worker's restart idle:\n%s", data)
	}
}
