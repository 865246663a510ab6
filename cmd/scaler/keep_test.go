package main

// A person's change holds until the schedule's next edge: apply converges a
// type only when its formation has not changed since the rule in force came
// into force; --enforce always converges.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

const officeWeb = "timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1"

// berlin reads a wall time in Berlin, as 2026-11-23T08:25.
func berlin(wall string) time.Time {
	loc, _ := time.LoadLocation("Europe/Berlin")
	t, err := time.ParseInLocation("2006-01-02T15:04", wall, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// keepHarness is an app with web=1, last changed on Sunday, on a clock
// the tests move, with officeWeb as the schedule.
func keepHarness(t *testing.T) (*harness, *manual) {
	clock := &manual{now: berlin("2026-11-23T07:00")} // a Monday; deployed on Sunday
	h := newHarness(t, emulator.Config{Now: clock.Now,
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}})
	h.env[envSchedule] = officeWeb
	return h, clock
}

func TestAPersonsChangeHoldsUntilTheNextEdge(t *testing.T) {
	t.Parallel()
	h, clock := keepHarness(t)
	// 08:05: the edge of 08:00, applied on time.
	r := h.applyAt(clock, berlin("2026-11-23T08:05"))
	if r.code != 0 || h.em.Quantity("demo", "web") != 3 || strings.Contains(r.stderr, "missed edge healed") {
		t.Fatalf("apply at 08:05:\n%s", r)
	}
	// 14:00: an incident; a person scales web to 6.
	clock.set(berlin("2026-11-23T14:00"))
	h.em.SetQuantity("demo", "web", 6)
	r = h.applyAt(clock, berlin("2026-11-23T14:10"))
	if r.code != 0 || h.em.Quantity("demo", "web") != 6 || len(h.em.Writes()) != 1 {
		t.Errorf("apply after a person's change forced it back:\n%s", r)
	}
	if !strings.Contains(r.stderr, `level=info msg="change kept" app=demo type=web is=6:Standard-1X schedule=3`) || !strings.Contains(r.stderr, "until=2026-11-23T19:00:00Z") ||
		!strings.Contains(r.stdout, "demo: web kept at 6") {
		t.Errorf("the kept change is not said, with the next edge:\n%s", r)
	}
	// The dry run's JSON shows the edge in force, and the change kept.
	r = h.applyAt(clock, berlin("2026-11-23T14:20"), "--dry-run", "--json")
	var out applyDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Apps) != 1 || len(out.Apps[0].Edges) != 1 {
		t.Fatalf("apply --dry-run --json: %v\n%s", err, r.stdout)
	}
	if e := out.Apps[0].Edges[0]; !e.Kept || e.Target != "3" || !e.Since.Equal(berlin("2026-11-23T08:00")) || !e.Until.Equal(berlin("2026-11-23T20:00")) {
		t.Errorf("edge = %+v", e)
	}
	// 20:05: the next edge; the schedule takes over again.
	r = h.applyAt(clock, berlin("2026-11-23T20:05"))
	if r.code != 0 || h.em.Quantity("demo", "web") != 1 {
		t.Errorf("apply at the next edge:\n%s", r)
	}
}

func TestEnforceConvergesAlways(t *testing.T) {
	t.Parallel()
	h, clock := keepHarness(t)
	h.applyAt(clock, berlin("2026-11-23T08:05"))
	clock.set(berlin("2026-11-23T14:00"))
	h.em.SetQuantity("demo", "web", 6)
	if r := h.applyAt(clock, berlin("2026-11-23T14:10"), "--enforce"); r.code != 0 || h.em.Quantity("demo", "web") != 3 || strings.Contains(r.stderr, "change kept") {
		t.Errorf("apply --enforce:\n%s", r)
	}
}

// Scheduler skipped the runs at the edge: the next run heals it, and says
// it came late.
func TestMissedEdgeIsHealed(t *testing.T) {
	t.Parallel()
	h, clock := keepHarness(t)
	r := h.applyAt(clock, berlin("2026-11-23T08:25"))
	if r.code != 0 || h.em.Quantity("demo", "web") != 3 ||
		!strings.Contains(r.stderr, `level=warn msg="missed edge healed" app=demo type=web edge=2026-11-23T07:00:00Z late=25m0s`) {
		t.Errorf("apply 25 minutes after the edge:\n%s", r)
	}
}

// A type that no edge ever changes (a lone default) has no edge a change
// could follow: apply converges to it, as before.
func TestEdgelessRuleConverges(t *testing.T) {
	t.Parallel()
	h, clock := keepHarness(t)
	h.env[envSchedule] = "web default 2"
	clock.set(berlin("2026-11-23T14:00"))
	h.em.SetQuantity("demo", "web", 6)
	if r := h.applyAt(clock, berlin("2026-11-23T14:10")); r.code != 0 || h.em.Quantity("demo", "web") != 2 {
		t.Errorf("apply of a lone default:\n%s", r)
	}
}

// A person's change made before an edge holds only until that edge: at
// 07:30 someone scales web to 5; the 08:00 edge (web 3) converges it, since
// the change is older than the rule in force.
func TestAChangeBeforeAnEdgeYieldsToIt(t *testing.T) {
	t.Parallel()
	h, clock := keepHarness(t)
	clock.set(berlin("2026-11-23T07:30"))
	h.em.SetQuantity("demo", "web", 5)
	if r := h.applyAt(clock, berlin("2026-11-23T07:40")); r.code != 0 || h.em.Quantity("demo", "web") != 5 || !strings.Contains(r.stderr, `msg="change kept"`) {
		t.Fatalf("apply before the edge forced the person's change back:\n%s", r)
	}
	if r := h.applyAt(clock, berlin("2026-11-23T08:05")); r.code != 0 || h.em.Quantity("demo", "web") != 3 || strings.Contains(r.stderr, "change kept") {
		t.Errorf("apply at the edge after the person's change:\n%s", r)
	}
}

// A one-day date rule that ended a year ago has no edge ahead: a person's
// change would be kept for ever. Only an edge that will come counts: with
// none, apply converges, as it does for a lone default, and says so once,
// for a person: no edge was missed, and nothing is notified.
func TestAnEndedDateRuleKeepsNothing(t *testing.T) {
	t.Parallel()
	h, clock := keepHarness(t)
	rcv := newReceiver(t)
	h.env[envNotify] = rcv.URL + "/hook"
	h.env[envSchedule] = "timezone Europe/Berlin; web 2025-12-24 3; web default 1"
	clock.set(berlin("2026-11-23T14:00"))
	h.em.SetQuantity("demo", "web", 6)
	r := h.applyAt(clock, berlin("2026-11-23T14:10"))
	if r.code != 0 || h.em.Quantity("demo", "web") != 1 || strings.Contains(r.stderr, "change kept") || strings.Contains(r.stderr, "level=warn") ||
		!strings.Contains(r.stderr, `level=info msg="change not kept" app=demo type=web was=6:Standard-1X changed=2026-11-23T13:00:00Z schedule=1 hint="web was changed after line 3 (web default 1) came into force at 2025-12-24T23:00:00Z; a change is kept until the schedule's next edge, and web has none ahead, so apply set it back to 1.`) {
		t.Errorf("apply after a date rule a year gone:\n%s", r)
	}
	if r := h.applyAt(clock, berlin("2026-11-23T14:20")); r.code != 0 || strings.Contains(r.stderr, "change not kept") {
		t.Errorf("the next apply says it again:\n%s", r)
	}
	if rcv.all() != "" {
		t.Errorf("notified:\n%s", rcv.all())
	}
	// The next year's rule ahead: the change is kept until it.
	h.env[envSchedule] = "timezone Europe/Berlin; web 2025-12-24 3; web 2026-12-24 3; web default 1"
	h.em.SetQuantity("demo", "web", 6)
	if r := h.applyAt(clock, berlin("2026-11-23T14:20")); r.code != 0 || h.em.Quantity("demo", "web") != 6 || !strings.Contains(r.stderr, "until=2026-12-23T23:00:00Z") {
		t.Errorf("apply before a date rule to come:\n%s", r)
	}
}
