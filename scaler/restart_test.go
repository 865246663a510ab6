package scaler

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The restart decision: the dynos' starts against the occurrence's
// opening, on the platform's clock; a type at 0 left alone; a window that
// closed in the interval without its restart said missed, once.
func TestRestartStates(t *testing.T) {
	open := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // 01:00 CET
	at := open.Add(5 * time.Minute)
	window := Window{App: "demo", Type: "worker", Open: open, Close: open.Add(30 * time.Minute), Rule: RuleRef{Line: 2, Text: "worker daily 01:00-01:30 restart"}}
	yesterday := open.Add(-10 * time.Hour)
	dyno := func(name, state string, created, updated time.Time) Dyno {
		typ, _, _ := strings.Cut(name, ".")
		return Dyno{ID: "id-" + name + created.Format("1504"), Name: name, Type: typ, State: state, CreatedAt: created, UpdatedAt: updated}
	}
	worker2 := Formation{{Type: "worker", Quantity: 2}, {Type: "web", Quantity: 1}}
	tests := []struct {
		name    string
		form    Formation
		dynos   []Dyno
		windows []Window
		at      time.Time
		want    string // type phase dynos since, for each state
	}{
		{"old dynos are due", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday), dyno("worker.2", "up", yesterday, yesterday), dyno("web.1", "up", yesterday, yesterday)},
			[]Window{window}, at, "worker due 2"},
		{"restarted in this occurrence", worker2,
			[]Dyno{dyno("worker.1", "up", open.Add(2*time.Minute), open.Add(3*time.Minute)), dyno("worker.2", "starting", open.Add(time.Minute), open.Add(time.Minute))},
			[]Window{window}, at, "worker done 0 00:01"},
		{"one restarted, one not", worker2,
			[]Dyno{dyno("worker.1", "up", open.Add(time.Minute), open.Add(time.Minute)), dyno("worker.2", "up", yesterday, yesterday)},
			[]Window{window}, at, "worker due 1"},
		// The platform may keep created_at across a restart (unconfirmed):
		// the new state's updated_at counts as the start.
		{"created_at kept, updated_at renewed", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, open.Add(time.Minute)), dyno("worker.2", "up", yesterday, open.Add(2*time.Minute))},
			[]Window{window}, at, "worker done 0 00:01"},
		{"the old dynos listed down beside their replacements", worker2,
			[]Dyno{dyno("worker.1", "down", yesterday, open.Add(time.Minute)), dyno("worker.1", "up", open.Add(time.Minute), open.Add(time.Minute)),
				dyno("worker.2", "down", yesterday, yesterday), dyno("worker.2", "starting", open.Add(time.Minute), open.Add(time.Minute))},
			[]Window{window}, at, "worker done 0 00:01"},
		{"a crashed dyno is due", worker2,
			[]Dyno{dyno("worker.1", "crashed", yesterday, yesterday), dyno("worker.2", "up", open, open)},
			[]Window{window}, at, "worker due 1"},
		{"started at the opening's second", worker2,
			[]Dyno{dyno("worker.1", "up", open, open), dyno("worker.2", "up", open.Add(-time.Second), open.Add(-time.Second))},
			[]Window{window}, at, "worker due 1"},
		{"at 0: left alone", Formation{{Type: "worker", Quantity: 0}},
			[]Dyno{dyno("worker.1", "down", yesterday, open.Add(time.Minute))},
			[]Window{window}, at, "worker idle 0"},
		{"not in the formation: the app fails, as for a scale rule", Formation{{Type: "web", Quantity: 1}},
			nil, []Window{window}, at, "worker failed 0"},
		{"scaled up, no dyno listed yet", worker2,
			nil, []Window{window}, at, "worker done 0"},
		{"before the window", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday)},
			[]Window{window}, open.Add(-time.Second), ""},
		// The close (00:30) is in the interval 00:30-00:40: the run of
		// 00:40-00:50 tells of it.
		{"closed in the interval before: missed", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday), dyno("worker.2", "up", open.Add(time.Minute), open.Add(time.Minute))},
			[]Window{window}, window.Close.Add(14 * time.Minute), "worker missed 1"},
		{"at the close: the run of the next interval tells", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday)},
			[]Window{window}, window.Close, ""},
		{"closed in this run's own interval: the next tells", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday)},
			[]Window{window}, window.Close.Add(9 * time.Minute), ""},
		{"closed in the interval before, restarted", worker2,
			[]Dyno{dyno("worker.1", "up", open.Add(time.Minute), open.Add(time.Minute))},
			[]Window{window}, window.Close.Add(10 * time.Minute), ""},
		{"closed in the interval before, at 0", Formation{{Type: "worker", Quantity: 0}},
			[]Dyno{}, []Window{window}, window.Close.Add(10 * time.Minute), ""},
		{"closed two intervals before: told by the run before", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday)},
			[]Window{window}, window.Close.Add(20 * time.Minute), ""},
		// Windows that touch: the next is open, and judged for itself.
		{"closed as the next opened", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday)},
			[]Window{window, {App: "demo", Type: "worker", Open: window.Close, Close: window.Close.Add(time.Hour), Rule: RuleRef{Line: 3}}},
			window.Close.Add(time.Minute), "worker due 1"},
		{"two types", worker2,
			[]Dyno{dyno("worker.1", "up", yesterday, yesterday), dyno("web.1", "up", open.Add(time.Minute), open.Add(time.Minute))},
			[]Window{{App: "demo", Type: "web", Open: open, Close: open.Add(time.Hour), Rolling: true}, window}, at,
			"web done 0 00:01, worker due 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range RestartStates(tt.form, tt.dynos, tt.windows, tt.at, 10*time.Minute) {
				g := fmt.Sprintf("%s %s %d", s.Type, s.Phase, s.Dynos)
				if !s.Since.IsZero() {
					g += " " + s.Since.Format("15:04")
				}
				got = append(got, g)
			}
			if strings.Join(got, ", ") != tt.want {
				t.Errorf("RestartStates(at %s) = %q, want %q", tt.at.Format("15:04:05"), strings.Join(got, ", "), tt.want)
			}
		})
	}
}

func TestDueForRestartByName(t *testing.T) {
	var dynos []Dyno
	for _, n := range []int{10, 2, 1} {
		dynos = append(dynos, Dyno{Name: fmt.Sprintf("worker.%d", n), Type: "worker", State: StateUp})
	}
	due, _ := DueForRestart("worker", dynos, time.Unix(1, 0))
	var names []string
	for _, d := range due {
		names = append(names, d.Name)
	}
	if got := strings.Join(names, " "); got != "worker.1 worker.2 worker.10" {
		t.Errorf("DueForRestart = %s, want worker.1 worker.2 worker.10", got)
	}
}

func TestRestartStateString(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	open := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	w := Window{Type: "worker", Open: open, Close: open.Add(30 * time.Minute)}
	r := func(s RestartState) RestartState { s.Type = "worker"; return s }
	rolling := w
	rolling.Rolling = true
	at := open.Add(10 * time.Minute)
	tests := []struct {
		s    RestartState
		want string
	}{
		{r(RestartState{Phase: RestartDone, Since: open.Add(4 * time.Minute), Window: w, At: at, Zone: berlin}), "worker restarted in this window at 01:04 CET"},
		{r(RestartState{Phase: RestartRestarted, Dynos: 2, Window: w}), "restarted worker (2 dynos)"},
		{r(RestartState{Phase: RestartRestarted, Dynos: 1, Window: rolling}), "restarted worker one at a time (1 dyno)"},
		{r(RestartState{Phase: RestartWouldRestart, Dynos: 3, Window: w}), "would restart worker (3 dynos)"},
		{r(RestartState{Phase: RestartFailed, Dynos: 1, Window: rolling}), "worker restart failed after restarting 1 dyno: the next apply in the window tries again"},
		{r(RestartState{Phase: RestartIdle, Window: w}), "worker at 0: left alone in its restart window"},
		{r(RestartState{Phase: RestartMissed, Window: w, At: at, Zone: berlin}), "worker not restarted in its window, Mon 2026-11-23 01:00 CET to 01:30 CET"},
	}
	next := w
	next.Open, next.Close = open.AddDate(0, 0, 1), open.AddDate(0, 0, 1).Add(30*time.Minute)
	tests = append(tests, struct {
		s    RestartState
		want string
	}{r(RestartState{Phase: RestartWaiting, Window: next, At: at.Add(time.Hour), Zone: berlin}), "worker next restart window 01:00-01:30 CET tomorrow"})
	// A window days ahead says its day once; one that crosses midnight
	// says each end's day, today's opening as today's.
	later, late := w, w
	later.Open, later.Close = open.AddDate(0, 0, 3), open.AddDate(0, 0, 3).Add(30*time.Minute)
	late.Open = time.Date(2026, 11, 23, 22, 50, 0, 0, time.UTC) // 23:50 CET
	late.Close = late.Open.Add(30 * time.Minute)
	tests = append(tests, []struct {
		s    RestartState
		want string
	}{
		{r(RestartState{Phase: RestartWaiting, Window: later, At: at, Zone: berlin}), "worker next restart window Thu 2026-11-26 01:00-01:30 CET"},
		{r(RestartState{Phase: RestartWaiting, Window: late, At: at, Zone: berlin}), "worker next restart window 23:50 CET to 00:20 CET tomorrow"},
	}...)
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%s.String() = %q, want %q", tt.s.Phase, got, tt.want)
		}
	}
}
