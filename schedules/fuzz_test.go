package schedules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// seeds are the examples of the language; testdata/fuzz/FuzzParse holds
// more, in Go's corpus format.
var seeds = []string{
	example,
	"web Mon-Fri 08:00-20:00 3\nweb Sat,Sun 10:00-18:00 2\nweb default 1",
	"worker daily 22:00-06:00 1:standard-2x # crosses midnight",
	"web 2026-12-24..2026-12-26 1\nweb 2026-12-31 18:00-24:00 4",
	"web Fri-Mon 20:00-02:00 2\nweb default 1",
	"web Mon-Wed,Fri 1\nweb Thu 2",
	"timezone America/New_York\nweb 2026-03-08 02:30-04:00 5\nweb 2026-11-01 01:30-03:00 4\nworker daily 22:00-02:30 2",
	"timezone Europe/Berlin\nweb Sun 01:00-03:30 3\nweb 2026-03-29 02:15-02:45 1",
	"web 2026-12-31 22:00-02:00 4\nweb daily 08:00-20:00 2",
	"app other-app\nweb daily 1\napp 01234567-89ab-cdef-0123-456789abcdef\nweb daily 2",
	"timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1",
	"web Mon-Fri 08:00-20:00 3\nweb daily 18:00-22:00 2",
	"web x 1\nrelease daily 1\nweb Mon 8:00-25:00 101:huge",
	"timezone Europe/Berlin\nnightly daily 02:00-05:00 once\nreport Mon 06:00-08:00 once:performance-l",
	"all daily once\njob Mon 02:00-04:00 once\njob Mon 04:00-06:00 ONCE\njob Mon 05:00-07:00 once\njob 2026-12-24 03:00-05:00 once:eco",
	"timezone America/New_York\ngap 2026-03-08 02:30-04:00 once\ninside daily 02:00-02:30 once\nsplit daily 01:00-02:30 once\nsplit daily 02:15-04:00 once",
	"nightly default once\nnightly daily 02:00-05:00 once\nnightly Mon 1\njob daily once:\nweb Mon once 2",
	"timezone Europe/Berlin\nworker daily 01:00-01:30 restart\nworker default 2\nweb Sat,Sun 02:00-02:30 RESTART:rolling\nweb daily 3",
	"worker daily 01:00-01:30 restart\nworker Mon 01:15-02:00 restart\nworker default restart\njob daily restart:eco\nnightly daily once\nnightly daily 03:00-04:00 restart",
}

// sampleInstants are where a schedule and its canonical text must agree:
// around the DST changes of 2026 in the zones of the seeds, the week's end
// and the year's end.
var sampleInstants = func() []time.Time {
	var ts []time.Time
	for _, s := range []string{
		"2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z",
		"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z",
		"2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z",
		"2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z",
		"2026-12-24T12:00:00Z", "2026-12-31T23:30:00Z", "2027-01-01T01:00:00Z",
	} {
		ts = append(ts, utc(s))
	}
	// Every 97 minutes for ten days: all hours of the day, on each weekday.
	for t := utc("2026-11-20T00:00:00Z"); t.Before(utc("2026-11-30T00:00:00Z")); t = t.Add(97 * time.Minute) {
		ts = append(ts, t)
	}
	return ts
}()

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) { checkParse(t, src, Parse) })
}

func FuzzParseEnv(f *testing.F) {
	for _, s := range seeds {
		f.Add(strings.ReplaceAll(s, "\n", ";"))
	}
	f.Fuzz(func(t *testing.T, src string) { checkParse(t, src, ParseEnv) })
}

// checkParse holds for any input: no panic; every error line is
// LINE:COL: message; anything accepted reads back from its canonical text
// to the same text and the same targets.
func checkParse(t *testing.T, src string, parse func(string) (*Schedule, error)) {
	s, err := parse(src)
	if err != nil {
		if s != nil {
			t.Errorf("parse returned a schedule with the error %v", err)
		}
		if !errors.Is(err, scaler.ErrInvalid) {
			t.Errorf("parse error is not scaler.ErrInvalid: %v", err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !errorLine.MatchString(line) {
				t.Errorf("error line %q is not LINE:COL: message", line)
			}
		}
		return
	}
	text := s.String()
	again, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(String()) error: %v\ninput:\n%s\ncanonical:\n%s", err, src, text)
	}
	if got := again.String(); got != text {
		t.Fatalf("Parse(String()).String() =\n%s\nwant:\n%s", got, text)
	}
	oneLine := strings.ReplaceAll(text, "\n", ";")
	if env, err := ParseEnv(oneLine); err != nil || env.String() != text {
		t.Fatalf("ParseEnv(%q) = %v, %v; want the same schedule", oneLine, env, err)
	}
	for _, at := range sampleInstants {
		targets := s.At(at)
		want, got := renderEdges(targets), renderEdges(again.At(at))
		// The lines differ once directives move; the targets and their
		// edges may not.
		if strip(got) != strip(want) {
			t.Fatalf("At(%v) = %s after the round trip, want %s\ncanonical:\n%s", at, got, want, text)
		}
		for _, tg := range targets {
			if !tg.Since.IsZero() && tg.Since.After(at) || !tg.Until.IsZero() && !tg.Until.After(at) || tg.Once && tg.Quantity != 1 {
				t.Fatalf("At(%v) gives %s=%s from %v until %v\ncanonical:\n%s", at, tg.Type, &tg, tg.Since, tg.Until, text)
			}
		}
	}
	from := sampleInstants[0]
	// plan --json prints the report as is; FuzzPlanText (cmd/scaler) writes
	// its text.
	if _, err := json.Marshal(s.Report(from, from.Add(50*time.Hour))); err != nil {
		t.Fatalf("json.Marshal(Report) error: %v", err)
	}
	for _, o := range s.Restarts(from, from.Add(50*time.Hour)) {
		if !o.Close.After(from) || !o.Open.Before(from.Add(50*time.Hour)) || !o.Open.Before(o.Close) || !o.Rule.Restart {
			t.Fatalf("Restarts gives %+v, out of the period\ncanonical:\n%s", o, text)
		}
	}
	closed := s.Closed(from, from.Add(50*time.Hour))
	for i, o := range closed {
		if !o.Close.After(from) || o.Close.After(from.Add(50*time.Hour)) || !o.Open.IsZero() && !o.Open.Before(o.Close) ||
			i > 0 && o.Close.Before(closed[i-1].Close) || !o.Rule.Once {
			t.Fatalf("Closed gives %+v, out of order or out of the period\ncanonical:\n%s", o, text)
		}
	}
}

// strip removes the @LINE of render's output.
func strip(s string) string {
	var b strings.Builder
	skip := false
	for _, r := range s {
		switch {
		case r == '@':
			skip = true
		case r == ' ':
			skip = false
		}
		if !skip {
			b.WriteRune(r)
		}
	}
	return b.String()
}
