package schedules

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/scaler"
)

// example is the schedule of the language's documentation.
const example = `timezone Europe/Berlin                 # IANA name; applies to the rules after it; default UTC
web     Mon-Fri 08:00-20:00  3
web     Sat,Sun 10:00-18:00  2
web     default              1
worker  daily   22:00-06:00  1:standard-2x   # crosses midnight: belongs to the day it starts
web     2026-12-24..2026-12-26  1            # dates (inclusive) override weekdays: holidays
web     2026-12-31 18:00-24:00  4
app other-app                          # optional: the rules after it target another app (fleet)
web     daily 09:00-17:00 2
`

func TestParseRules(t *testing.T) {
	s, err := Parse(example)
	if err != nil {
		t.Fatalf("Parse(example) error: %v", err)
	}
	type rule struct {
		line, col      int
		app, typ, zone string
		qty            int
		size, text     string
		tier           Tier
		start, end     int
	}
	want := []rule{
		{2, 1, "", "web", "Europe/Berlin", 3, "", "web Mon-Fri 08:00-20:00 3", TierWeekly, 480, 1200},
		{3, 1, "", "web", "Europe/Berlin", 2, "", "web Sat,Sun 10:00-18:00 2", TierWeekly, 600, 1080},
		{4, 1, "", "web", "Europe/Berlin", 1, "", "web default 1", TierDefault, 0, 1440},
		{5, 1, "", "worker", "Europe/Berlin", 1, "Standard-2X", "worker daily 22:00-06:00 1:standard-2x", TierWeekly, 1320, 1800},
		{6, 1, "", "web", "Europe/Berlin", 1, "", "web 2026-12-24..2026-12-26 1", TierDate, 0, 1440},
		{7, 1, "", "web", "Europe/Berlin", 4, "", "web 2026-12-31 18:00-24:00 4", TierDate, 1080, 1440},
		{9, 1, "other-app", "web", "Europe/Berlin", 2, "", "web daily 09:00-17:00 2", TierWeekly, 540, 1020},
	}
	if len(s.Rules) != len(want) {
		t.Fatalf("Parse(example) has %d rules, want %d", len(s.Rules), len(want))
	}
	for i, r := range s.Rules {
		got := rule{r.Line, r.Col, r.App, r.Type, r.Zone.String(), r.Quantity, r.Size, r.Text, r.Tier, r.start, r.end}
		if got != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, got, want[i])
		}
	}
	if got := s.Apps(); strings.Join(got, ",") != ",other-app" {
		t.Errorf("Apps() = %q, want [\"\" \"other-app\"]", got)
	}
	if got := s.Types(""); strings.Join(got, ",") != "web,worker" {
		t.Errorf(`Types("") = %q, want [web worker]`, got)
	}
	if got := s.Types("other-app"); strings.Join(got, ",") != "web" {
		t.Errorf(`Types("other-app") = %q, want [web]`, got)
	}
	if got := s.Types("nope"); got != nil {
		t.Errorf(`Types("nope") = %q, want none`, got)
	}
}

func TestParseOnce(t *testing.T) {
	tests := []struct {
		src        string
		size       string
		tier       Tier
		start, end int
		canonical  string
	}{
		{"nightly daily 02:00-05:00 once", "", TierWeekly, 120, 300, "nightly daily 02:00-05:00 once\n"},
		{"report Mon 06:00-08:00 once:performance-l", "Performance-L", TierWeekly, 360, 480, "report Mon 06:00-08:00 once:Performance-L\n"},
		{"job Sat,Sun Once", "", TierWeekly, 0, 1440, "job Sat,Sun once\n"},
		{"job daily 22:00-02:00 ONCE:eco", "Eco", TierWeekly, 1320, 1560, "job daily 22:00-02:00 once:Eco\n"},
		{"job 2026-12-24..2026-12-26 00:00-24:00 once", "", TierDate, 0, 1440, "job 2026-12-24..2026-12-26 once\n"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			s := mustParse(t, tt.src)
			r := s.Rules[0]
			if !r.Once || r.Quantity != 1 || r.Size != tt.size || r.Tier != tt.tier || r.start != tt.start || r.end != tt.end {
				t.Errorf("Parse(%q) = once %v, quantity %d, size %q, tier %v, %s-%s; want once, 1, %q, %v, %s-%s", tt.src,
					r.Once, r.Quantity, r.Size, r.Tier, Clock(r.start), Clock(r.end), tt.size, tt.tier, Clock(tt.start), Clock(tt.end))
			}
			if got := s.String(); got != tt.canonical {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.src, got, tt.canonical)
			}
		})
	}
}

func TestParseRestart(t *testing.T) {
	tests := []struct {
		src        string
		rolling    bool
		tier       Tier
		start, end int
		canonical  string
	}{
		{"worker daily 01:00-01:30 restart", false, TierWeekly, 60, 90, "worker daily 01:00-01:30 restart\n"},
		{"web Mon-Fri 04:00-04:30 restart:rolling", true, TierWeekly, 240, 270, "web Mon-Fri 04:00-04:30 restart:rolling\n"},
		{"worker Sat,Sun RESTART", false, TierWeekly, 0, 1440, "worker Sat,Sun restart\n"},
		{"worker daily 23:30-00:30 Restart:ROLLING", true, TierWeekly, 1410, 1470, "worker daily 23:30-00:30 restart:rolling\n"},
		{"worker 2026-12-24..2026-12-26 02:00-02:30 restart", false, TierDate, 120, 150, "worker 2026-12-24..2026-12-26 02:00-02:30 restart\n"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			s := mustParse(t, tt.src)
			r := s.Rules[0]
			if !r.Restart || r.Once || r.Quantity != 0 || r.Size != "" || r.Rolling != tt.rolling || r.Tier != tt.tier || r.start != tt.start || r.end != tt.end {
				t.Errorf("Parse(%q) = restart %v, once %v, quantity %d, size %q, rolling %v, tier %v, %s-%s; want restart, 0, rolling %v, %v, %s-%s", tt.src,
					r.Restart, r.Once, r.Quantity, r.Size, r.Rolling, r.Tier, Clock(r.start), Clock(r.end), tt.rolling, tt.tier, Clock(tt.start), Clock(tt.end))
			}
			if got := s.String(); got != tt.canonical {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.src, got, tt.canonical)
			}
		})
	}
}

func TestParseWhen(t *testing.T) {
	tests := []struct {
		when string
		want string // the canonical WHEN
	}{
		{"Mon", "Mon"},
		{"mon", "Mon"},
		{"MON-fri", "Mon-Fri"},
		{"Fri-Mon", "Fri-Mon"},
		{"Sat-Mon", "Sat-Mon"},
		{"Sun-Mon", "Mon,Sun"},
		{"Mon,Wed,Fri", "Mon,Wed,Fri"},
		{"Mon-Wed,Fri", "Mon-Wed,Fri"},
		{"Fri,Mon-Wed", "Mon-Wed,Fri"},
		{"Sat,Sun", "Sat,Sun"},
		{"Mon,Mon", "Mon"},
		{"Mon-Sun", "daily"},
		{"Tue-Mon", "daily"},
		{"DAILY", "daily"},
		{"Mon,Wed,Fri-Sun", "Mon,Wed,Fri-Sun"},
		{"Thu-Tue", "Thu-Tue"},
		{"Tue,Thu", "Tue,Thu"},
		{"2026-12-24", "2026-12-24"},
		{"2026-12-24..2026-12-24", "2026-12-24"},
		{"2028-02-29", "2028-02-29"},
		{"2026-12-31..2027-01-02", "2026-12-31..2027-01-02"},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			s, err := Parse("web " + tt.when + " 1")
			if err != nil {
				t.Fatalf("Parse(web %s 1) error: %v", tt.when, err)
			}
			if got := s.Rules[0].when(); got != tt.want {
				t.Errorf("when(%s) = %s, want %s", tt.when, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"timezone alone", "timezone", "1:1: timezone needs a zone name such as Europe/Berlin"},
		{"timezone two names", "timezone UTC Europe/Berlin x y", "1:14: timezone takes one argument, a zone name such as Europe/Berlin"},
		{"timezone as a rule", "timezone UTC 1", "1:10: timezone takes one argument"},
		{"unknown zone", "timezone Mars/Olympus", `1:10: unknown time zone "Mars/Olympus": want an IANA name such as Europe/Berlin or UTC`},
		{"local zone", "timezone Local", `1:10: unknown time zone "Local": want an IANA name such as Europe/Berlin or UTC`},
		{"app alone", "  app", "1:3: app needs an app name"},
		{"bad app", "app My_App", `1:5: app name "My_App" is not valid: want lowercase letters, digits and dashes (3 to 30, starting with a letter) or an app id`},
		{"bad type", "wör daily 1", `1:1: process type "wör" may hold only letters, digits, '-' and '_' (at most 128)`},
		{"release", "release daily 1", "1:1: the release process type runs the release phase and is never scheduled"},
		{"missing when", "web", "1:4: missing WHEN and QUANTITY: want TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]"},
		{"missing quantity", "web daily", "1:10: missing QUANTITY: want TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]"},
		{"range without quantity", "web daily 08:00-20:00", "1:22: missing quantity after the time range: want TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]"},
		{"extra token", "web daily 08:00-20:00 1 2", `1:25: unexpected "2" after "1": want TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]`},
		{"extra token after restart", "web daily 08:00-20:00 restart 2", `1:31: unexpected "2" after "restart": want TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]`},
		{"unknown day", "web Monday 1", `1:5: unknown day "Monday": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26`},
		{"unknown day in range", "web Mon-Fry 1", `1:5: unknown day "Fry": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26`},
		{"empty day", "web Mon,,Tue 1", `1:5: empty day in "Mon,,Tue": want days such as Mon-Fri or Mon,Wed,Fri`},
		{"one-day range", "web Mon-mon 1", "1:5: day range Mon-mon names one day: write Mon, or daily for the whole week"},
		{"date form", "web 2026-1-01 1", `1:5: date "2026-1-01" is not YYYY-MM-DD`},
		{"date range form", "web 2026-01-01...2026-01-02 1", `1:5: date ".2026-01-02" is not YYYY-MM-DD`},
		{"no such date", "web 2026-02-29 1", "1:5: date 2026-02-29 does not exist"},
		{"no such month", "web 2026-13-01 1", "1:5: date 2026-13-01 does not exist"},
		{"year zero", "web 0000-01-01 1", "1:5: date 0000-01-01 does not exist"},
		{"backwards dates", "web 2026-12-26..2026-12-24 1", "1:5: date range 2026-12-26..2026-12-24 ends before it starts"},
		{"default with range", "web default 08:00-20:00 1", "1:13: a default rule takes no time range: it applies whenever no other rule does"},
		{"one-digit hour", "web daily 8:00-20:00 1", `1:11: time range "8:00-20:00" is not HH:MM-HH:MM with two-digit hours and minutes`},
		{"one-digit minute", "web daily 08:0-20:00 1", `1:11: time range "08:0-20:00" is not HH:MM-HH:MM with two-digit hours and minutes`},
		{"no dash", "web daily 08:00~20:00 1", `1:11: time range "08:00~20:00" is not HH:MM-HH:MM`},
		{"no colon", "web daily 0800-2000 1", `1:11: time range "0800-2000" is not HH:MM-HH:MM with two-digit hours and minutes`},
		{"hour 25", "web daily 08:00-25:00 1", "1:11: time range 08:00-25:00: hour 25 does not exist (00 to 23, or 24:00 as the end)"},
		{"minute 60", "web daily 12:60-13:00 1", "1:11: time range 12:60-13:00: minute 60 does not exist (00 to 59)"},
		{"24:30", "web daily 22:00-24:30 1", "1:11: time range 22:00-24:30: hour 24 does not exist (00 to 23, or 24:00 as the end)"},
		{"starts at 24:00", "web daily 24:00-02:00 1", "1:11: time range 24:00-02:00 starts at 24:00: 24:00 may only end a range"},
		{"empty range", "web daily 08:00-08:00 1", "1:11: time range 08:00-08:00 is empty: write 00:00-24:00, or no range, for the whole day"},
		{"midnight to midnight", "web daily 00:00-00:00 1", "1:11: time range 00:00-00:00 is empty: write 00:00-24:00, or no range, for the whole day"},
		{"quantity not a number", "web daily x", `1:11: quantity "x" is not a number of dynos (0 to 100)`},
		{"negative quantity", "web daily -1", `1:11: quantity "-1" is not a number of dynos (0 to 100)`},
		{"fraction", "web daily 1.5", `1:11: quantity "1.5" is not a number of dynos (0 to 100)`},
		{"over the limit", "web daily 101", "1:11: quantity 101 is over the platform's limit of 100 dynos"},
		{"huge", "web daily 99999999999999999999", "1:11: quantity 99999999999999999999 is over the platform's limit of 100 dynos"},
		{"missing size", "web daily 3:", "1:13: missing size after ':'"},
		{"unknown size", "web daily 3:huge", `1:13: unknown dyno size "huge" (known sizes: Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L, Performance-L-RAM, Performance-XL, Performance-2XL, Private-S, Private-M, Private-L, Private-Memory-L, Private-Memory-XL, Private-Memory-2XL, Shield-S, Shield-M, Shield-L, Shield-Memory-L, Shield-Memory-XL, Shield-Memory-2XL, or dyno-Nc-Ngb)`},
		{"columns count characters", "web daily 1\nwéb\tdaily  x", "2:1: process type \"wéb\" may hold only letters, digits, '-' and '_' (at most 128)\n" +
			`2:12: quantity "x" is not a number of dynos (0 to 100)`},

		{"weekly overlap", "web Mon-Fri 08:00-20:00 3\n\nweb daily 18:00-22:00 2",
			"3:1: web daily 18:00-22:00 2 overlaps line 1 (web Mon-Fri 08:00-20:00 3) on Mon 18:00-20:00"},
		{"overlap by size", "web Fri 1\nweb Fri 12:00-13:00 1:eco",
			"2:1: web Fri 12:00-13:00 1:eco overlaps line 1 (web Fri 1) on Fri 12:00-13:00"},
		{"overlap past midnight", "web Mon 22:00-02:00 2\nweb Tue 01:00-03:00 3",
			"2:1: web Tue 01:00-03:00 3 overlaps line 1 (web Mon 22:00-02:00 2) on Tue 01:00-02:00"},
		{"overlap over the week's end", "web Sun 22:00-02:00 2\nweb Mon 01:00-03:00 3",
			"2:1: web Mon 01:00-03:00 3 overlaps line 1 (web Sun 22:00-02:00 2) on Mon 01:00-02:00"},
		{"overlap over the week's end, the other way", "web Mon 01:00-03:00 3\nweb Sun 22:00-02:00 2",
			"2:1: web Sun 22:00-02:00 2 overlaps line 1 (web Mon 01:00-03:00 3) on Mon 01:00-02:00"},
		{"overlap of wrapping days", "web Fri-Mon 20:00-02:00 2\nweb Tue 00:00-01:00 3",
			"2:1: web Tue 00:00-01:00 3 overlaps line 1 (web Fri-Mon 20:00-02:00 2) on Tue 00:00-01:00"},
		{"overlap of whole days", "web daily 2\nweb Wed 3",
			"2:1: web Wed 3 overlaps line 1 (web daily 2) on Wed 00:00-24:00"},
		{"date overlap", "web 2026-12-24..2026-12-26 1\nweb 2026-12-26 18:00-20:00 2",
			"2:1: web 2026-12-26 18:00-20:00 2 overlaps line 1 (web 2026-12-24..2026-12-26 1) on 2026-12-26 18:00-20:00"},
		{"date overlap into the new year", "web 2026-12-31 22:00-02:00 4\nweb 2027-01-01 01:00-03:00 2",
			"2:1: web 2027-01-01 01:00-03:00 2 overlaps line 1 (web 2026-12-31 22:00-02:00 4) on 2027-01-01 01:00-02:00"},
		{"date overlap from the day after", "web 2027-01-01 01:00-03:00 2\nweb 2026-12-01..2026-12-31 22:00-02:00 4",
			"2:1: web 2026-12-01..2026-12-31 22:00-02:00 4 overlaps line 1 (web 2027-01-01 01:00-03:00 2) on 2027-01-01 01:00-02:00"},
		{"two defaults", "web default 1\nweb default 2", "2:1: web default 2 conflicts with line 1 (web default 1): a process type has one default"},
		{"two zones", "web Mon 1\ntimezone Europe/Berlin\nweb Tue 2",
			"3:1: web Tue 2 is in time zone Europe/Berlin but line 1 (web Mon 1) is in UTC: the rules of one process type must share a time zone"},

		{"default once", "nightly default once",
			"1:17: a default rule cannot be once: it has no window to start the job in; write daily or days such as Mon-Fri, with a time range"},
		{"default once with a size", "nightly\tDEFAULT\tOnce:eco",
			"1:17: a default rule cannot be once: it has no window to start the job in; write daily or days such as Mon-Fri, with a time range"},
		{"once without a size", "nightly daily 02:00-05:00 once:", "1:32: missing size after ':'"},
		{"once of an unknown size", "nightly daily once:huge", `1:20: unknown dyno size "huge" (known sizes: Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L, Performance-L-RAM, Performance-XL, Performance-2XL, Private-S, Private-M, Private-L, Private-Memory-L, Private-Memory-XL, Private-Memory-2XL, Shield-S, Shield-M, Shield-L, Shield-Memory-L, Shield-Memory-XL, Shield-Memory-2XL, or dyno-Nc-Ngb)`},
		{"a number of onces", "nightly daily 2once", `1:15: quantity "2once" is not a number of dynos (0 to 100)`},
		{"once after a quantity", "nightly daily 1 once", `1:15: time range "1" is not HH:MM-HH:MM`},
		{"once then a default", "nightly daily 02:00-05:00 once\nnightly default 0",
			"2:1: nightly default 0 conflicts with line 1 (nightly daily 02:00-05:00 once): a process type with once rules may have no other kind of rule, which would scale its job while it runs"},
		{"a level rule then once", "nightly Mon 08:00-09:00 1\n\nnightly daily 02:00-05:00 once",
			"3:1: nightly daily 02:00-05:00 once conflicts with line 1 (nightly Mon 08:00-09:00 1): a process type with once rules may have no other kind of rule, which would scale its job while it runs"},
		{"once among level rules", "web default 1\nweb Mon-Fri 08:00-20:00 3\n  web 2026-12-24 once",
			"3:3: web 2026-12-24 once conflicts with line 1 (web default 1): a process type with once rules may have no other kind of rule, which would scale its job while it runs"},
		{"once windows of two sizes overlap", "report daily 02:00-05:00 once\nreport Mon 04:00-06:00 once:eco",
			"2:1: report Mon 04:00-06:00 once:eco overlaps line 1 (report daily 02:00-05:00 once) on Mon 04:00-05:00"},
		{"default restart", "worker default restart",
			"1:16: a default rule cannot be restart: it has no window to restart in; write daily or days such as Mon-Fri, with a time range"},
		{"restart with a size", "worker daily 01:00-01:30 restart:standard-2x",
			`1:34: "restart:standard-2x": restart takes no size, only "rolling": want restart (every dyno of the type at once) or restart:rolling (one at a time, each up before the next)`},
		{"restart with an empty suffix", "worker daily 01:00-01:30 Restart:", "1:34: missing rolling after 'restart:'"},
		{"a number of restarts", "worker daily 01:00-01:30 2restart", `1:26: quantity "2restart" is not a number of dynos (0 to 100)`},
		{"restart windows overlap", "worker daily 01:00-01:30 restart\nworker daily 1\nworker Mon 01:15-02:00 restart",
			"3:1: worker Mon 01:15-02:00 restart overlaps line 1 (worker daily 01:00-01:30 restart) on Mon 01:15-01:30: the restart windows of a process type may not overlap, since each restarts it once"},
		{"restart windows overlap, rolling or not", "web daily 03:00-04:00 restart:rolling\nweb daily 03:30-05:00 restart",
			"2:1: web daily 03:30-05:00 restart overlaps line 1 (web daily 03:00-04:00 restart:rolling) on Mon 03:30-04:00: the restart windows of a process type may not overlap, since each restarts it once"},
		{"the same restart window twice", "worker daily 01:00-01:30 restart\nworker daily 01:00-01:30 RESTART",
			"2:1: worker daily 01:00-01:30 RESTART overlaps line 1 (worker daily 01:00-01:30 restart) on Mon 01:00-01:30: the restart windows of a process type may not overlap, since each restarts it once"},
		{"restart windows overlap across the tiers", "worker 2026-12-24..2027-01-06 00:30-01:15 restart\nworker Fri 01:00-01:30 restart",
			"2:1: worker Fri 01:00-01:30 restart overlaps line 1 (worker 2026-12-24..2027-01-06 00:30-01:15 restart) on 2026-12-25 01:00-01:15: the restart windows of a process type may not overlap, since each restarts it once"},
		{"restart windows overlap past midnight across the tiers", "worker Thu 23:00-01:00 restart\nworker 2026-12-25 00:30-01:30 restart",
			"2:1: worker 2026-12-25 00:30-01:30 restart overlaps line 1 (worker Thu 23:00-01:00 restart) on 2026-12-25 00:30-01:00: the restart windows of a process type may not overlap, since each restarts it once"},
		{"restart date windows overlap", "worker 2026-12-24 01:00-02:00 restart\nworker 2026-12-24 01:30-03:00 restart:rolling",
			"2:1: worker 2026-12-24 01:30-03:00 restart:rolling overlaps line 1 (worker 2026-12-24 01:00-02:00 restart) on 2026-12-24 01:30-02:00: the restart windows of a process type may not overlap, since each restarts it once"},
		{"restart of a once type", "nightly daily 02:00-05:00 once\nnightly daily 01:00-01:30 restart",
			"2:1: nightly daily 01:00-01:30 restart conflicts with line 1 (nightly daily 02:00-05:00 once): a process type with once rules may have no restart window, which would cut its job while it runs"},
		{"once after a restart", "nightly daily 01:00-01:30 restart\nnightly daily 02:00-05:00 once",
			"2:1: nightly daily 02:00-05:00 once conflicts with line 1 (nightly daily 01:00-01:30 restart): a process type with once rules may have no restart window, which would cut its job while it runs"},
		{"restart in another zone", "worker default 1\ntimezone Europe/Berlin\nworker daily 01:00-01:30 restart",
			"3:1: worker daily 01:00-01:30 restart is in time zone Europe/Berlin but line 1 (worker default 1) is in UTC: the rules of one process type must share a time zone"},
		{"once date windows overlap past midnight", "job 2026-12-24 22:00-02:00 once:performance-l\njob 2026-12-25 01:00-03:00 once",
			"2:1: job 2026-12-25 01:00-03:00 once overlaps line 1 (job 2026-12-24 22:00-02:00 once:performance-l) on 2026-12-25 01:00-02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", tt.src, s, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error:\n%s\nwant:\n%s", tt.src, err, tt.want)
			}
			if !errors.Is(err, scaler.ErrInvalid) {
				t.Errorf("Parse(%q) error is not scaler.ErrInvalid", tt.src)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, src string }{
		{"empty", ""},
		{"comments and blanks", "# nothing\n\n   \t# more\n"},
		{"identical targets overlap", "web Mon-Fri 08:00-20:00 3\nweb daily 18:00-22:00 3"},
		{"identical defaults", "web default 1\nweb default 1"},
		{"adjacent windows", "web Mon 08:00-12:00 1\nweb Mon 12:00-14:00 2\nweb Mon 22:00-24:00 3\nweb Tue 00:00-01:00 4"},
		{"adjacent across the week", "web Sun 22:00-24:00 1\nweb Mon 2"},
		{"tiers do not conflict", "web daily 2\nweb 2026-12-24 1\nweb default 0"},
		{"apps do not conflict", "web daily 2\napp other-app\nweb daily 3"},
		{"types do not conflict", "web daily 2\nworker daily 3"},
		{"zones per type", "web daily 2\ntimezone Europe/Berlin\nworker daily 3"},
		{"a type named app", "app daily 1\ntimezone Mon 08:00-09:00 2"},
		{"directives in any case", "Timezone Europe/Berlin\nAPP other-app\nweb daily 1"},
		{"crlf", "web daily 1\r\nworker Mon 2\r\n"},
		{"leading zeros", "web daily 007"},
		{"end at midnight", "web daily 22:00-00:00 1"},
		{"app id", "app 01234567-89ab-cdef-0123-456789ABCDEF\nweb daily 1"},
		{"fir size", "web daily 1:Dyno-2C-4GB"},
		{"once", "nightly daily 02:00-05:00 once"},
		{"once in any case", "nightly daily 02:00-05:00 ONCE:Performance-L"},
		{"once windows that touch", "job Mon 02:00-04:00 once\njob Mon 04:00-06:00 once:eco"},
		{"once windows of one size overlap", "job daily 02:00-05:00 once\njob Mon 04:00-06:00 once"},
		{"once over the tiers", "job daily 02:00-05:00 once\njob 2026-12-24 03:00-04:00 once:performance-l"},
		{"once and level in other types", "job daily 02:00-05:00 once\nweb default 1\napp other-app\njob default 2"},
		{"a type named once", "once daily once"},
		{"restart and scale rules", "worker daily 01:00-01:30 restart\nworker default 2\nworker daily 00:00-06:00 4"},
		{"restart in any case", "worker daily 01:00-01:30 RESTART\nweb Sat,Sun 04:00-05:00 Restart:Rolling"},
		{"restart windows that touch", "worker daily 01:00-01:30 restart\nworker daily 01:30-02:00 restart:rolling"},
		{"restart windows of two types overlap", "worker daily 01:00-01:30 restart\nweb daily 01:00-01:30 restart"},
		{"restart on dates beside the week", "worker Mon-Fri 01:00-01:30 restart\nworker 2026-12-26..2026-12-27 03:00-03:30 restart"},
		{"restart and a once type", "worker daily 01:00-01:30 restart\nnightly daily 01:30-03:00 once"},
		{"a type named restart", "restart daily restart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.src); err != nil {
				t.Errorf("Parse(%q) error: %v", tt.src, err)
			}
		})
	}
}

// All the errors of a schedule come at once, sorted by position, and each
// can be listed.
func TestParseAllErrors(t *testing.T) {
	src := `web Mon-Fri 08:00-20:00 3
web x 1

web daily 18:00-22:00 2
release daily 1
web 2026-02-30 1
web Mon 8:00-25:00 1
web default 1
web default 2
timezone Nowhere/X
web daily 5
app Foo
web Mon 101:huge
`
	want := `2:5: unknown day "x": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26
4:1: web daily 18:00-22:00 2 overlaps line 1 (web Mon-Fri 08:00-20:00 3) on Mon 18:00-20:00
5:1: the release process type runs the release phase and is never scheduled
6:5: date 2026-02-30 does not exist
7:9: time range "8:00-25:00" is not HH:MM-HH:MM with two-digit hours and minutes
9:1: web default 2 conflicts with line 8 (web default 1): a process type has one default
10:10: unknown time zone "Nowhere/X": want an IANA name such as Europe/Berlin or UTC
12:5: app name "Foo" is not valid: want lowercase letters, digits and dashes (3 to 30, starting with a letter) or an app id
13:9: quantity 101 is over the platform's limit of 100 dynos
13:13: unknown dyno size "huge" (known sizes: Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L, Performance-L-RAM, Performance-XL, Performance-2XL, Private-S, Private-M, Private-L, Private-Memory-L, Private-Memory-XL, Private-Memory-2XL, Shield-S, Shield-M, Shield-L, Shield-Memory-L, Shield-Memory-XL, Shield-Memory-2XL, or dyno-Nc-Ngb)`
	_, err := Parse(src)
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	if err.Error() != want {
		t.Errorf("Parse error:\n%s\nwant:\n%s", err, want)
	}
	if !errors.Is(err, scaler.ErrInvalid) {
		t.Error("Parse error is not scaler.ErrInvalid")
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 10 {
		t.Fatalf("Parse error as ErrorList = %v, want 10 errors", list)
	}
	var first *ParseError
	if !errors.As(err, &first) || first.Line != 2 || first.Col != 5 {
		t.Errorf("Parse error as *ParseError = %+v, want line 2 column 5", first)
	}
	if !errors.Is(list[3], scaler.ErrInvalid) {
		t.Error("a ParseError is not scaler.ErrInvalid")
	}
}

func TestParseEnv(t *testing.T) {
	tests := []struct {
		name, value, want string // want: an error, or the canonical schedule
	}{
		{"one line", "timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3;web default 1",
			"timezone Europe/Berlin\nweb Mon-Fri 08:00-20:00 3\nweb default             1\n"},
		{"trailing separators", "web daily 1;;", "web daily 1\n"},
		{"comment to the separator", "web daily 1 # busy; worker Mon 2", "web    daily 1\nworker Mon   2\n"},
		{"newlines too", "web daily 1\nworker Mon 2", "web    daily 1\nworker Mon   2\n"},
		{"errors count segments", "web daily 1;web x 2; worker Mon 1.5",
			"2:5: unknown day \"x\": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26\n" +
				"3:13: quantity \"1.5\" is not a number of dynos (0 to 100)"},
		{"overlap names segments", "web Mon 1;web Mon 09:00-10:00 2",
			"2:1: web Mon 09:00-10:00 2 overlaps line 1 (web Mon 1) on Mon 09:00-10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseEnv(tt.value)
			got := ""
			if err != nil {
				got = err.Error()
				if !errors.Is(err, scaler.ErrInvalid) {
					t.Errorf("ParseEnv(%q) error is not scaler.ErrInvalid", tt.value)
				}
			} else {
				got = s.String()
			}
			if got != tt.want {
				t.Errorf("ParseEnv(%q) =\n%s\nwant:\n%s", tt.value, got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"example", example, `timezone Europe/Berlin
web    Mon-Fri                08:00-20:00 3
web    Sat,Sun                10:00-18:00 2
web    default                            1
worker daily                  22:00-06:00 1:Standard-2X
web    2026-12-24..2026-12-26             1
web    2026-12-31             18:00-24:00 4
app other-app
web    daily                  09:00-17:00 2
`},
		{"empty", "# nothing", ""},
		{"whole days lose their range", "web Mon-Sun 00:00-24:00 1\nworker 2026-01-01..2026-01-01 22:00-00:00 01",
			"web    daily                  1\nworker 2026-01-01 22:00-24:00 1\n"},
		{"zones and apps only where they change", "timezone UTC\nweb daily 1\napp aaa\ntimezone Asia/Tokyo\ntimezone Asia/Tokyo\nweb daily 1\napp aaa\nworker daily 1\ntimezone UTC\napp bbb\nweb daily 1\napp ccc",
			"web    daily 1\napp aaa\ntimezone Asia/Tokyo\nweb    daily 1\nworker daily 1\napp bbb\ntimezone UTC\nweb    daily 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			got := s.String()
			if got != tt.want {
				t.Errorf("String() =\n%s\nwant:\n%s", got, tt.want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(String()) error: %v", err)
			}
			if again.String() != got {
				t.Errorf("Parse(String()).String() =\n%s\nwant:\n%s", again, got)
			}
		})
	}
}

// Every error line has the form LINE:COL: message.
var errorLine = regexp.MustCompile(`^[1-9][0-9]*:[1-9][0-9]*: \S`)

// Every keyword of a rule that is none of those its place takes (a
// quantity that is not a number, once or restart; a size; restart's
// modifier; a word of WHEN, a day) is an UnknownError in the list, with its
// position: the word as typed and what its place takes, for the caller's
// suggestion.
func TestUnknownWordsCarryTheWordAndWhatItsPlaceTakes(t *testing.T) {
	_, err := Parse("nightly daily 02:00-05:00 onec\nworker default 1:standrd-2x\nweb default 1\n" +
		"worker daily 01:00-01:30 restrat\nclock daily 01:00-01:30 restart:rollin\nreport dialy 02:00-03:00 once\nweb Mon-Fir 08:00-20:00 3\n")
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 6 {
		t.Fatalf("Parse error = %v, want six", err)
	}
	when := append([]string{"default", "daily"}, dayNames...)
	for i, want := range []struct {
		line, col int
		word      string
		known     []string
	}{
		{1, 27, "onec", []string{"once", "restart"}}, {2, 18, "standrd-2x", scaler.Sizes()},
		{4, 26, "restrat", []string{"once", "restart"}}, {5, 33, "rollin", []string{"rolling"}},
		{6, 8, "dialy", when}, {7, 5, "Mon-Fir", dayRanges()},
	} {
		var u *scaler.UnknownError
		if pe := list[i]; pe.Line != want.line || pe.Col != want.col || !errors.As(pe, &u) || u.Word != want.word || !slices.Equal(u.Known, want.known) || pe.Msg != u.Error() {
			t.Errorf("error %d = %v (%+v), want %d:%d, the word %q and %v", i, pe, u, want.line, want.col, want.word, want.known)
		}
	}
}
