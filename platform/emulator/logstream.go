package emulator

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// logStampLayout is how `heroku logs` stamps a line: microseconds and a
// numeric zone (+00:00 in UTC, never Z).
const logStampLayout = "2006-01-02T15:04:05.000000-07:00"

// maxLogLine is the longest line the stream carries; a longer output line
// is cut into pieces of this size (Logplex cuts lines at about 10 KB).
const maxLogLine = 10000

// maxHeldOutput is how much of a line a dyno is printing the stream keeps
// unredacted, waiting for the rest to tell whether it starts a secret.
// Past it, that much is cleaned as it stands: only a secret padded with
// thousands of invisible characters is held that long.
const maxHeldOutput = 4 * maxLogLine

// maxQueuedAppLines is how many app lines may wait for the writer. Past it,
// app lines are dropped, and counted in an L10 line as Logplex does, so
// that a reader who stops reading never blocks the dyno manager or a dyno.
const maxQueuedAppLines = 10000

// logStream is the app's log stream, in the form of `heroku logs`: one line
// per event or output line, each written whole by a single writer, so that
// lines from many dynos never interleave mid-line.
type logStream struct {
	w      io.Writer
	now    func() time.Time
	redact func(text []byte, more bool) ([]byte, int) // DynoConfig.Redact

	mu           sync.Mutex
	queue        []string
	appQueued    int
	dropped      int
	droppedSince time.Time
	closed       bool
	started      bool
	wake         chan struct{} // a line was queued, or the stream closed
	done         chan struct{} // the writer is done
}

// newLogStream returns the stream written to w. It prints what dynos
// print, cleaned by redact when given (DynoConfig.Redact) before a long line
// is cut; the emulator's caller filters the rest of its output.
func newLogStream(w io.Writer, now func() time.Time, redact func([]byte, bool) ([]byte, int)) *logStream {
	return &logStream{w: w, now: now, redact: redact, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// start runs the writer until close.
func (l *logStream) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started && !l.closed {
		l.started = true
		go l.write()
	}
}

// heroku logs one of the platform's events for a dyno: heroku[web.1]: ...
// Platform lines are never dropped.
func (l *logStream) heroku(dyno, msg string) { l.add("heroku["+dyno+"]: "+msg, false) }

// app logs a line a dyno printed: app[web.1]: ...
func (l *logStream) app(dyno, line string) { l.add("app["+dyno+"]: "+line, true) }

// output returns the writer of a dyno's output, which ends with end.
func (l *logStream) output(dyno string) *output {
	return &output{emit: func(line string) { l.app(dyno, line) }, redact: l.redact}
}

// output turns what a dyno prints into the stream's lines: one per line it
// prints, \r\n or \n ended, and a line longer than maxLogLine cut into
// pieces of that size, as Logplex cuts them. A line is redacted before it
// is cut, so that a secret is never shown in pieces (a filter downstream
// sees each piece alone); a line that is still being printed is redacted
// as it comes, but for a tail that may start a secret.
type output struct {
	emit   func(line string)
	redact func(text []byte, more bool) ([]byte, int) // nil: nothing to redact
	raw    []byte                                     // printed, not yet redacted
	clean  []byte                                     // the line's redacted text not yet emitted
}

func (o *output) Write(p []byte) (int, error) {
	o.raw = append(o.raw, p...)
	for {
		i := bytes.IndexByte(o.raw, '\n')
		if i < 0 {
			break
		}
		o.take(bytes.TrimSuffix(o.raw[:i], []byte("\r")), false)
		o.raw = o.raw[i+1:]
		o.flush(true)
	}
	if len(o.raw) >= maxLogLine {
		n := o.take(o.raw, true)
		if len(o.raw)-n >= maxHeldOutput {
			n += o.take(o.raw[n:], false)
		}
		o.raw = o.raw[n:]
		o.flush(false)
	}
	return len(p), nil
}

// end emits what is left of a last line without a newline.
func (o *output) end() {
	if len(o.raw) > 0 || len(o.clean) > 0 {
		o.take(o.raw, false)
		o.raw = nil
		o.flush(true)
	}
}

// take redacts the start of o.raw and keeps it for the line; it returns
// how many bytes it took.
func (o *output) take(text []byte, more bool) int {
	if o.redact == nil {
		o.clean = append(o.clean, text...)
		return len(text)
	}
	clean, n := o.redact(text, more)
	o.clean = append(o.clean, clean...)
	return n
}

// flush emits the line's full pieces and, once the line has ended, the
// rest. A piece is kept until more follows it: a line of exactly
// maxLogLine bytes is one line.
func (o *output) flush(ended bool) {
	for len(o.clean) > maxLogLine {
		o.emit(string(o.clean[:maxLogLine]))
		o.clean = o.clean[maxLogLine:]
	}
	if ended {
		o.emit(string(o.clean))
		o.clean = o.clean[:0]
	}
}

func (l *logStream) add(line string, droppable bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	now := l.now()
	if droppable {
		if l.appQueued >= maxQueuedAppLines {
			if l.dropped == 0 {
				l.droppedSince = now
			}
			l.dropped++
			return
		}
		l.appQueued++
	}
	l.queue = append(l.queue, stampLine(now, line))
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func stampLine(t time.Time, line string) string {
	return t.UTC().Format(logStampLayout) + " " + line + "\n"
}

// write is the single writer: it writes what is queued, in order, until the
// stream is closed and drained.
func (l *logStream) write() {
	defer close(l.done)
	var buf strings.Builder
	for {
		l.mu.Lock()
		batch, closed := l.queue, l.closed
		l.queue, l.appQueued = nil, 0
		if l.dropped > 0 {
			// The queue has room again: say what was lost, as Logplex does.
			batch = append(batch, stampLine(l.now(), "heroku[logplex]: Error L10 (output buffer overflow): "+
				strconv.Itoa(l.dropped)+" messages dropped since "+l.droppedSince.UTC().Format(time.RFC3339)+"."))
			l.dropped = 0
		}
		l.mu.Unlock()
		if len(batch) > 0 {
			buf.Reset()
			for _, line := range batch {
				buf.WriteString(line)
			}
			if _, err := io.WriteString(l.w, buf.String()); err != nil {
				// Nobody reads any more: queue nothing more either.
				l.mu.Lock()
				l.closed, l.queue = true, nil
				l.mu.Unlock()
				return
			}
			continue
		}
		if closed {
			return
		}
		<-l.wake
	}
}

// close stops taking lines and waits, at most wait, for the writer to write
// what was queued. A writer stuck on a reader who never reads is left
// behind: the process is about to exit.
func (l *logStream) close(wait time.Duration) {
	l.mu.Lock()
	l.closed = true
	started := l.started
	l.mu.Unlock()
	if !started {
		return
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
	}
}
