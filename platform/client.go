// Package platform is the adapter from the scaler domain to the Heroku
// Platform API: a [Client] that implements scaler.Platform over
// github.com/heroku/heroku-go/v5, a transport that retries and paces
// requests, and the mapping of Heroku's error answers to the domain's
// sentinel errors, decided by the status, Heroku's id and what was asked,
// never by the words of a message. No heroku-go type leaves this package,
// so that moving to the v6 client touches nothing else.
package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/scalerdev/scaler/scaler"
)

// DefaultURL is the Platform API's address.
const DefaultURL = "https://api.heroku.com"

// Config is what a Client needs.
type Config struct {
	// URL is the API's base URL; DefaultURL when empty. See CheckURL.
	URL   string
	Token Token
	// UserAgent names the client, as scaler/VERSION.
	UserAgent string
	// Transport reaches the network; a clone of http.DefaultTransport when nil.
	Transport http.RoundTripper
	Retry     RetryPolicy
	// Log receives retries and warnings, and every request at debug level
	// (method, path, status; never a header, so never the token).
	Log *slog.Logger
}

// Client talks to the Platform API. It implements scaler.Platform and is
// safe for concurrent use.
type Client struct {
	api *heroku.Service

	mu sync.Mutex
	// seen are the apps that have answered a request: a 404 about one of
	// them is not about the app (see explain).
	seen map[string]bool
}

var _ scaler.Platform = (*Client)(nil)

// New returns a client, or an error wrapping scaler.ErrInvalid when the URL
// is not one the token may be sent to, or when there is no token.
func New(cfg Config) (*Client, error) {
	base, err := CheckURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Token.Empty() {
		return nil, scaler.Errorf(scaler.ErrInvalid, "no API token")
	}
	next := cfg.Transport
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	api := heroku.NewService(&http.Client{
		// heroku-go's Transport sets the Accept header, the token and the
		// User-Agent; its inner Transport must be set, or concurrent
		// requests race to set it.
		Transport: &heroku.Transport{
			BearerToken: cfg.Token.secret,
			UserAgent:   cfg.UserAgent,
			Transport:   newTransport(next, cfg.Retry, log),
		},
	})
	api.URL = base
	return &Client{api: api, seen: map[string]bool{}}, nil
}

// CheckURL validates the API base URL and returns it without a trailing
// slash. https is required, except for loopback hosts (127.0.0.0/8,
// localhost, [::1]) where plain http is allowed for the emulator: anywhere
// else, the token would travel in clear text. Errors wrap scaler.ErrInvalid.
func CheckURL(raw string) (string, error) {
	if raw == "" {
		return DefaultURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", scaler.Errorf(scaler.ErrInvalid, "API URL %q is not an absolute http(s) URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", scaler.Errorf(scaler.ErrInvalid, "API URL %q must not carry credentials, a query or a fragment", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", scaler.Errorf(scaler.ErrInvalid, "API URL %q: port %s is not a port (1 to 65535)", raw, port)
		}
	}
	if u.Hostname() == "" {
		return "", scaler.Errorf(scaler.ErrInvalid, "API URL %q has no host", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", scaler.Errorf(scaler.ErrInvalid, "refusing API URL %q: plain http would send the token in clear text; use https (http is allowed only for loopback hosts such as 127.0.0.1)", raw)
		}
	default:
		return "", scaler.Errorf(scaler.ErrInvalid, "API URL %q must use https", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// everything asks for lists in one page: heroku-go never follows
// Next-Range, and formations and dyno lists are far below 1000.
var everything = &heroku.ListRange{Field: "id", Max: 1000}

// Formation reads the app's formation, with its version (the ETag) and
// the platform's clock (the Date header).
func (c *Client) Formation(ctx context.Context, app string) (scaler.Read, error) {
	var h http.Header
	var list []process
	if err := c.api.Get(withHeaders(ctx, &h), &list, "/apps/"+url.PathEscape(app)+"/formation", nil, everything); err != nil {
		return scaler.Read{}, c.explain(ctx, err, app, askedApp)
	}
	c.saw(app)
	read := scaler.Read{Formation: formation(list), Version: h.Get("ETag")}
	if strings.HasPrefix(read.Version, "W/") {
		// A weak tag (a proxy that compressed the answer) never matches
		// If-Match, which compares strongly: every write would be refused.
		// Sent without the condition, the write is as safe as on a
		// platform that ignores it.
		read.Version = ""
	}
	if at, err := http.ParseTime(h.Get("Date")); err == nil {
		read.At = at
	}
	return read, nil
}

// update is one entry of a batch formation update. The quantity is a number
// when absolute and a string when relative ("+1"): the platform accepts
// both, and applies a relative one to the quantity it holds when the write
// lands, which heroku-go's typed options (an *int) cannot express.
type update struct {
	Type     string `json:"type"`
	Quantity any    `json:"quantity,omitempty"`
	Size     string `json:"size,omitempty"`
}

// UpdateFormation sends the updates as one batch, with If-Match: version
// when version is not "". It is never sent again once its answer may have
// been lost (only when it surely was not carried out: a 429, a connection
// that never opened): a lost answer is the caller's to settle (see
// scaler.Platform).
func (c *Client) UpdateFormation(ctx context.Context, app string, updates []scaler.Spec, version string) (scaler.Formation, error) {
	body := struct {
		Updates []update `json:"updates"`
	}{}
	for _, u := range updates {
		e := update{Type: u.Type, Size: u.Size}
		switch u.Op {
		case scaler.Set:
			e.Quantity = u.N
		case scaler.Add:
			e.Quantity = fmt.Sprintf("%+d", u.N)
		}
		body.Updates = append(body.Updates, e)
	}
	var out []process
	if err := c.api.Patch(withIfMatch(ctx, version), &out, "/apps/"+url.PathEscape(app)+"/formation", body); err != nil {
		types := make([]string, len(updates))
		for i, u := range updates {
			types[i] = u.Type
		}
		return nil, c.explain(ctx, err, app, askedTypes, types...)
	}
	c.saw(app)
	return formation(out), nil
}

// Dynos returns the app's dynos.
func (c *Client) Dynos(ctx context.Context, app string) ([]scaler.Dyno, error) {
	list, err := c.api.DynoList(ctx, url.PathEscape(app), everything)
	if err != nil {
		return nil, c.explain(ctx, err, app, askedApp)
	}
	c.saw(app)
	out := make([]scaler.Dyno, len(list))
	for i, d := range list {
		out[i] = scaler.Dyno{ID: d.ID, Name: d.Name, Type: d.Type, Size: d.Size, State: d.State, UpdatedAt: d.UpdatedAt, CreatedAt: d.CreatedAt}
	}
	return out, nil
}

// sdkAccept is the Accept header of the official CLI's restart of a
// process type: the endpoint is not in the public schema (version 3).
const sdkAccept = "application/vnd.heroku+json; version=3.sdk"

// RestartDynos restarts every dyno of a process type as the official CLI
// 11.10 does (`heroku ps:restart --process-type worker`): DELETE
// /apps/{app}/formations/{type}, with its Accept header.
func (c *Client) RestartDynos(ctx context.Context, app, typ string) error {
	// The answer's body is not needed, and not decoding it keeps an empty
	// 202 from being an error.
	err := c.api.Delete(withAccept(ctx, sdkAccept), nil, "/apps/"+url.PathEscape(app)+"/formations/"+url.PathEscape(typ))
	if err != nil {
		return c.explain(ctx, err, app, askedTypes, typ)
	}
	c.saw(app)
	return nil
}

// RestartDyno restarts one dyno by its id: DELETE /apps/{app}/dynos/{id}.
// A 404 from an app that exists means no dyno has that id now.
func (c *Client) RestartDyno(ctx context.Context, app, id string) error {
	if err := c.api.Delete(ctx, nil, "/apps/"+url.PathEscape(app)+"/dynos/"+url.PathEscape(id)); err != nil {
		return c.explain(ctx, err, app, askedDyno, id)
	}
	c.saw(app)
	return nil
}

// DynoSize is a dyno size as the platform lists it, with its list price:
// Cents per Unit ("month"), or no price (Priced false) when the API gives
// none, as for sizes sold by contract, or gives it in a shape this client
// does not read.
type DynoSize struct {
	Name   string
	Priced bool
	Cents  float64
	Unit   string
}

// DynoSizes lists the dyno sizes the platform offers, with their prices:
// one request, GET /dyno-sizes, which names no app. A price that cannot be
// read leaves its size unpriced rather than failing the list.
func (c *Client) DynoSizes(ctx context.Context) ([]DynoSize, error) {
	// heroku-go's DynoSize has the cost as an empty struct (the schema
	// defines its fields outside its properties): read it here.
	var list []struct {
		Name string          `json:"name"`
		Cost json.RawMessage `json:"cost"`
	}
	if err := c.api.Get(ctx, &list, "/dyno-sizes", nil, everything); err != nil {
		return nil, c.explain(ctx, err, "", askedAccount)
	}
	out := make([]DynoSize, 0, len(list))
	for _, s := range list {
		size := DynoSize{Name: s.Name}
		var cost struct {
			Cents *float64 `json:"cents"`
			Unit  string   `json:"unit"`
		}
		if json.Unmarshal(s.Cost, &cost) == nil && cost.Cents != nil && cost.Unit != "" {
			size.Priced, size.Cents, size.Unit = true, *cost.Cents, cost.Unit
		}
		out = append(out, size)
	}
	return out, nil
}

// Account is who the token acts for, and what it may do.
type Account struct {
	Email string
	// Scopes are the token's OAuth scopes, from the Oauth-Scope header.
	Scopes []string
}

// CanWrite reports whether the scopes allow scaling (global or write).
func (a Account) CanWrite() bool {
	return slices.ContainsFunc(a.Scopes, func(s string) bool { return s == "global" || s == "write" || s == "write-protected" })
}

// Account returns the token's account and scopes.
func (c *Client) Account(ctx context.Context) (Account, error) {
	var h http.Header
	acc, err := c.api.AccountInfo(withHeaders(ctx, &h))
	if err != nil {
		return Account{}, c.explain(ctx, err, "", askedAccount)
	}
	return Account{Email: acc.Email, Scopes: strings.FieldsFunc(h.Get("Oauth-Scope"), func(r rune) bool { return r == ' ' || r == ',' })}, nil
}

// App checks that the app exists and the token can see it.
func (c *Client) App(ctx context.Context, app string) error {
	if _, err := c.api.AppInfo(ctx, url.PathEscape(app)); err != nil {
		return c.explain(ctx, err, app, askedApp)
	}
	c.saw(app)
	return nil
}

// RateLimitRemaining returns what is left of the account's request budget.
// Asking costs nothing from that budget.
func (c *Client) RateLimitRemaining(ctx context.Context) (int, error) {
	rl, err := c.api.RateLimitInfo(ctx)
	if err != nil {
		return 0, c.explain(ctx, err, "", askedAccount)
	}
	return rl.Remaining, nil
}

// asked is what a request asked of the API, for explain to tell what a 404
// means.
type asked int

const (
	// askedAccount: a request that names no app (the account, its rate
	// limit, the dyno sizes).
	askedAccount asked = iota
	// askedApp: a read of an app (itself, its formation, its dynos).
	askedApp
	// askedTypes: an act on process types of an app (a formation write, a
	// restart of a type's dynos).
	askedTypes
	// askedDyno: an act on one dyno of an app, by its id (a restart).
	askedDyno
)

// explain unwraps the error of a heroku-go call: the *url.Error that
// net/http adds around the transport's error, and a decoding failure of a
// 2xx answer, which means a broken answer. Of a 404 it decides what was
// missing (APIError.Missing) from what was asked, never from the words of
// the answer, which are the same not_found for an endpoint, an app and a
// process type (see missing). names are the process types a write named,
// or the dyno an act on a dyno did.
func (c *Client) explain(ctx context.Context, err error, app string, what asked, names ...string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return scaler.Errorf(scaler.ErrUnavailable, "the API answered with a body that is not the expected JSON: %v", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		return err
	}
	switch ae.Missing = c.missing(ctx, app, what); ae.Missing {
	case MissingApp:
		return fmt.Errorf("app %s not found, or the token's account cannot see it: %w", app, err)
	case MissingType:
		return fmt.Errorf("app %s has no process type %s: %w", app, strings.Join(names, " or "), err)
	case MissingDyno:
		return fmt.Errorf("app %s has no dyno %s now (restarted or cycled since it was listed): %w", app, strings.Join(names, " or "), err)
	}
	return err
}

// missing decides what a 404 to a request means:
//   - a request that names no app cannot 404 on the platform: the base URL
//     is wrong;
//   - from an app that has answered before, a write or a restart misses a
//     process type (as when a deploy removed it between the read and the
//     write), a restart of a dyno by its id misses the dyno (restarted or
//     cycled since it was listed), and a read misses the app (deleted
//     since, or no longer visible to the token);
//   - at the first contact with an app, GET /account/rate-limits, which
//     costs nothing of the account's budget, tells a base URL that reaches
//     no API (a 404 again) from an unknown app; for a write or a restart,
//     GET /apps/APP then tells the app from the process type or the dyno.
//
// It returns MissingUnknown when a request it makes fails otherwise.
func (c *Client) missing(ctx context.Context, app string, what asked) Missing {
	if app == "" {
		return MissingEndpoint
	}
	inApp := MissingUnknown // what an act in an app that exists may miss
	switch what {
	case askedTypes:
		inApp = MissingType
	case askedDyno:
		inApp = MissingDyno
	}
	if c.known(app) {
		if inApp != MissingUnknown {
			return inApp
		}
		return MissingApp
	}
	if _, err := c.api.RateLimitInfo(ctx); err != nil {
		if notFound(err) {
			return MissingEndpoint
		}
		return MissingUnknown
	}
	if inApp == MissingUnknown {
		return MissingApp
	}
	switch _, err := c.api.AppInfo(ctx, url.PathEscape(app)); {
	case err == nil:
		c.saw(app)
		return inApp
	case notFound(err):
		return MissingApp
	}
	return MissingUnknown
}

func notFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// saw notes that app answered a request.
func (c *Client) saw(app string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[app] = true
}

// known reports whether app has answered a request.
func (c *Client) known(app string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[app]
}

func formation(list []process) scaler.Formation {
	out := make(scaler.Formation, len(list))
	for i, p := range list {
		out[i] = scaler.Process{Type: p.Type, Quantity: p.Quantity, Size: p.Size, Command: p.Command, UpdatedAt: p.UpdatedAt}
	}
	return out
}

// process is what the client reads of a process type in a formation: a
// process type's answer holds more (its app, its id, when it was created),
// which heroku-go's Formation would decode, at a cost, to be thrown away.
type process struct {
	Type      string    `json:"type"`
	Quantity  int       `json:"quantity"`
	Size      string    `json:"size"`
	Command   string    `json:"command"`
	UpdatedAt time.Time `json:"updated_at"`
}
