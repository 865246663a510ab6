package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A word that none of its place takes, in a spec, a schedule or a
// Procfile line, is said with the one it was most likely meant as, by
// the measure that suggests commands and flags; a word like none gets no
// suggestion. Nothing is sent.
func TestTyposOfWordsGetTheWordMeant(t *testing.T) {
	const sizes = `(known sizes: Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L, Performance-L-RAM, Performance-XL, Performance-2XL, Private-S, Private-M, Private-L, Private-Memory-L, Private-Memory-XL, Private-Memory-2XL, Shield-S, Shield-M, Shield-L, Shield-Memory-L, Shield-Memory-XL, Shield-Memory-2XL, or dyno-Nc-Ngb)`
	for _, tt := range []struct {
		name     string
		schedule string // SCALER_SCHEDULE
		file     string // schedule.txt
		procfile string
		args     []string
		say      []string // each an err of its own line
	}{
		{name: "a size in a spec", args: []string{"up", "worker=1:standrd-2x"},
			say: []string{`"worker=1:standrd-2x": unknown dyno size "standrd-2x" ` + sizes + `: did you mean Standard-2X?`}},
		{name: "a size like none", args: []string{"scale", "web=1:giant"},
			say: []string{`"web=1:giant": unknown dyno size "giant" ` + sizes}},
		{name: "each spec its own", args: []string{"scale", "web=1:STANDRD-1X", "worker=x", "clock:ECCO"},
			say: []string{
				`"web=1:STANDRD-1X": unknown dyno size "STANDRD-1X" ` + sizes + `: did you mean Standard-1X?`,
				`"worker=x": quantity "x" is not a number of dynos (0 to 100)`,
				`"clock:ECCO": unknown dyno size "ECCO" ` + sizes + `: did you mean Eco?`,
			}},
		{name: "once in a schedule", schedule: "timezone Europe/Berlin; nightly daily 02:00-05:00 onec", args: []string{"plan"},
			say: []string{`SCALER_SCHEDULE:2:28: quantity "onec" is not a number of dynos (0 to 100): did you mean once?`}},
		{name: "every keyword of a rule", schedule: "worker daily 01:00-01:30 restrat; clock daily 01:00-01:30 restart:rollin; report dialy 02:00-03:00 once; web Mon-Fir 08:00-20:00 3; web Weekend 1", args: []string{"plan"},
			say: []string{
				`SCALER_SCHEDULE:1:26: quantity "restrat" is not a number of dynos (0 to 100): did you mean restart?`,
				`SCALER_SCHEDULE:2:34: "restart:rollin": restart takes no size, only "rolling": want restart (every dyno of the type at once) or restart:rolling (one at a time, each up before the next): did you mean rolling?`,
				`SCALER_SCHEDULE:3:9: unknown day "dialy": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26: did you mean daily?`,
				`SCALER_SCHEDULE:4:6: unknown day "Fir": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26: did you mean Mon-Fri?`,
				`SCALER_SCHEDULE:5:6: unknown day "Weekend": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26`,
			}},
		{name: "a size and a quantity in a schedule file", file: "worker daily 22:00-06:00 1:standrd-2x\nworker default many\n", args: []string{"apply", "--schedule", "schedule.txt"},
			say: []string{
				`schedule.txt:1:28: unknown dyno size "standrd-2x" ` + sizes + `: did you mean Standard-2X?`,
				`schedule.txt:2:16: quantity "many" is not a number of dynos (0 to 100)`,
			}},
		{name: "a size in a Procfile line", procfile: "worker: bin/scaler up worker=1:performance-xxl\n", args: []string{"check"},
			say: []string{`Procfile:1: worker: "worker=1:performance-xxl": unknown dyno size "performance-xxl" ` + sizes + `: did you mean Performance-XL?`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, demoConfig())
			if tt.schedule != "" {
				h.env[envSchedule] = tt.schedule
			}
			dir := t.TempDir()
			t.Chdir(dir)
			for name, text := range map[string]string{"schedule.txt": tt.file, "Procfile": tt.procfile} {
				if text != "" {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			r := h.run(tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2:\n%s", r.code, r)
			}
			for _, want := range tt.say {
				if n := strings.Count(r.stderr+r.stdout, strings.ReplaceAll(want, `"`, `\"`)+"\"\n") + strings.Count(r.stdout, want+"\n"); n != 1 {
					t.Errorf("%d lines end with %s:\n%s", n, want, r)
				}
			}
			if n := strings.Count(r.stderr+r.stdout, "did you mean"); n != strings.Count(strings.Join(tt.say, "\n"), "did you mean") {
				t.Errorf("%d suggestions, want %d:\n%s", n, strings.Count(strings.Join(tt.say, "\n"), "did you mean"), r)
			}
			if n := len(h.em.Requests()); n != 0 && tt.args[0] != "check" {
				t.Errorf("%d requests sent for bad input", n)
			}
		})
	}
}
