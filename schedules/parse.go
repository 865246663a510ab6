package schedules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scalerdev/scaler/scaler"
)

// ruleSyntax is a rule's grammar, as errors say it: a level, a job's
// window, or a restart window.
const ruleSyntax = "TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE], once[:SIZE] or restart[:rolling]"

// restartSuffix is the one word a restart rule takes after its colon.
const restartSuffix = "rolling"

// Parse reads a schedule: one rule or directive per line, '#' starting a
// comment. It returns every mistake at once, as an [ErrorList] sorted by
// position, which errors.Is reports as [scaler.ErrInvalid].
func Parse(src string) (*Schedule, error) {
	return parse(strings.Split(src, "\n"))
}

// ParseEnv reads a schedule from one config var value, where ';' also ends
// a line: a Heroku config var holds a single line. Line numbers in errors
// count the segments between ';' and newlines.
func ParseEnv(value string) (*Schedule, error) {
	return parse(strings.Split(strings.ReplaceAll(value, ";", "\n"), "\n"))
}

func parse(lines []string) (*Schedule, error) {
	p := parser{zone: time.UTC, zoneOK: true, appOK: true}
	for i, line := range lines {
		p.line(i+1, tokenize(line))
	}
	s := &Schedule{Rules: p.rules}
	check(s.Rules, &p.errs)
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	s.buildGroups()
	return s, nil
}

type token struct {
	text string
	col  int // 1-based, in characters
}

// tokenize splits a line into tokens, dropping the comment. Spaces and tabs
// separate tokens; a carriage return from a CRLF file is a space too.
func tokenize(line string) []token {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	var toks []token
	col, start := 1, -1
	startCol := 0
	for i, r := range line {
		space := r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f'
		switch {
		case space && start >= 0:
			toks = append(toks, token{line[start:i], startCol})
			start = -1
		case !space && start < 0:
			start, startCol = i, col
		}
		col++
	}
	if start >= 0 {
		toks = append(toks, token{line[start:], startCol})
	}
	return toks
}

type parser struct {
	zone   *time.Location
	zoneOK bool // false after a bad timezone line: later rules are not cross-checked
	app    string
	appOK  bool
	rules  []*Rule
	errs   ErrorList
}

func (p *parser) line(n int, toks []token) {
	if len(toks) == 0 {
		return
	}
	// A directive has one argument, a rule has three or four tokens: the
	// count tells them apart, so that a process type may be named app.
	switch strings.ToLower(toks[0].text) {
	case "timezone", "app":
		if len(toks) != 3 && len(toks) != 4 {
			p.directive(n, toks)
			return
		}
	}
	p.rule(n, toks)
}

func (p *parser) directive(n int, toks []token) {
	kw := strings.ToLower(toks[0].text)
	what := "a zone name such as Europe/Berlin"
	if kw == "app" {
		what = "an app name"
	}
	switch {
	case len(toks) == 1:
		p.errs.add(n, toks[0].col, "%s needs %s", kw, what)
		return
	case len(toks) > 2:
		p.errs.add(n, toks[2].col, "%s takes one argument, %s", kw, what)
		return
	}
	arg := toks[1]
	if kw == "timezone" {
		loc, ok := loadZone(arg.text)
		if !ok {
			p.errs.add(n, arg.col, "unknown time zone %q: want an IANA name such as Europe/Berlin or UTC", arg.text)
			p.zoneOK = false
			return
		}
		p.zone, p.zoneOK = loc, true
		return
	}
	if !scaler.ValidApp(arg.text) {
		p.errs.add(n, arg.col, "app name %q is not valid: want lowercase letters, digits and dashes (3 to 30, starting with a letter) or an app id", arg.text)
		p.appOK = false
		return
	}
	p.app, p.appOK = arg.text, true
}

func (p *parser) rule(n int, toks []token) {
	before := len(p.errs)
	r := &Rule{
		Line: n, Col: toks[0].col, App: p.app, Type: toks[0].text, Zone: p.zone,
		index: len(p.rules), unchecked: !p.zoneOK || !p.appOK,
	}
	texts := make([]string, len(toks))
	for i, t := range toks {
		texts[i] = t.text
	}
	r.Text = strings.Join(texts, " ")

	switch {
	case !scaler.ValidType(r.Type):
		p.errs.add(n, toks[0].col, "process type %q may hold only letters, digits, '-' and '_' (at most 128)", r.Type)
	case r.Type == scaler.ReleaseType:
		p.errs.add(n, toks[0].col, "the release process type runs the release phase and is never scheduled")
	}
	if len(toks) < 3 {
		last := toks[len(toks)-1]
		missing := "QUANTITY"
		if len(toks) == 1 {
			missing = "WHEN and QUANTITY"
		}
		p.errs.add(n, last.col+utf8.RuneCountInString(last.text), "missing %s: want %s", missing, ruleSyntax)
		return
	}
	if len(toks) > 4 {
		p.errs.add(n, toks[4].col, "unexpected %q after %q: want %s", toks[4].text, toks[3].text, ruleSyntax)
	}

	when := toks[1]
	if err := r.parseWhen(when.text); err != nil {
		var u *scaler.UnknownError
		switch kw := strings.ToLower(toks[0].text); {
		case kw == "timezone" || kw == "app":
			p.errs.add(n, when.col, "%s takes one argument", kw)
		case errors.As(err, &u):
			p.errs.addErr(n, when.col, err)
		default:
			p.errs.add(n, when.col, "%s", err)
		}
	}
	r.start, r.end = 0, 1440
	qty := toks[2]
	if len(toks) >= 4 {
		if r.Tier == TierDefault && strings.EqualFold(when.text, "default") {
			p.errs.add(n, toks[2].col, "a default rule takes no time range: it applies whenever no other rule does")
		} else if err := r.parseRange(toks[2].text); err != "" {
			p.errs.add(n, toks[2].col, "%s", err)
		}
		qty = toks[3]
	} else if looksLikeRange(qty.text) {
		p.errs.add(n, qty.col+utf8.RuneCountInString(qty.text), "missing quantity after the time range: want %s", ruleSyntax)
		return
	}
	p.parseQuantity(r, n, qty)

	if len(p.errs) == before {
		p.rules = append(p.rules, r)
	}
}

// parseWhen reads default, daily, weekdays or dates. A word that is none
// of those is a [scaler.UnknownError], with the words its place takes.
func (r *Rule) parseWhen(s string) error {
	switch {
	case strings.EqualFold(s, "default"):
		r.Tier = TierDefault
		return nil
	case strings.EqualFold(s, "daily"):
		r.Tier, r.days = TierWeekly, 0x7f
		return nil
	case s[0] >= '0' && s[0] <= '9':
		r.Tier = TierDate
		a, b, isRange := strings.Cut(s, "..")
		first, err := parseDate(a)
		if err != "" {
			return errors.New(err)
		}
		last := first
		if isRange {
			if last, err = parseDate(b); err != "" {
				return errors.New(err)
			}
			if last < first {
				return errors.New("date range " + s + " ends before it starts")
			}
		}
		r.first, r.last = first, last
		return nil
	}
	r.Tier = TierWeekly
	for item := range strings.SplitSeq(s, ",") {
		if item == "" {
			return errors.New("empty day in " + strconv.Quote(s) + ": want days such as Mon-Fri or Mon,Wed,Fri")
		}
		a, b, isRange := strings.Cut(item, "-")
		from, ok := parseWeekday(a)
		switch {
		case !ok && isRange:
			return unknownWhen(a, item, dayRanges())
		case !ok && item == s:
			return unknownWhen(a, item, append([]string{"default", "daily"}, dayNames...))
		case !ok:
			return unknownWhen(a, item, dayNames)
		}
		to := from
		if isRange {
			if to, ok = parseWeekday(b); !ok {
				return unknownWhen(b, item, dayRanges())
			}
			if to == from {
				return errors.New("day range " + item + " names one day: write " + a + ", or daily for the whole week")
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			r.days |= 1 << d
			if d == to {
				break
			}
		}
	}
	return nil
}

// dayNames are the days a rule names, as it writes them.
var dayNames = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// dayRanges returns every range of two days (Mon-Tue, ..., Sun-Sat).
func dayRanges() []string {
	var out []string
	for _, a := range dayNames {
		for _, b := range dayNames {
			if a != b {
				out = append(out, a+"-"+b)
			}
		}
	}
	return out
}

// unknownWhen is the unknown day bad of item, an item of WHEN, which is
// none of known, the words the item's place takes. The item is the word
// compared (Mon-Fir with Mon-Fri, where Fir and Fri, three letters each,
// are too short for the measure of typos to tell a transposition).
func unknownWhen(bad, item string, known []string) error {
	return &scaler.UnknownError{Word: item, Known: known,
		Msg: "unknown day " + strconv.Quote(bad) + ": want default, daily, days such as Mon-Fri or Sat,Sun, or dates such as 2026-12-24 or 2026-12-24..2026-12-26"}
}

func parseWeekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()[:3]) {
			return d, true
		}
	}
	return 0, false
}

// parseDate reads YYYY-MM-DD, a date that exists.
func parseDate(s string) (day, string) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return 0, "date " + strconv.Quote(s) + " is not YYYY-MM-DD"
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if y < 1 || m < 1 || m > 12 || d < 1 || d > time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, "date " + s + " does not exist"
	}
	return dayOf(y, time.Month(m), d), ""
}

// looksLikeRange tells a time range given where the quantity belongs
// (08:00-20:00) from a quantity with a size (1:standard-2x).
func looksLikeRange(s string) bool {
	a, b, ok := strings.Cut(s, "-")
	return ok && strings.Contains(a, ":") && strings.Contains(b, ":")
}

// parseRange reads HH:MM-HH:MM strictly: two digits each, 24:00 only as the
// end. An end before the start crosses midnight.
func (r *Rule) parseRange(s string) string {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return "time range " + strconv.Quote(s) + " is not HH:MM-HH:MM"
	}
	start, err := parseClock(a, s)
	if err != "" {
		return err
	}
	if start == 1440 {
		return "time range " + s + " starts at 24:00: 24:00 may only end a range"
	}
	end, err := parseClock(b, s)
	if err != "" {
		return err
	}
	if start == end {
		return "time range " + s + " is empty: write 00:00-24:00, or no range, for the whole day"
	}
	if end == 0 {
		end = 1440
	}
	if end < start {
		end += 1440 // crosses midnight: the window belongs to the day it starts
	}
	r.start, r.end = start, end
	return ""
}

func parseClock(s, rng string) (int, string) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, "time range " + strconv.Quote(rng) + " is not HH:MM-HH:MM with two-digit hours and minutes"
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	switch {
	case h == 24 && m == 0:
		return 1440, ""
	case h > 23:
		return 0, "time range " + rng + ": hour " + s[:2] + " does not exist (00 to 23, or 24:00 as the end)"
	case m > 59:
		return 0, "time range " + rng + ": minute " + s[3:] + " does not exist (00 to 59)"
	}
	return h*60 + m, ""
}

// parseQuantity reads QUANTITY[:SIZE], once[:SIZE] or restart[:rolling].
func (p *parser) parseQuantity(r *Rule, n int, t token) {
	num, size, hasSize := strings.Cut(t.text, ":")
	switch {
	case strings.EqualFold(num, "restart"):
		p.parseRestart(r, n, t, size, hasSize)
		return
	case strings.EqualFold(num, "once"):
		r.Quantity, r.Once = 1, true
		if r.Tier == TierDefault {
			p.errs.add(n, t.col, "a default rule cannot be once: it has no window to start the job in; write daily or days such as Mon-Fri, with a time range")
		}
	case !digits(num):
		p.errs.addErr(n, t.col, &scaler.UnknownError{Word: num, Known: []string{"once", "restart"},
			Msg: fmt.Sprintf("quantity %q is not a number of dynos (0 to %d)", num, scaler.MaxQuantity)})
	case len(strings.TrimLeft(num, "0")) > 3 || atoi(num) > scaler.MaxQuantity:
		p.errs.add(n, t.col, "quantity %s is over the platform's limit of %d dynos", num, scaler.MaxQuantity)
	default:
		r.Quantity = atoi(num)
	}
	if !hasSize {
		return
	}
	col := t.col + utf8.RuneCountInString(num) + 1
	if size == "" {
		p.errs.add(n, col, "missing size after ':'")
		return
	}
	canon, err := scaler.CanonicalSize(size)
	if err != nil {
		p.errs.addErr(n, col, err)
		return
	}
	r.Size = canon
}

// parseRestart reads restart or restart:rolling, in any case.
func (p *parser) parseRestart(r *Rule, n int, t token, suffix string, hasSuffix bool) {
	r.Restart = true
	if r.Tier == TierDefault {
		p.errs.add(n, t.col, "a default rule cannot be restart: it has no window to restart in; write daily or days such as Mon-Fri, with a time range")
	}
	if !hasSuffix {
		return
	}
	col := t.col + utf8.RuneCountInString("restart") + 1
	switch {
	case strings.EqualFold(suffix, restartSuffix):
		r.Rolling = true
	case suffix == "":
		p.errs.add(n, col, "missing %s after 'restart:'", restartSuffix)
	default:
		p.errs.addErr(n, col, &scaler.UnknownError{Word: suffix, Known: []string{restartSuffix},
			Msg: fmt.Sprintf("%q: restart takes no size, only %q: want restart (every dyno of the type at once) or restart:rolling (one at a time, each up before the next)", "restart:"+suffix, restartSuffix)})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
