package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/scaler"
)

func TestStatus(t *testing.T) {
	at := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	clock := at
	cfg := emulator.Config{
		Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{
			{Type: "worker", Quantity: 2, Size: "standard-2x"}, {Type: "web", Quantity: 1}, {Type: "clock"},
		}}},
		BootDelay: time.Minute,
		Now:       func() time.Time { return clock },
	}
	h := newHarness(t, cfg)
	h.now = at.Add(2*time.Hour + 3*time.Minute)
	clock = h.now

	r := h.run("ps")
	if r.code != 0 {
		t.Fatalf("ps:\n%s", r)
	}
	golden(t, "status.golden", r.stdout)

	r = h.run("status", "--json")
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r)
	}
	if len(st.Formation) != 3 || st.Formation[2].Size != "Standard-2X" || len(st.Dynos) != 3 || st.Dynos[0].AgeSeconds != 7380 {
		t.Errorf("status --json = %+v", st)
	}
}

func TestAgeReadsShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 45 * time.Second: "45s", 12 * time.Minute: "12m",
		2*time.Hour + 3*time.Minute: "2h3m", 76 * time.Hour: "3d4h",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestHelpVersionAndNoCommand(t *testing.T) {
	h := newHarness(t, demoConfig())
	if r := h.run("--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "scaler version ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("--version:\n%s", r)
	}
	if r := h.run(); r.code != 0 || !strings.Contains(r.stdout, "COMMANDS:") {
		t.Errorf("no command:\n%s", r)
	}
	for _, cmd := range []string{"up", "scale", "down", "status", "run", "done", "emulator", "demo"} {
		r := h.run(cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "$ scaler "+cmd) && !strings.Contains(r.stdout, "$ scaler ") {
			t.Errorf("%s --help has no example:\n%s", cmd, r)
		}
	}
	// -h after a spec is help too, not a spec.
	if r := h.run("up", "worker=1", "-h"); r.code != 0 || !strings.Contains(r.stdout, "USAGE") || len(h.em.Requests()) != 0 {
		t.Errorf("up worker=1 -h:\n%s", r)
	}
}

// A name is one row: the dyno that holds it now, and how many older ones of
// that name are still stopping.
func TestStatusOneRowPerName(t *testing.T) {
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	dynos := []scaler.Dyno{
		{Name: "nightly.1", Type: "nightly", State: "down", UpdatedAt: at},
		{Name: "nightly.1", Type: "nightly", State: "down", UpdatedAt: at.Add(time.Second)},
		{Name: "nightly.1", Type: "nightly", State: "starting", UpdatedAt: at.Add(2 * time.Second)},
		{Name: "web.1", Type: "web", State: "up", UpdatedAt: at},
	}
	form := scaler.Formation{{Type: "nightly", Quantity: 1, Size: "Standard-1X"}, {Type: "web", Quantity: 1, Size: "Standard-1X"}}
	got := formatStatus("demo", form, dynos, at.Add(time.Minute))
	want := "app demo\n=== nightly (Standard-1X): 1\nnightly.1: starting for 58s (and 2 older dynos of that name stopping)\n=== web (Standard-1X): 1\nweb.1: up for 1m\n"
	if got != want {
		t.Errorf("formatStatus =\n%s\nwant\n%s", got, want)
	}
}
