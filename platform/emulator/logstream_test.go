package emulator

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A line longer than Logplex's limit is cut into pieces; a last line
// without a newline comes out when the output ends.
func TestLongOutputLinesAreCut(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\n", "web=0", nil)
	if status, body := f.do(t, "POST", "/apps/demo/dynos", `{"command":"printf 'x%.0s' $(seq 1 25000); echo; printf 'tail without newline'"}`); status != 201 {
		t.Fatalf("POST = %d %s", status, body)
	}
	f.log.next(t, `app\[run\.1\]: tail without newline$`)
	f.log.next(t, `heroku\[run\.1\]: Process exited with status 0$`)
	var sizes []int
	for _, l := range strings.Split(f.log.String(), "\n") {
		if _, text, ok := strings.Cut(l, " app[run.1]: "); ok && strings.Trim(text, "x") == "" {
			sizes = append(sizes, len(text))
		}
	}
	if len(sizes) != 3 || sizes[0] != maxLogLine || sizes[1] != maxLogLine || sizes[2] != 5000 {
		t.Errorf("a 25000-byte line came out as pieces of %v", sizes)
	}
}

// holdRedact is a redactor of one secret as DynoConfig.Redact takes it:
// with more, it keeps back a tail that may start the secret.
func holdRedact(secret string) func([]byte, bool) ([]byte, int) {
	return func(text []byte, more bool) ([]byte, int) {
		n := len(text)
		for k := min(len(secret)-1, n); more && k > 0; k-- {
			if bytes.HasSuffix(text, []byte(secret[:k])) {
				n -= k
				break
			}
		}
		return bytes.ReplaceAll(text[:n], []byte(secret), []byte("[redacted]")), n
	}
}

// A long line is redacted before it is cut: a secret across the cut, or
// across any multiple of it, is never shown in pieces, however the dyno's
// output comes in; and each piece but the last is maxLogLine long.
func TestLongLinesAreRedactedBeforeTheyAreCut(t *testing.T) {
	const secret = "SECRET-VALUE"
	x := func(n int) string { return strings.Repeat("x", n) }
	var lines []string
	for k := 1; k <= 3; k++ {
		for d := 1; d < len(secret); d++ {
			// The secret from k*maxLogLine-d on, the line going on after it.
			lines = append(lines, x(k*maxLogLine-d)+secret+x(maxLogLine/2))
		}
	}
	// A secret across every multiple of the cut, where the cuts fall in
	// the redacted line ("[redacted]" is shorter than the secret).
	var every strings.Builder
	for k := 1; k <= 4; k++ {
		every.WriteString(x(k*maxLogLine - 4 - every.Len() + (k-1)*(len(secret)-len("[redacted]"))))
		every.WriteString(secret)
	}
	lines = append(lines, every.String(), x(maxLogLine))
	for _, chunk := range []int{4096, 1000, 333, 1 << 20} {
		for _, line := range lines {
			var got []string
			o := &output{emit: func(l string) { got = append(got, l) }, redact: holdRedact(secret)}
			for rest := line + "\n"; rest != ""; {
				n := min(chunk, len(rest))
				o.Write([]byte(rest[:n]))
				rest = rest[n:]
			}
			o.end()
			want := strings.ReplaceAll(line, secret, "[redacted]")
			if strings.Join(got, "") != want {
				t.Fatalf("a line of %d bytes with its secret at %d, in chunks of %d, came out as %d pieces that are not the line redacted", len(line), strings.Index(line, secret), chunk, len(got))
			}
			for i, piece := range got {
				if len(piece) != maxLogLine && i < len(got)-1 || len(piece) > maxLogLine || len(piece) == 0 {
					t.Fatalf("a line of %d bytes, in chunks of %d, came out as pieces of %v bytes", len(line), chunk, lens(got))
				}
			}
		}
	}
}

// A redactor that would hold a line back for ever does not make the
// stream hold it all: past maxHeldOutput, it is cleaned as it stands.
func TestHeldOutputIsBounded(t *testing.T) {
	var got []string
	o := &output{emit: func(l string) { got = append(got, l) }, redact: func(text []byte, more bool) ([]byte, int) {
		if more {
			return nil, 0
		}
		return text, len(text)
	}}
	chunk := []byte(strings.Repeat("x", 4096))
	for range 100 {
		o.Write(chunk)
		if len(o.raw) >= maxHeldOutput+len(chunk) {
			t.Fatalf("%d bytes held", len(o.raw))
		}
	}
	if len(got) < 100*len(chunk)/maxLogLine-maxHeldOutput/maxLogLine-1 {
		t.Errorf("%d pieces emitted while 100 chunks were written", len(got))
	}
	o.end()
	if n := len(strings.Join(got, "")); n != 100*len(chunk) {
		t.Errorf("%d bytes emitted, want %d", n, 100*len(chunk))
	}
}

func lens(ss []string) []int {
	var n []int
	for _, s := range ss {
		n = append(n, len(s))
	}
	return n
}

// blockedWriter holds every write until released, like a reader who has
// stopped reading.
type blockedWriter struct {
	entered chan struct{} // a write is held
	once    sync.Once
	release chan struct{}
	mu      sync.Mutex
	buf     strings.Builder
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// A reader who stops reading never blocks the platform: app lines beyond
// the queue's bound are dropped and counted, as Logplex's L10 error says;
// the platform's own lines are kept; the token is never written.
func TestLogStreamOverflowAndRedaction(t *testing.T) {
	w := &blockedWriter{entered: make(chan struct{}), release: make(chan struct{})}
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	l := newLogStream(w, func() time.Time { return at }, nil)
	l.start()
	l.heroku("web.1", "first, held by the reader")
	<-w.entered
	for i := range maxQueuedAppLines + 50 {
		l.app("web.1", "line "+strconv.Itoa(i))
	}
	l.heroku("web.1", "Process exited with status 143")
	close(w.release)
	l.close(5 * time.Second)
	out := w.buf.String()
	for _, want := range []string{
		"2026-11-30T02:00:00.000000+00:00 heroku[web.1]: first, held by the reader\n",
		"heroku[web.1]: Process exited with status 143\n",
		"heroku[logplex]: Error L10 (output buffer overflow): ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the stream lacks %q", want)
		}
	}
	if n := strings.Count(out, " app[web.1]: line "); n > maxQueuedAppLines+1 || n < maxQueuedAppLines-1 {
		t.Errorf("%d app lines written, want about %d", n, maxQueuedAppLines)
	}
	// Nothing is written after close, and a closed stream never blocks.
	l.app("web.1", "late")
	if strings.Contains(w.buf.String(), "late") {
		t.Error("a line written after close")
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30 seconds", time.Second: "1 second", 300 * time.Millisecond: "0.3 seconds", 90 * time.Second: "90 seconds"} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}
