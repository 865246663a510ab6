package emulator

import (
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
	l := newLogStream(w, func() time.Time { return at })
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
