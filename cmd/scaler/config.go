package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/scalerdev/scaler/platform"
	"github.com/scalerdev/scaler/platform/webhook"
	"github.com/scalerdev/scaler/scaler"
)

// The environment variables scaler reads.
const (
	envToken    = "HEROKU_API_KEY"
	envApp      = "HEROKU_APP"
	envAppName  = "HEROKU_APP_NAME" // set in dynos by `heroku labs:enable runtime-dyno-metadata`
	envAPIURL   = "HEROKU_API_URL"
	envHost     = "HEROKU_HOST" // the official CLI's: another API host, when HEROKU_API_URL is not set
	envDyno     = "DYNO"
	envLogLevel = "SCALER_LOG_LEVEL"
	envNotify   = "SCALER_NOTIFY_URL"
)

// resolveApp returns the app from --app (flagValue), HEROKU_APP or
// HEROKU_APP_NAME.
func (a *App) resolveApp(flagValue string) (string, error) {
	name, from := flagValue, "--app"
	for _, env := range []string{envApp, envAppName} {
		if name != "" {
			break
		}
		name, from = strings.TrimSpace(a.Getenv(env)), env
	}
	if name == "" {
		return "", scaler.Errorf(scaler.ErrInvalid,
			"no app given: pass -a/--app NAME, or set %s or %s (in a dyno, `heroku labs:enable runtime-dyno-metadata` sets %s)", envApp, envAppName, envAppName)
	}
	if !scaler.ValidApp(name) {
		return "", scaler.Errorf(scaler.ErrInvalid, "app %q (from %s) is not an app name (3 to 30 lowercase letters, digits and dashes) or an app id", name, from)
	}
	return name, nil
}

// The least scope a token needs for what a command sends: to scale, or
// only to read (plan --cost's prices, GET /dyno-sizes).
const (
	scopeWrite = "write"
	scopeRead  = "read"
)

// token returns the API token from HEROKU_API_KEY, never from a flag:
// flags show up in `ps` and in Scheduler's logged command line. scope is
// the least the command needs, which a missing token's error asks for.
func (a *App) token(scope string) (platform.Token, error) {
	raw := strings.TrimSpace(a.Getenv(envToken))
	switch {
	case raw == "" && scope == scopeRead:
		return platform.Token{}, scaler.Errorf(scaler.ErrInvalid,
			"%s is not set: a token that can read is enough, such as `heroku authorizations:create --scope read --description scaler` creates; set %s to it in the environment (never on a command line)", envToken, envToken)
	case raw == "":
		return platform.Token{}, scaler.Errorf(scaler.ErrInvalid,
			"%s is not set: create a token with `heroku authorizations:create --scope write --description scaler` and store it with `heroku config:set %s=...` (never on a command line)", envToken, envToken)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// Said without the value, which must never be printed.
		return platform.Token{}, scaler.Errorf(scaler.ErrInvalid, "%s holds white space or control characters: it is not a token", envToken)
	}
	return platform.NewToken(raw), nil
}

// client returns a Platform API client from the environment, checking the
// token and the API URL first; scope is the least the command needs
// (scopeWrite, or scopeRead). It sends nothing.
func (a *App) client(scope string) (*platform.Client, error) {
	tok, err := a.token(scope)
	if err != nil {
		return nil, err
	}
	raw, from := a.apiURL()
	base, err := platform.CheckURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return platform.New(platform.Config{
		URL: base, Token: tok, UserAgent: userAgent(), Transport: a.Transport, Retry: a.Retry, Log: a.log,
	})
}

// apiURL returns the API's URL as the environment gives it, unchecked,
// and the variable it comes from: HEROKU_API_URL; else HEROKU_HOST, read
// as the official CLI reads it (a whole URL when it starts with http,
// else the host after https://api.), so that a shell set up for the CLI
// reaches the same API; else "", the default (https://api.heroku.com).
func (a *App) apiURL() (raw, from string) {
	if raw := strings.TrimSpace(a.Getenv(envAPIURL)); raw != "" {
		return raw, envAPIURL
	}
	host := strings.TrimSpace(a.Getenv(envHost))
	switch {
	case host == "":
		return "", envAPIURL
	case strings.HasPrefix(host, "http"):
		return host, envHost
	}
	return "https://api." + host, envHost
}

// apiSource returns the API's URL, as scaler reaches it (the default's
// when none is set; as given when it is not a URL scaler would use), and
// the variable it comes from: HEROKU_API_URL, HEROKU_HOST, or "" for the
// default.
func (a *App) apiSource() (u, from string) {
	raw, from := a.apiURL()
	if raw == "" {
		from = ""
	}
	if base, err := platform.CheckURL(raw); err == nil {
		raw = base
	}
	return raw, from
}

// checkedNotifier returns the notifier of SCALER_NOTIFY_URL: nil (sending
// nothing) when it is not set, and an error wrapping scaler.ErrInvalid when
// it is not a URL scaler may post to. It sends nothing. The URL's path and
// query, which hold a webhook's secret, are redacted from all output. Only
// check and notify --test use it, for whom a URL that cannot be used is the
// failure; every other command uses notifier.
func (a *App) checkedNotifier() (*webhook.Notifier, error) {
	raw := strings.TrimSpace(a.Getenv(envNotify))
	if u, err := url.Parse(raw); err == nil {
		a.secrets.add(u.Path)
		a.secrets.add(u.RawQuery)
	}
	n, err := webhook.New(webhook.Config{
		URL: raw, Log: a.log, UserAgent: userAgent(), Timeout: a.NotifyTimeout,
		Redact: func(s string) string { return string(a.secrets.clean([]byte(s))) },
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envNotify, err)
	}
	return n, nil
}

// notifier is the notifier of SCALER_NOTIFY_URL for the commands to which
// notifications are a side matter (run, apply): a setting for notifications
// never changes what scaler does. A URL that cannot be used is said once per
// command, at error level, and turns notifications off: notifier then
// returns nil, which sends nothing.
func (a *App) notifier() *webhook.Notifier {
	a.notify.once.Do(func() {
		n, err := a.checkedNotifier()
		if err != nil {
			a.log.Error("notifications off", "hint", "scaler goes on without them: set "+envNotify+" to an https URL (plain http only to loopback); scaler check checks it, scaler notify --test tries it", "err", err)
		}
		a.notify.to = n
	})
	return a.notify.to
}

// notifyOnce is a run's notifier, decided once.
type notifyOnce struct {
	once sync.Once
	to   *webhook.Notifier
}

// target is what a command that acts on one app needs.
type target struct {
	app      string
	svc      *scaler.Service
	notifier *webhook.Notifier // nil: no notifications
	close    func()            // ends what open began
}

// open is what a command that talks to one app does first: it bounds ctx
// by the command's --timeout, and connects. Call the target's close when
// the command is over.
func (a *App) open(ctx context.Context, app string, timeout time.Duration) (context.Context, *target, error) {
	ctx, cancel, err := deadline(ctx, timeout)
	if err != nil {
		return nil, nil, err
	}
	t, err := a.connect(app)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	t.close = cancel
	return ctx, t, nil
}

// connect resolves the app (from --app's value, or the environment) and
// the client. It sends nothing, so that every usage or configuration error
// comes before the first request.
func (a *App) connect(flagApp string) (*target, error) {
	app, err := a.resolveApp(flagApp)
	if err != nil {
		return nil, err
	}
	client, err := a.client(scopeWrite)
	if err != nil {
		return nil, err
	}
	return &target{app: app, svc: a.service(client)}, nil
}

// service is the domain's service over a client, with the App's pauses:
// the first pause before reading back after a lost answer is the retry
// policy's first backoff.
func (a *App) service(p scaler.Platform) *scaler.Service {
	return &scaler.Service{Platform: p, Log: a.log, PollInterval: a.PollInterval, ResendPause: a.Retry.BaseDelay, Now: a.Now}
}

// deadline returns ctx bounded by a command's --timeout.
func deadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, error) {
	if d <= 0 {
		return nil, nil, scaler.Errorf(scaler.ErrInvalid, "--timeout %s: want a positive duration such as 60s", d)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, nil
}
