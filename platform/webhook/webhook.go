package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scalerdev/scaler/scaler"
)

// DefaultTimeout bounds one attempt when Config.Timeout is not set.
const DefaultTimeout = 3 * time.Second

// Config is what a Notifier needs.
type Config struct {
	// URL is the webhook; see Validate. Empty means no notifications.
	URL string
	// Redact is applied to every string sent (the text and every field),
	// and to the errors Notify returns; nil leaves them as they are. In
	// scaler it removes the API token.
	Redact func(string) string
	// Timeout bounds one attempt, from sending the request to reading the
	// answer; DefaultTimeout when zero or negative.
	Timeout time.Duration
	// Client sends the requests; when nil, a client of the Notifier's own
	// over a clone of http.DefaultTransport (no global is changed). Either
	// way, redirects are not followed: the Notifier uses a copy of Client
	// whose CheckRedirect refuses them.
	Client *http.Client
	// Log receives a failure to notify, at warn, and the retries and
	// deliveries at debug. Never the URL's path or query. Nil: no log.
	Log *slog.Logger
	// UserAgent names the sender, as scaler/VERSION; "scaler" when empty.
	UserAgent string
}

// A Notifier posts events to one webhook. It is safe for concurrent use. A
// nil *Notifier is valid and sends nothing: it is what New returns when no
// URL is configured.
type Notifier struct {
	url       string // to send to; holds the webhook's secret
	secrets   []string
	shown     string // what a person may see of url
	redact    func(string) string
	timeout   time.Duration
	client    *http.Client
	log       *slog.Logger
	userAgent string
}

// New returns a Notifier for cfg, or nil and no error when cfg.URL is empty
// (or spaces): notifications are optional. A URL that Validate refuses is an
// error wrapping scaler.ErrInvalid, which quotes the URL without its path
// and query.
func New(cfg Config) (*Notifier, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, nil
	}
	u, shown, err := parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	n := &Notifier{
		url:       u.String(),
		secrets:   secrets(u),
		shown:     shown,
		redact:    cfg.Redact,
		timeout:   cfg.Timeout,
		log:       cfg.Log,
		userAgent: cfg.UserAgent,
	}
	if n.redact == nil {
		n.redact = func(s string) string { return s }
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.userAgent == "" {
		n.userAgent = "scaler"
	}
	if cfg.Client != nil {
		c := *cfg.Client
		n.client = &c
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Notifications are rare: a kept-alive connection would only leave
		// its goroutines behind.
		t.DisableKeepAlives = true
		n.client = &http.Client{Transport: t}
	}
	// A redirect is not followed: on a 307 or 308 the client would send the
	// body again, to wherever the answer points; on a 301, 302 or 303 it
	// would turn the POST into a GET that delivers nothing. A webhook that
	// redirects is misconfigured, and the answer says so.
	n.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return n, nil
}

// String returns the webhook's URL without its path and query, so that a
// Notifier printed or logged by mistake does not reveal its secret.
func (n *Notifier) String() string {
	if n == nil {
		return "no notifications"
	}
	return n.shown
}

// How a failed attempt is retried.
const (
	// attempts bounds the attempts of one notification.
	attempts = 2
	// pause comes before the retry.
	pause = 500 * time.Millisecond
	// maxPause is the longest Retry-After honoured; an answer asking for a
	// longer wait is not retried, so that a notification never holds up
	// scaler for long.
	maxPause = time.Second
)

// Notify posts e to the webhook as JSON, and returns nil once the webhook
// answered 2xx. A nil *Notifier does nothing and returns nil.
//
// It never takes much longer than two attempts of Config.Timeout each and
// a pause of at most a second between them (about 7s with the default),
// and stops as soon as ctx is done. It retries once after a network error,
// an attempt that timed out, a 429 or a 5xx; never after a 4xx other than
// 429, a 3xx (redirects are not followed), a refused TLS certificate or the
// end of ctx. A retry may deliver the event twice when the first answer was
// lost.
//
// Every string of the body passes Config.Redact; a body in which Redact
// would still change something is not sent at all.
//
// A failure is logged at warn and returned; the error names the event and
// the webhook without its path and query, and wraps ctx's error when ctx
// ended it. Callers may ignore it, since it has been logged: a notification
// must not change what scaler does or its exit code.
func (n *Notifier) Notify(ctx context.Context, e scaler.Event) error {
	err := n.Send(ctx, e)
	if err != nil {
		e = n.clean(e)
		n.log.Warn("notify failed", "event", e.Kind, "app", e.App, "type", e.Type, "err", err)
	}
	return err
}

// Send sends e as Notify does, but leaves its failure to the caller to
// say: for a notification that is the command's whole point (notify
// --test).
func (n *Notifier) Send(ctx context.Context, e scaler.Event) error {
	if n == nil {
		return nil
	}
	return n.notify(ctx, n.clean(e))
}

func (n *Notifier) notify(ctx context.Context, e scaler.Event) error {
	op := fmt.Sprintf("notify %s to %s", e.Kind, n.shown)
	if e.Kind == "" {
		op = "notify to " + n.shown
	}
	body, err := n.body(e)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var last outcome
	for i := 1; i <= attempts; i++ {
		if i > 1 {
			n.log.Debug("notify retry", "event", e.Kind, "after", last.pause, "err", last.err)
			t := time.NewTimer(last.pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s: %s; then %w", op, last.err, ctx.Err())
			case <-t.C:
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		last = n.send(ctx, body)
		switch {
		case last.err == nil:
			n.log.Debug("notified", "event", e.Kind, "status", last.status, "attempts", i)
			return nil
		case last.cause != nil:
			return fmt.Errorf("%s: %w", op, last.cause)
		case !last.retry:
			return fmt.Errorf("%s: %s", op, last.err)
		}
	}
	return fmt.Errorf("%s: %s (%d attempts)", op, last.err, attempts)
}

// payload is the body: Slack reads text and ignores the rest.
type payload struct {
	Text     string `json:"text"`
	Event    string `json:"event"`
	App      string `json:"app,omitempty"`
	Type     string `json:"type,omitempty"`
	ExitCode int    `json:"exit_code,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Action   string `json:"action,omitempty"`
}

// clean returns e redacted, each field one line, with the kind's action when
// it has none.
func (n *Notifier) clean(e scaler.Event) scaler.Event {
	// Redacted before it is cut to length, so that a secret at the cut
	// is removed whole, and again after, for what the cut made.
	for _, s := range []*string{&e.Kind, &e.App, &e.Type, &e.Detail, &e.Action} {
		*s = n.redact(*s)
	}
	e = e.Tidy()
	for _, s := range []*string{&e.Kind, &e.App, &e.Type, &e.Detail, &e.Action} {
		*s = n.redact(*s)
	}
	return e
}

// body encodes e, cleaned; it refuses a body that Redact would change.
func (n *Notifier) body(e scaler.Event) ([]byte, error) {
	p := payload{
		Text:     n.redact(slackEscape(e.Text())),
		Event:    e.Kind,
		App:      e.App,
		Type:     e.Type,
		ExitCode: e.ExitCode,
		Detail:   e.Detail,
		Action:   e.Action,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	// Every field was redacted; the body as a whole is checked too, in case
	// a secret shows only once encoded.
	if s := b.String(); n.redact(s) != s {
		return nil, errors.New("not sent: the body holds what Redact removes")
	}
	return b.Bytes(), nil
}

// slackEscape escapes what Slack reads as markup in text: "<!channel>" in
// a job's error would otherwise page a whole channel.
func slackEscape(text string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
}

// outcome is the result of one attempt.
type outcome struct {
	status int           // the answer's status, 0 when none
	err    error         // nil: delivered
	cause  error         // ctx's error, when ctx ended the attempt
	retry  bool          // whether another attempt may succeed
	pause  time.Duration // before another attempt
}

// send makes one attempt, bounded by n.timeout.
func (n *Notifier) send(ctx context.Context, body []byte) outcome {
	actx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: errors.New(n.scrub(err.Error()))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", n.userAgent)
	resp, err := n.client.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return outcome{cause: ctx.Err(), err: ctx.Err()}
		case actx.Err() != nil:
			return outcome{err: fmt.Errorf("no answer within %s", n.timeout), retry: true, pause: pause}
		}
		// url.Error's message quotes the whole URL; what is underneath
		// names at most the host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return outcome{err: errors.New(n.scrub(err.Error())), retry: !certificate(err), pause: pause}
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return outcome{status: code}
	}
	// The reason phrase comes from the receiver: the standard one is used.
	o := outcome{status: code, err: fmt.Errorf("answered %d %s", code, http.StatusText(code))}
	switch {
	case code == http.StatusTooManyRequests:
		o.retry, o.pause = true, pause
		if d, ok := scaler.RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if d > maxPause {
				o.retry = false
				o.err = fmt.Errorf("%w, to try again after %s", o.err, d.Round(time.Second))
			} else {
				o.pause = d
			}
		}
	case code >= 500:
		o.retry, o.pause = true, pause
	case code >= 300 && code < 400:
		o.err = fmt.Errorf("%w: a redirect, not followed: the webhook's URL has moved", o.err)
	}
	// What a webhook says about its refusal ("no_service",
	// "invalid_token") is what a person needs to fix it.
	if s := n.snippet(resp.Body); s != "" {
		o.err = fmt.Errorf("%w: %s", o.err, s)
	}
	return o
}

// snippetMax bounds what is read of an error answer.
const snippetMax = 200

// snippet returns the start of an error answer's body, on one line, free of
// the URL's secrets.
func (n *Notifier) snippet(r io.Reader) string {
	// Scrubbed before it is cut: a secret that the cut went through would
	// otherwise show its start. So read enough for the longest one more.
	longest := 0
	if len(n.secrets) > 0 {
		longest = len(n.secrets[0])
	}
	b, _ := io.ReadAll(io.LimitReader(r, int64(snippetMax+longest)))
	more := len(b) > snippetMax
	s := n.scrub(strings.Join(strings.FieldsFunc(strings.ToValidUTF8(string(b), ""), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " "))
	if len(s) > snippetMax {
		s, more = s[:snippetMax], true
	}
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	if more {
		s += "…"
	}
	return s
}

// secrets returns what in a webhook URL may be its secret, longest first:
// its path and query whole, and each long segment of them, which a
// receiver may echo alone.
func secrets(u *url.URL) []string {
	var s []string
	if len(u.Path) > 1 {
		s = append(s, u.EscapedPath(), u.Path)
		for _, seg := range strings.Split(u.Path, "/") {
			if len(seg) >= minSecret {
				s = append(s, seg, url.PathEscape(seg))
			}
		}
	}
	if u.RawQuery != "" {
		s = append(s, u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) >= minSecret {
					s = append(s, v, url.QueryEscape(v))
				}
			}
		}
	}
	slices.SortFunc(s, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(s)
}

// minSecret is the length from which one segment of a URL's path or one
// value of its query is taken for a secret on its own. Slack's secret
// segment is 24 characters; its team and channel ids (T0123ABCD) are not
// secrets and read better left in an error.
const minSecret = 16

// scrub removes the URL's secrets from s, then redacts it.
func (n *Notifier) scrub(s string) string {
	for _, secret := range n.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "…")
		}
	}
	return n.redact(s)
}

// certificate reports whether err is a refused TLS certificate, which a
// second attempt would meet again.
func certificate(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
