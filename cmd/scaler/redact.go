package main

import (
	"bytes"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// redacted is what a secret prints as.
const redacted = "[redacted]"

// minSecret is the shortest secret that is redacted: a shorter one (the
// emulator takes any token, as `HEROKU_API_KEY=any`) cannot be told from
// ordinary text, and Heroku's tokens are far longer.
const minSecret = 8

// redactor removes secrets (the API token, a URL's password) from all that
// scaler writes, at the one place where output leaves the process: its
// stdout and its stderr, which carry the results and the log. It works on
// whole lines, after decoding, so that a secret that an API or a proxy
// echoes back in another form is found too: JSON, Go or percent escapes
// (\u0048, \x48, %48), HTML character references (&#72;), or with
// invisible characters (zero-width spaces, soft hyphens) inside it.
type redactor struct {
	mu      sync.Mutex
	secrets [][]rune
}

// add makes s a secret, when it is long enough to be one.
func (r *redactor) add(s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) < minSecret {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, []rune(s))
}

// addURL makes the password of a URL a secret.
func (r *redactor) addURL(raw string) {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			r.add(pw)
		}
		return
	}
	// Not a URL, but it may still hold user:password@.
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		if userinfo, _, ok := strings.Cut(rest, "@"); ok {
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				r.add(pw)
			}
		}
	}
}

// clean returns text with every secret replaced by [redacted].
func (r *redactor) clean(text []byte) []byte {
	out, _ := r.cleanStart(text, false)
	return out
}

// cutReach is how far cutShort reads past a secret's shared runes: what a
// cut escape leaves of itself (10 runes) and three dots.
const cutReach = 13

// escapeReach is how many bytes from its end a text still to be continued
// may decode otherwise once its rest comes: an escape cut by the end, even
// one escaped twice over (\u0026#x48;). Deeper layers are an adversary's,
// not an accident's.
const escapeReach = 128

// cleanStart is clean for a line that may go on: with more, text is the
// start of a line whose rest is still to come (the dyno manager's log
// stream cuts a long line into pieces, and redacts before it cuts). It
// returns text cleaned, and how many bytes of text that covers: all of
// them unless more, when it leaves out the tail that the rest may make a
// secret of (the start of a secret, of an escape, or of a secret's start
// cut short), which the caller hands over again with what follows. So a
// secret is redacted whole wherever the line is cut. The result may share
// text's memory.
func (r *redactor) cleanStart(text []byte, more bool) ([]byte, int) {
	r.mu.Lock()
	secrets := r.secrets
	r.mu.Unlock()
	if len(secrets) == 0 {
		return text, len(text)
	}
	view, spans := decode(text)
	// The view up to end is what the rest cannot change; the text up to
	// hold is what is cleaned now.
	end, hold := len(view), len(text)
	if more {
		end = sort.Search(len(spans), func(k int) bool { return spans[k].start > len(text)-escapeReach })
		if end < len(spans) {
			hold = spans[end].start
		}
		for _, secret := range secrets {
			// A start of the secret that runs to the end may go on in the
			// rest; one long enough may be followed by the mark of a cut.
			for i := max(0, end-len(secret)-cutReach); i < end; i++ {
				n := shared(view[i:end], secret)
				if n > 0 && n < len(secret) && (i+n == end || n >= minSecret && i+n+cutReach > end) {
					hold = min(hold, spans[i].start)
					break
				}
			}
		}
	}
	type cut struct{ start, end int }
	var cuts []cut
	for _, secret := range secrets {
		for i := 0; i < end; i++ {
			n := shared(view[i:end], secret)
			// The whole secret; or, cut short where a message was cut to
			// length (its end marked … or ...), a start of it long enough
			// to be one.
			if n == len(secret) || n >= minSecret && cutShort(view[i+n:end]) {
				cuts = append(cuts, cut{spans[i].start, spans[i+n-1].end})
				i += n - 1
			}
		}
	}
	// Cuts are found secret by secret: put them in order. One that runs
	// past hold is left whole for later, with what follows it.
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].start < cuts[j].start })
	for straddled := true; straddled; {
		straddled = false
		for _, c := range cuts {
			if c.start < hold && c.end > hold {
				hold, straddled = c.start, true
			}
		}
	}
	text = text[:hold]
	if len(cuts) == 0 || cuts[0].start >= hold {
		return text, hold
	}
	// Overlapping cuts merge.
	var out bytes.Buffer
	at := 0
	for _, c := range cuts {
		if c.start >= hold {
			break
		}
		if c.end <= at {
			continue
		}
		if c.start >= at {
			out.Write(text[at:c.start])
			out.WriteString(redacted)
		}
		at = c.end
	}
	out.Write(text[at:])
	return out.Bytes(), hold
}

// span is where a decoded rune stands in the original text.
type span struct{ start, end int }

// decode reads text as a person would: escapes decoded, layer by layer (a
// JSON writer escapes the & of an HTML reference as \u0026), and invisible
// characters dropped. It returns the runes read, and for each the bytes of
// text it came from.
func decode(text []byte) ([]rune, []span) {
	view := make([]rune, 0, len(text))
	spans := make([]span, 0, len(text))
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		view = append(view, r)
		spans = append(spans, span{i, i + n})
		i += n
	}
	for layer := 0; layer < 3; layer++ {
		next, nextSpans := make([]rune, 0, len(view)), make([]span, 0, len(view))
		changed := false
		for i := 0; i < len(view); {
			r, n := escaped(view[i:])
			if n == 0 {
				r, n = view[i], 1
			} else {
				changed = true
			}
			if !invisible(r) {
				next = append(next, r)
				nextSpans = append(nextSpans, span{spans[i].start, spans[i+n-1].end})
			} else {
				changed = true
			}
			i += n
		}
		view, spans = next, nextSpans
		if !changed {
			break
		}
	}
	return view, spans
}

// escaped decodes the escape that s starts with, if any: \uXXXX,
// \UXXXXXXXX, \xXX, %XX, &#N; or &#xX;. n is 0 when s starts with none.
func escaped(s []rune) (r rune, n int) {
	number := func(digits []rune, base int) (rune, bool) {
		if len(digits) == 0 || len(digits) > 8 {
			return 0, false
		}
		v, err := strconv.ParseUint(string(digits), base, 32)
		return rune(v), err == nil && v <= unicode.MaxRune
	}
	hex := func(from, size int) (rune, bool) {
		if len(s) < from+size {
			return 0, false
		}
		return number(s[from:from+size], 16)
	}
	switch {
	case len(s) > 1 && s[0] == '\\' && s[1] == 'u':
		if r, ok := hex(2, 4); ok {
			return r, 6
		}
	case len(s) > 1 && s[0] == '\\' && s[1] == 'U':
		if r, ok := hex(2, 8); ok {
			return r, 10
		}
	case len(s) > 1 && s[0] == '\\' && s[1] == 'x':
		if r, ok := hex(2, 2); ok {
			return r, 4
		}
	case len(s) > 0 && s[0] == '%':
		if r, ok := hex(1, 2); ok {
			return r, 3
		}
	case len(s) > 2 && s[0] == '&' && s[1] == '#':
		end := slices.Index(s[:min(len(s), 12)], ';')
		if end < 0 {
			return 0, 0
		}
		digits, base := s[2:end], 10
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			digits, base = digits[1:], 16
		}
		if r, ok := number(digits, base); ok {
			return r, end + 1
		}
	}
	return 0, 0
}

// invisible reports whether a rune shows as nothing: format characters
// (zero-width spaces and joiners, soft hyphens, byte-order marks).
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r)
}

// shared returns how many runes a and b have in common at their start.
func shared(a, b []rune) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// cutShort reports whether rest starts with the mark of a text cut to
// length (an ellipsis, or three dots), after what may be left of an escape
// that the cut went through (&#9, \u00).
func cutShort(rest []rune) bool {
	for i := 0; i < len(rest) && i <= 10; i++ {
		switch r := rest[i]; {
		case r == '…' || r == '.' && i+2 < len(rest) && rest[i+1] == '.' && rest[i+2] == '.':
			return true
		case !strings.ContainsRune(`&#;\%uUxX`, r) && !unicode.Is(unicode.ASCII_Hex_Digit, r):
			return false
		}
	}
	return false
}

// lines is a writer that hands whole lines to the redactor before they
// reach w; Flush writes what is left of an unfinished line. A line ends at
// \n or \r (a terminal line updated in place).
type lines struct {
	r  *redactor
	w  io.Writer
	mu sync.Mutex
	b  []byte
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	for {
		i := bytes.IndexAny(l.b, "\n\r")
		if i < 0 {
			return len(p), nil
		}
		if _, err := l.w.Write(l.r.clean(l.b[:i+1])); err != nil {
			l.b = l.b[i+1:]
			return len(p), err
		}
		l.b = l.b[i+1:]
	}
}

// Flush writes the rest of an unfinished line.
func (l *lines) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.b) == 0 {
		return nil
	}
	_, err := l.w.Write(l.r.clean(l.b))
	l.b = nil
	return err
}
