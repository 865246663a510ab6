package scaler

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		e    Event
		want string
	}{{
		name: KindScaleDownAfterFailure,
		e:    Event{Kind: KindScaleDownAfterFailure, App: "demo", Type: "worker", ExitCode: 1, Detail: "the job exited 1 after 2m10s; worker is now 0"},
		want: "scaler, app demo: worker was scaled down after its job failed (exit 1): the job exited 1 after 2m10s; worker is now 0. To do: read the job's log, fix the cause, then scale worker up again.",
	}, {
		name: KindJobTimeout,
		e:    Event{Kind: KindJobTimeout, App: "demo", Type: "worker", ExitCode: 143, Detail: "stopped after --timeout 2h."},
		want: "scaler, app demo: the job of worker ran past its --timeout and was stopped (exit 143): stopped after --timeout 2h. To do: read the job's log: it may hang, or need a longer --timeout.",
	}, {
		name: KindJobFailedAtStart,
		e:    Event{Kind: KindJobFailedAtStart, App: "demo", Type: "worker", ExitCode: 127, Detail: `exec: "bin/job": not found`},
		want: `scaler, app demo: the job of worker failed at start and worker was scaled down (exit 127): exec: "bin/job": not found. To do: check the job's command and the latest release, then scale worker up again.`,
	}, {
		name: KindJobNotStarted,
		e:    Event{Kind: KindJobNotStarted, App: "demo", Type: "report", ExitCode: 2, Detail: "--grace 30s: want more than 0 and less than 30s"},
		want: "scaler, app demo: scaler run did not start the job of report (exit 2): --grace 30s: want more than 0 and less than 30s. To do: fix what the detail says (scaler run's line in the Procfile, or a config var) and deploy; until then Heroku restarts report's dyno with growing back-off, and each start fails alike.",
	}, {
		name: KindWindowMissed,
		e:    Event{Kind: KindWindowMissed, App: "demo", Type: "report", Detail: "window Mon 02:00-03:00 Europe/Berlin passed without a run"},
		want: "scaler, app demo: the once window of report passed without its job: window Mon 02:00-03:00 Europe/Berlin passed without a run. To do: run the job by hand if it is still needed, and check that Heroku Scheduler runs scaler.",
	}, {
		name: KindApplyFailed,
		e:    Event{Kind: KindApplyFailed, App: "demo", ExitCode: 3, Detail: "scale demo: unauthorized"},
		want: "scaler, app demo: scaler apply failed (exit 3): scale demo: unauthorized. To do: run scaler check for this app and read scaler's log.",
	}, {
		name: KindApplyFailed + " for a type",
		e:    Event{Kind: KindApplyFailed, App: "demo", Type: "web"},
		want: "scaler, app demo: scaler apply failed for web. To do: run scaler check for this app and read scaler's log.",
	}, {
		name: KindMissedEdgeHealed,
		e:    Event{Kind: KindMissedEdgeHealed, App: "demo", Type: "web", Detail: "edge 22:00 applied at 22:20, 20m late"},
		want: "scaler, app demo: a missed schedule edge of web was healed late: edge 22:00 applied at 22:20, 20m late. To do: nothing now; if it happens often, run scaler more often from Heroku Scheduler.",
	}, {
		name: KindChangeKeptLong,
		e:    Event{Kind: KindChangeKeptLong, App: "demo", Type: "web", Detail: "web=6 since Mon 14:02, the schedule says 3"},
		want: "scaler, app demo: a change to web made outside the schedule has been kept for more than a day: web=6 since Mon 14:02, the schedule says 3. To do: scale it back, or run scaler apply --enforce, if the change is no longer wanted.",
	}, {
		name: KindTest,
		e:    Event{Kind: KindTest, App: "demo", Detail: "sent by scaler notify --test"},
		want: "scaler, app demo: test notification: sent by scaler notify --test. To do: nothing: notifications reach you.",
	}, {
		name: "without a type",
		e:    Event{Kind: KindScaleDownAfterFailure, App: "demo"},
		want: "scaler, app demo: a type was scaled down after its job failed. To do: read the job's log, fix the cause, then scale the type up again.",
	}, {
		name: "an action given",
		e:    Event{Kind: KindJobTimeout, App: "demo", Type: "worker", Action: "raise --timeout to 3h."},
		want: "scaler, app demo: the job of worker ran past its --timeout and was stopped. To do: raise --timeout to 3h.",
	}, {
		name: "another kind",
		e:    Event{Kind: "budget_low", App: "demo", Type: "web", Detail: "120 requests left"},
		want: "scaler, app demo: budget low on web: 120 requests left. To do: read scaler's log.",
	}, {
		name: "no app",
		e:    Event{Kind: KindTest},
		want: "scaler: test notification. To do: nothing: notifications reach you.",
	}, {
		name: "lines joined",
		e:    Event{Kind: KindApplyFailed, App: "demo\n", Detail: "first\r\nsecond\tthird\x1b[0m", Action: " a\n b "},
		want: "scaler, app demo: scaler apply failed: first second third [0m. To do: a b.",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Text(); got != tt.want {
				t.Errorf("Text(%+v) =\n%s\nwant\n%s", tt.e, got, tt.want)
			}
		})
	}
}

func TestTextLongDetail(t *testing.T) {
	e := Event{Kind: KindApplyFailed, App: "demo", Detail: strings.Repeat("é", 5*MaxEventField)}
	got := e.Text()
	if n := strings.Count(got, "é"); n != MaxEventField-1 || !strings.Contains(got, "é…. To do:") {
		t.Errorf("Text of a %d-rune Detail kept %d runes of it: %q…", 5*MaxEventField, n, got[:80])
	}
}
