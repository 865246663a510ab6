package schedules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fleet200 is a schedule of 200 rules (testdata/fleet200.txt, which
// says what they are), which the benchmark of plan's text in cmd/scaler
// reads too.
func fleet200(tb testing.TB) string {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "fleet200.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(src)
}

func BenchmarkReportYear(b *testing.B) {
	s := mustParse(b, fleet200(b))
	if len(s.Rules) != 200 {
		b.Fatalf("fleet200 has %d rules, want 200", len(s.Rules))
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	b.ReportAllocs()
	for b.Loop() {
		s.Report(from, to)
	}
}

func BenchmarkParse(b *testing.B) {
	src := fleet200(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAt(b *testing.B) {
	s := mustParse(b, fleet200(b))
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.At(at)
	}
}

// BenchmarkAtOrdinary is At on a weekday afternoon, when most edges are
// within the day.
func BenchmarkAtOrdinary(b *testing.B) {
	s := mustParse(b, fleet200(b))
	at := time.Date(2026, 11, 24, 14, 10, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.At(at)
	}
}

// BenchmarkAtHorizon is At's worst case: a target that holds for years over
// weekly rules that change, so that its edges are looked for over the whole
// horizon on both sides.
func BenchmarkAtHorizon(b *testing.B) {
	s := mustParse(b, "web 2020-01-01..2030-12-31 1\nweb Mon-Fri 08:00-20:00 3\nweb default 0")
	at := time.Date(2026, 11, 24, 14, 10, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.At(at)
	}
}

// onceFleet is 20 once types over three zones, each with a nightly window
// and a date window, as `scaler apply` reads them every ten minutes.
func onceFleet() string {
	var b strings.Builder
	zones := []string{"UTC", "Europe/Berlin", "America/New_York"}
	for i := range 20 {
		if i%7 == 0 {
			fmt.Fprintf(&b, "timezone %s\n", zones[i/7])
		}
		fmt.Fprintf(&b, "job%02d daily 02:00-05:00 once\n", i)
		fmt.Fprintf(&b, "job%02d 2026-12-24 03:00-06:00 once:performance-l\n", i)
	}
	return b.String()
}

func BenchmarkAtOnce(b *testing.B) {
	s := mustParse(b, onceFleet())
	at := time.Date(2026, 11, 24, 3, 10, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.At(at)
	}
}

// BenchmarkClosed is what apply asks of Closed: the ten minutes since its
// last run.
func BenchmarkClosed(b *testing.B) {
	s := mustParse(b, onceFleet())
	to := time.Date(2026, 11, 24, 4, 5, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.Closed(to.Add(-10*time.Minute), to)
	}
}

// BenchmarkRestarts is what apply asks of Restarts for each app: the
// windows open at its instant or closed in the ten minutes before, for 20
// types with a nightly restart window over three zones, beside the scale
// rules of the fleet.
func BenchmarkRestarts(b *testing.B) {
	var src strings.Builder
	src.WriteString(fleet200(b))
	zones := []string{"UTC", "Europe/Berlin", "America/New_York"}
	for i := range 20 {
		if i%7 == 0 {
			fmt.Fprintf(&src, "timezone %s\n", zones[i/7])
		}
		fmt.Fprintf(&src, "worker%02d daily 01:00-01:30 restart\n", i)
	}
	s := mustParse(b, src.String())
	at := time.Date(2026, 11, 24, 1, 5, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.Restarts(at.Add(-10*time.Minute), at.Add(time.Second))
	}
}
