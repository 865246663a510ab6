package scaler

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Event is one thing a person should know about, that scaler sends as a
// notification (platform/webhook posts it to SCALER_NOTIFY_URL).
type Event struct {
	// Kind names the event, one of the Kind constants ("job_timeout"); it
	// is sent as the body's event field.
	Kind string
	// App is the Heroku app's name.
	App string
	// Type is the process type, or "" when the event concerns no one type.
	Type string
	// ExitCode is the job's exit status, 0 when there is none.
	ExitCode int
	// Detail says what happened, in one line.
	Detail string
	// Action says what a person should do, in one line; when empty, the
	// kind's own advice is sent (see Text).
	Action string
}

// The kinds of event that need a person, sent as the body's event field.
// An Event may carry another kind: it is sent all the same, with a plainer
// sentence.
const (
	// KindScaleDownAfterFailure is a type scaled down after its job failed,
	// or while it keeps failing.
	KindScaleDownAfterFailure = "scale_down_after_failure"
	// KindScaleDownFailing is a scale-down after a completed job that keeps
	// failing: the job's dyno runs on, and scaler run keeps trying.
	KindScaleDownFailing = "scale_down_failing"
	// KindJobTimeout is a job that ran past its --timeout and was stopped.
	KindJobTimeout = "job_timeout"
	// KindJobFailedAtStart is a job that could not start, whose type was
	// scaled down.
	KindJobFailedAtStart = "job_failed_at_start"
	// KindJobNotStarted is scaler run refusing to start its job, in a dyno
	// of the formation: a bad flag in the Procfile, a missing token, an app
	// or a type that does not exist. The platform restarts the dyno, and
	// each start fails alike.
	KindJobNotStarted = "job_not_started"
	// KindWindowMissed is a `once` window that passed without its job.
	KindWindowMissed = "window_missed"
	// KindRestartMissed is a restart window that closed without its
	// restart: the type's dynos keep the cycle they had.
	KindRestartMissed = "restart_missed"
	// KindApplyFailed is `scaler apply` failing for an app.
	KindApplyFailed = "apply_failed"
	// KindMissedEdgeHealed is a schedule edge that was missed (Heroku
	// Scheduler skipped a run) and that a later run made good.
	KindMissedEdgeHealed = "missed_edge_healed"
	// KindChangeKeptLong is a change made by a person, kept against the
	// schedule for more than a day.
	KindChangeKeptLong = "change_kept_long"
	// KindTest is the message of `scaler notify --test`.
	KindTest = "test"
)

// kind is how Text words an event: what happened, with typ the process type
// (or "" when the event has none), and what a person should do when the
// event does not say.
type eventKind struct {
	what   func(typ string) string
	action func(typ string) string
}

// kindOf returns how Text words an event of kind, and whether kind is one
// it knows.
func kindOf(kind string) (eventKind, bool) {
	switch kind {
	case KindScaleDownAfterFailure:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "%s was scaled down after its job failed", "a type was scaled down after its job failed")
			},
			action: func(typ string) string {
				return or(typ, "read the job's log, fix the cause, then scale %s up again", "read the job's log, fix the cause, then scale the type up again")
			},
		}, true
	case KindScaleDownFailing:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "the scale-down of %s after its job keeps failing, and its dyno runs on", "a scale-down after a job keeps failing, and its dyno runs on")
			},
			action: func(typ string) string {
				return or(typ, "see https://status.heroku.com and scaler's log; scale %s to 0 by hand if it does not land", "see https://status.heroku.com and scaler's log; scale the type to 0 by hand if it does not land")
			},
		}, true
	case KindJobTimeout:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "the job of %s ran past its --timeout and was stopped", "a job ran past its --timeout and was stopped")
			},
			action: func(string) string {
				return "read the job's log: it may hang, or need a longer --timeout"
			},
		}, true
	case KindJobFailedAtStart:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "the job of %s failed at start and %[1]s was scaled down", "a job failed at start and its type was scaled down")
			},
			action: func(typ string) string {
				return or(typ, "check the job's command and the latest release, then scale %s up again", "check the job's command and the latest release, then scale the type up again")
			},
		}, true
	case KindJobNotStarted:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "scaler run did not start the job of %s", "scaler run did not start its job")
			},
			action: func(typ string) string {
				return or(typ, "fix what the detail says (scaler run's line in the Procfile, or a config var) and deploy; until then Heroku restarts %s's dyno with growing back-off, and each start fails alike", "fix what the detail says (scaler run's line in the Procfile, or a config var) and deploy; until then Heroku restarts the dyno with growing back-off, and each start fails alike")
			},
		}, true
	case KindWindowMissed:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "the once window of %s passed without its job", "a once window passed without its job")
			},
			action: func(string) string {
				return "run the job by hand if it is still needed, and check that Heroku Scheduler runs scaler"
			},
		}, true
	case KindRestartMissed:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "the restart window of %s closed without a restart", "a restart window closed without a restart")
			},
			action: func(typ string) string {
				return or(typ, "if the night's work is still to come, restart %[1]s by hand at a quiet hour (heroku ps:restart --process-type %[1]s); check that Heroku Scheduler runs scaler apply and that the API answers",
					"if the night's work is still to come, restart the type by hand at a quiet hour; check that Heroku Scheduler runs scaler apply and that the API answers")
			},
		}, true
	case KindApplyFailed:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "scaler apply failed for %s", "scaler apply failed")
			},
			action: func(string) string {
				return "run scaler check for this app and read scaler's log"
			},
		}, true
	case KindMissedEdgeHealed:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "a missed schedule edge of %s was healed late", "a missed schedule edge was healed late")
			},
			action: func(string) string {
				return "nothing now; if it happens often, run scaler more often from Heroku Scheduler"
			},
		}, true
	case KindChangeKeptLong:
		return eventKind{
			what: func(typ string) string {
				return or(typ, "a change to %s made outside the schedule has been kept for more than a day", "a change made outside the schedule has been kept for more than a day")
			},
			action: func(typ string) string {
				return "scale it back, or run scaler apply --enforce, if the change is no longer wanted"
			},
		}, true
	case KindTest:
		return eventKind{
			what:   func(string) string { return "test notification" },
			action: func(string) string { return "nothing: notifications reach you" },
		}, true
	}
	return eventKind{}, false
}

// or formats withType with typ when there is one, and returns without
// otherwise.
func or(typ, withType, without string) string {
	if typ == "" {
		return without
	}
	return fmt.Sprintf(withType, typ)
}

// Text returns the one readable sentence that is sent as the body's text
// field: the app, what happened to which type, the exit code, the detail and
// what to do, as in
//
//	scaler, app demo: worker was scaled down after its job failed (exit 1): job exited 1 after 2m10s. To do: read the job's log, fix the cause, then scale worker up again.
//
// When e.Action is empty, the sentence says what to do for e's kind. Line
// breaks and other control characters in the fields become spaces. Text
// applies no redaction and no escaping: the sender does both on what it
// sends.
func (e Event) Text() string {
	e = e.oneLine()
	var b strings.Builder
	b.WriteString("scaler")
	if e.App != "" {
		b.WriteString(", app ")
		b.WriteString(e.App)
	}
	b.WriteString(": ")
	b.WriteString(what(e))
	if e.ExitCode != 0 {
		b.WriteString(" (exit " + strconv.Itoa(e.ExitCode) + ")")
	}
	if d := strings.TrimRight(e.Detail, ". "); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	b.WriteString(". To do: ")
	b.WriteString(strings.TrimRight(action(e), ". "))
	b.WriteString(".")
	return b.String()
}

// what says what happened, for any kind.
func what(e Event) string {
	if k, ok := kindOf(e.Kind); ok {
		return k.what(e.Type)
	}
	w := strings.ReplaceAll(e.Kind, "_", " ")
	if w == "" {
		w = "event"
	}
	if e.Type != "" {
		w += " on " + e.Type
	}
	return w
}

// action is e.Action, or the kind's when it has none.
func action(e Event) string {
	if e.Action != "" {
		return e.Action
	}
	if k, ok := kindOf(e.Kind); ok {
		return k.action(e.Type)
	}
	return "read scaler's log"
}

// Tidy returns e as it is sent: every string field on one line (control
// characters, newlines and tabs become spaces, runs of spaces one space),
// each cut to MaxEventField runes, so that a whole error page in a Detail
// cannot bury the sentence; and the kind's own advice as Action when e has
// none.
func (e Event) Tidy() Event {
	e = e.oneLine()
	e.Action = action(e)
	return e
}

func (e Event) oneLine() Event {
	for _, s := range []*string{&e.Kind, &e.App, &e.Type, &e.Detail, &e.Action} {
		*s = oneLine(*s)
	}
	return e
}

// MaxEventField bounds one field of an Event as it is sent, in runes: Slack
// cuts a message's text at 40000 characters and advises under 4000.
const MaxEventField = 1000

func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if r := []rune(s); len(r) > MaxEventField {
		s = string(r[:MaxEventField-1]) + "…"
	}
	return s
}
