package schedules

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

func TestFleet(t *testing.T) {
	s, err := ParseEnv("timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1; nightly daily 02:00-05:00 once; app other; web default 2; report Mon 06:00-08:00 once:performance-l")
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Fleet("demo")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.Apps()); got != "[demo other]" {
		t.Errorf("Apps() = %s", got)
	}
	var types []string
	for _, o := range f.Types("demo") {
		types = append(types, fmt.Sprintf("%s %s %s", o.Type, o.Kind, o.Zone))
	}
	if got := strings.Join(types, ", "); got != "nightly once Europe/Berlin, web level Europe/Berlin" {
		t.Errorf("Types(demo) = %s", got)
	}

	monday := time.Date(2026, 11, 23, 2, 30, 0, 0, time.UTC) // 03:30 in Berlin
	var wants []string
	for _, w := range f.Wants("demo", monday) {
		wants = append(wants, fmt.Sprintf("%s %s since %s until %s line %d", w.Type, w.Target(), w.Since.Format(time.RFC3339), w.Until.Format(time.RFC3339), w.Rule.Line))
	}
	if got, want := strings.Join(wants, "; "), "nightly once since 2026-11-23T01:00:00Z until 2026-11-23T04:00:00Z line 4; web 1 since 2026-11-20T19:00:00Z until 2026-11-23T07:00:00Z line 3"; got != want {
		t.Errorf("Wants(demo, %v) = %s, want %s", monday, got, want)
	}
	if got := f.Wants("other", monday); len(got) != 1 || got[0].Type != "web" || got[0].N != 2 || !got[0].Since.IsZero() {
		t.Errorf("Wants(other) = %+v, want web 2, a lone default", got)
	}

	for _, tt := range []struct {
		app      string
		from, to time.Time
		want     string
	}{
		// In force at from, then the next night's.
		{"demo", monday, monday.Add(24 * time.Hour), "nightly 01:00-04:00 Mon line 4, nightly 01:00-04:00 Tue line 4"},
		// Closed within: open at some instant of [from, to).
		{"demo", monday.Add(time.Hour), monday.Add(2 * time.Hour), "nightly 01:00-04:00 Mon line 4"},
		{"demo", monday.Add(2 * time.Hour), monday.Add(3 * time.Hour), ""},
		{"other", monday, monday.Add(24 * time.Hour), "report 05:00-07:00 Mon line 7"},
		{"demo", monday, monday, ""},
	} {
		var got []string
		for _, w := range f.Windows(tt.app, tt.from, tt.to) {
			got = append(got, fmt.Sprintf("%s %s-%s %s line %d", w.Type, w.Open.Format("15:04"), w.Close.Format("15:04"), w.Open.Weekday().String()[:3], w.Rule.Line))
		}
		if strings.Join(got, ", ") != tt.want {
			t.Errorf("Windows(%s, %v, %v) = %s, want %s", tt.app, tt.from, tt.to, strings.Join(got, ", "), tt.want)
		}
	}
}

func TestFleetDefaultApp(t *testing.T) {
	for _, tt := range []struct {
		text, app string
		err       string
	}{
		{"worker daily 22:00-06:00 1; app demo; worker default 0", "demo", "both the default app and named by an `app` line, with rules for worker"},
		{"worker daily 22:00-06:00 1; app demo; web default 1", "demo", ""},
		{"worker default 1", "", "no app is given"},
		{"app other; worker default 1", "", ""},
	} {
		s, err := ParseEnv(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Fleet(tt.app)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Fleet(%q) of %q: %v", tt.app, tt.text, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, scaler.ErrInvalid)):
			t.Errorf("Fleet(%q) of %q = %v, want an invalid saying %q", tt.app, tt.text, err, tt.err)
		}
	}
}
