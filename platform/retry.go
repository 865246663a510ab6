package platform

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// RetryPolicy says how the client retries failed requests and paces
// requests when the account's shared budget runs low. Zero fields take the
// defaults.
type RetryPolicy struct {
	// Attempts bounds how many times one request is sent (default 6).
	Attempts int
	// BaseDelay and MaxDelay bound the backoff between attempts (250ms, 8s).
	BaseDelay, MaxDelay time.Duration
	// LowWater is the RateLimit-Remaining below which requests are paced at
	// the bucket's refill rate, one per Refill (100; 800ms, which is the
	// platform's 75 requests a minute).
	LowWater int
	Refill   time.Duration
}

// DefaultRetryPolicy is the policy of a zero RetryPolicy. With it, a request
// that fails every time gives up after about 8 seconds of backoff.
var DefaultRetryPolicy = RetryPolicy{Attempts: 6, BaseDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second, LowWater: 100, Refill: 800 * time.Millisecond}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	return RetryPolicy{
		Attempts:  cmp.Or(p.Attempts, d.Attempts),
		BaseDelay: cmp.Or(p.BaseDelay, d.BaseDelay),
		MaxDelay:  cmp.Or(p.MaxDelay, d.MaxDelay),
		LowWater:  cmp.Or(p.LowWater, d.LowWater),
		Refill:    cmp.Or(p.Refill, d.Refill),
	}
}

// Backoff returns the pause before retry n (1 for the first retry): the
// capped exponential BaseDelay·2^(n-1), of which the upper half is jittered
// by r in [0, 1), so that many clients failing together do not retry in step.
func (p RetryPolicy) Backoff(n int, r float64) time.Duration {
	d := p.MaxDelay
	if n < 32 {
		d = min(p.MaxDelay, p.BaseDelay<<(n-1))
	}
	return d/2 + time.Duration(r*float64(d/2))
}

type ctxKey int

const (
	headersKey ctxKey = iota
	ifMatchKey
	acceptKey
)

// withHeaders asks for the headers of the final answer to be copied into h.
func withHeaders(ctx context.Context, h *http.Header) context.Context {
	return context.WithValue(ctx, headersKey, h)
}

// withIfMatch makes the requests under ctx conditional on version (an
// ETag): the platform refuses them with 412 when the resource has changed.
// heroku-go cannot set a request header, so the transport sets it.
func withIfMatch(ctx context.Context, version string) context.Context {
	if version == "" {
		return ctx
	}
	return context.WithValue(ctx, ifMatchKey, version)
}

// withAccept sends the requests under ctx with another Accept header than
// heroku-go's, which the transport sets.
func withAccept(ctx context.Context, accept string) context.Context {
	return context.WithValue(ctx, acceptKey, accept)
}

// idempotent reports whether a request may be sent again when its answer
// was lost. Reads may. A write (PATCH, POST) is never sent twice by the
// transport, even an absolute one: the caller reads back and decides,
// knowing what the write meant (scaler.Service.Apply). Nor is a DELETE,
// which restarts dynos: a restart window restarts a type once per
// occurrence, and a second restart would cut what the first started; the
// next apply reads the dynos and decides.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// transport sits under heroku-go's Transport (which adds the Accept header,
// the token and the User-Agent) and over the network. It retries what is
// safe to retry, paces requests when the account's budget runs low, reads
// every answer whole (so a truncated body is a failed attempt, not a
// decoding error later), and turns every answer that is not 2xx into an
// *APIError (wrapped as ErrUncertain for a write whose outcome a 5xx leaves
// unknown), and a 2xx whose body is not JSON into an error too; so a
// redirect is never followed, and the token never travels to another host.
type transport struct {
	next   http.RoundTripper
	policy RetryPolicy
	log    *slog.Logger
	jitter func() float64

	mu        sync.Mutex
	remaining int // last RateLimit-Remaining seen; -1 before the first
	nextSlot  time.Time
	warned    bool
}

func newTransport(next http.RoundTripper, p RetryPolicy, log *slog.Logger) *transport {
	return &transport{next: next, policy: p.withDefaults(), log: log, jitter: rand.Float64, remaining: -1}
}

// maxBody bounds what is read of one answer.
const maxBody = 8 << 20

// RoundTrip sends req until it succeeds, fails in a way that retrying
// cannot mend, runs out of attempts, or ctx is done. It returns either a
// 2xx response whose body is fully read, or an error.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	safe := idempotent(req)
	for attempt := 1; ; attempt++ {
		if err := t.pace(ctx); err != nil {
			return nil, err
		}
		r, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		if version, ok := ctx.Value(ifMatchKey).(string); ok {
			if r == req {
				r = req.Clone(ctx)
			}
			r.Header.Set("If-Match", version)
		}
		if accept, ok := ctx.Value(acceptKey).(string); ok {
			if r == req {
				r = req.Clone(ctx)
			}
			r.Header.Set("Accept", accept)
		}
		began := time.Now()
		resp, err := t.next.RoundTrip(r)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
		}
		t.trace(r, attempt, resp, err, time.Since(began))

		final, retry, wait := t.judge(ctx, req, safe, attempt, resp, body, err)
		if !retry || attempt >= t.policy.Attempts {
			if final == nil {
				t.keepHeaders(ctx, resp.Header)
				resp.Body = io.NopCloser(bytes.NewReader(body))
				resp.ContentLength = int64(len(body))
				return resp, nil
			}
			if resp != nil {
				t.keepHeaders(ctx, resp.Header)
			}
			var ae *APIError
			if errors.As(final, &ae) {
				ae.Attempts = attempt
			}
			return nil, final
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would outlast the command: give up now, saying why.
			return nil, final
		}
		t.log.Warn("api retry", "method", req.Method, "path", req.URL.Path, "attempt", attempt, "wait", wait.Round(time.Millisecond), "err", final)
		if err := scaler.Sleep(ctx, wait); err != nil {
			// What stopped the wait (a signal, the deadline) is said,
			// and kept for errors.Is and errors.As.
			return nil, fmt.Errorf("%w (%w)", final, cutShort{err})
		}
	}
}

// cutShort is a request's context ending before the answer came, or
// between two attempts, said in words: it wraps what ended it (the
// context's cause: DeadlineExceeded, or the signal or reason that
// cancelled it), for errors.Is and errors.As.
type cutShort struct{ err error }

func (c cutShort) Error() string {
	if errors.Is(c.err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	return "stopped before the answer came"
}

func (c cutShort) Unwrap() error { return c.err }

// judge decides what an attempt's outcome means: the error to report if it
// is the last, whether another attempt may help, and how long to wait first.
func (t *transport) judge(ctx context.Context, req *http.Request, safe bool, attempt int, resp *http.Response, body []byte, err error) (final error, retry bool, wait time.Duration) {
	backoff := t.policy.Backoff(attempt, t.jitter())
	if err != nil {
		if ctx.Err() != nil {
			if safe {
				return scaler.Errorf(scaler.ErrUnavailable, "%s %s: %w", req.Method, req.URL.Path, cutShort{context.Cause(ctx)}), false, 0
			}
			return scaler.Errorf(scaler.ErrUncertain, "%s %s: %w: the change may or may not have landed", req.Method, req.URL.Path, cutShort{context.Cause(ctx)}), false, 0
		}
		if neverSent(err) {
			return scaler.Errorf(scaler.ErrUnavailable, "cannot reach the API: %v", err), true, backoff
		}
		if !safe {
			return scaler.Errorf(scaler.ErrUncertain, "the connection failed before the answer to %s %s came (%v): the change may or may not have landed", req.Method, req.URL.Path, err), false, 0
		}
		return scaler.Errorf(scaler.ErrUnavailable, "the connection failed: %v", err), true, backoff
	}
	if resp.StatusCode/100 == 2 {
		if req.Method == http.MethodDelete || json.Valid(body) {
			return nil, false, 0
		}
		// An answer that says yes with a body that is not JSON (an empty
		// body, a proxy's maintenance page) is not the API's.
		broken := fmt.Sprintf("the API answered %s %s with %d and a body that is not JSON (%q)", req.Method, req.URL.Path, resp.StatusCode, clean(htmlText(string(body)), 120))
		if !safe {
			return scaler.Errorf(scaler.ErrUncertain, "%s: the write may or may not have landed", broken), false, 0
		}
		return scaler.Errorf(scaler.ErrUnavailable, "%s", broken), true, backoff
	}
	ae := DecodeError(resp.StatusCode, body)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// The platform refused the request before doing anything: safe to
		// send again, after Retry-After when it says (it may not).
		if d, ok := scaler.RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return ae, true, d
		}
		return ae, true, backoff
	case resp.StatusCode >= 500 && safe:
		return ae, true, backoff
	case resp.StatusCode >= 500:
		return scaler.Errorf(scaler.ErrUncertain, "the write %s %s failed with %w: the change may or may not have landed", req.Method, req.URL.Path, ae), false, 0
	}
	// Any other answer is the platform's decision, and final; a 422 too.
	// While a release phase or Preboot runs, the platform refuses formation
	// changes for a while, but no status or id tells that refusal from the
	// lasting ones (the Eco and Basic limits, an app not deployed yet),
	// which share 422 invalid_params; only its words do, and they are not
	// a contract. Resending any 422 would be safe (a refusal changes
	// nothing, and the write stays conditional), but not worth it: every
	// lasting refusal would cost a person the whole retry budget, and the
	// account attempts from its shared budget, to be refused again, while
	// that budget (seconds) is far shorter than a release phase (up to an
	// hour) or a Preboot (minutes), so it would seldom outlast one. The
	// callers that must land a write outlast it themselves: run's scale-down
	// tries again until --finish-timeout, and apply, which is
	// level-triggered, at its next run.
	return ae, false, 0
}

// neverSent reports whether a network error happened before the request
// could reach the server (so that sending it again cannot apply it twice).
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// rewind returns the request for an attempt, with a fresh body.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, scaler.Errorf(scaler.ErrUnavailable, "cannot resend %s %s: its body cannot be read twice", req.Method, req.URL.Path)
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// pace holds a request back while the account's budget is low, letting
// requests out at the bucket's refill rate across the whole process.
func (t *transport) pace(ctx context.Context) error {
	t.mu.Lock()
	left := t.remaining
	if left < 0 || left >= t.policy.LowWater {
		t.mu.Unlock()
		return nil
	}
	now := time.Now()
	slot := now
	if t.nextSlot.After(slot) {
		slot = t.nextSlot
	}
	t.nextSlot = slot.Add(t.policy.Refill)
	warn := !t.warned
	t.warned = true
	t.mu.Unlock()

	if warn {
		t.log.Warn("api budget low", "remaining", left, "pace", t.policy.Refill)
	}
	wait := slot.Sub(now)
	if deadline, ok := ctx.Deadline(); ok && now.Add(wait).After(deadline) {
		are := strconv.Itoa(left) + " requests are"
		if left == 1 {
			are = "1 request is"
		}
		return scaler.Errorf(scaler.ErrRateLimited, "only %s left in the account's API budget, and waiting for more would pass the deadline", are)
	}
	return scaler.Sleep(ctx, wait)
}

func (t *transport) trace(r *http.Request, attempt int, resp *http.Response, err error, took time.Duration) {
	if resp != nil {
		if n, perr := strconv.Atoi(resp.Header.Get("RateLimit-Remaining")); perr == nil {
			t.mu.Lock()
			t.remaining = n
			if n >= t.policy.LowWater {
				t.warned = false
			}
			t.mu.Unlock()
		}
		if w := resp.Header.Get("X-Heroku-Warning"); w != "" {
			// heroku-go would print it with the standard logger; say it here.
			t.log.Warn("api warning", "path", r.URL.Path, "warning", w)
			resp.Header.Del("X-Heroku-Warning")
		}
	}
	if !t.log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	args := []any{"method", r.Method, "path", r.URL.Path, "attempt", attempt, "ms", took.Milliseconds()}
	if resp != nil {
		args = append(args, "status", resp.StatusCode, "remaining", resp.Header.Get("RateLimit-Remaining"), "request_id", resp.Header.Get("Request-Id"))
	}
	if err != nil {
		args = append(args, "err", err)
	}
	t.log.Debug("api request", args...)
}

func (t *transport) keepHeaders(ctx context.Context, h http.Header) {
	if dst, ok := ctx.Value(headersKey).(*http.Header); ok {
		*dst = h.Clone()
	}
}
