// Package emulator is a Platform API emulator: a real HTTP server, on
// loopback, that behaves like the subset of the Heroku Platform API that
// scaler uses. It keeps state (apps, formations, dynos that boot and shut
// down, the account's rate-limit bucket), checks the Accept header and the
// bearer token, answers errors in Heroku's shape with Heroku's ids and
// messages, and enforces the Eco/Basic dyno limits. Its messages are words
// for people, free to change: no test or decision of scaler's may depend on
// them (a test rewords every one: emulatortest's Reword). It refuses what a
// web page sends it (guard.go): with a dyno manager, a request runs
// commands. Its responses validate against the official Platform API JSON
// schemas.
//
// Users try scaler against it with `scaler emulator` and `scaler demo`,
// without a Heroku account; tests use it over real HTTP through package
// emulatortest, which wraps it with faults (5xx bursts, 429s, slow answers,
// resets, lost answers) and a record of the requests, so that none of that
// ships in scaler's binary.
//
// Its rules for what the API accepts (the dyno sizes and their limits,
// quantities, app names and process types) are its own, written from the
// Platform API's documentation and schemas, not borrowed from scaler's
// parser: a rule shared by the client and the emulator would be wrong on
// both sides at once, where no test could see it. Where the two must
// agree, a test of package platform says so. Of the project it uses only
// the scaler domain's Procfile reader, on purpose: scaler check must read
// a Procfile as the dyno manager does (a test checks both).
package emulator

import (
	"cmp"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The defaults of the platform that the emulator copies.
const (
	// DefaultRateLimit is the size of an account's request bucket.
	DefaultRateLimit = 4500
	// DefaultRefillPerMinute is how many requests the bucket regains a minute.
	DefaultRefillPerMinute = 75
	// DefaultMaxDynos is the platform's default limit of dynos per app.
	DefaultMaxDynos = 100
	// DefaultSize is the size of a process type created without one.
	DefaultSize = "Standard-1X"
	// DefaultScope is the OAuth scope reported for the token.
	DefaultScope = "global"
)

// AcceptHeader is the media type every Platform API request must ask for.
const AcceptHeader = "application/vnd.heroku+json; version=3"

// App declares an app to emulate.
type App struct {
	Name      string
	Formation []Process
}

// Process declares one process type of an emulated app.
type Process struct {
	Type     string
	Quantity int
	Size     string // DefaultSize when empty
}

// Config is what an Emulator starts with. Zero values take the platform's
// defaults.
type Config struct {
	Apps []App
	// Token is the only bearer token accepted. Empty accepts any non-empty
	// token, which is what a user trying scaler out wants.
	Token string
	// Listen is the address the emulator is served on (host:port, as
	// net.Listen takes it), whose host a request may name in its Host
	// header besides loopback and localhost; an address that listens on
	// every address (0.0.0.0:5000, :5000) admits any IP address. Empty
	// admits loopback only. Whatever it is, a request a web page sent is
	// refused (see guard.go).
	Listen string
	// Scope is the OAuth scope reported for the token in the Oauth-Scope
	// header. Writes need global or write; identity and read are refused.
	Scope string
	// BootDelay is how long a new or restarted dyno stays "starting".
	BootDelay time.Duration
	// StopDelay is how long a dyno scaled away stays listed as "down".
	StopDelay time.Duration
	// Latency is added before every answer, like a distant API.
	Latency time.Duration
	// RateLimit is the size of the account's request bucket, refilled at
	// RefillPerMinute.
	RateLimit, RefillPerMinute int
	// MaxDynos is the most dynos an app may run.
	MaxDynos int
	// IgnoreIfMatch makes formation writes ignore If-Match, as a platform
	// whose formation endpoints do not honour it would (unconfirmed).
	IgnoreIfMatch bool
	// Now is the clock; time.Now when nil. The answers' Date header
	// follows it too.
	Now func() time.Time
	// ClockRate is how many times faster than real time Now runs (the rate
	// given to Clock); 1 when zero. The dyno manager's Scheduler puts its
	// runs on Now's grid by it.
	ClockRate float64
	// Log, when set, gets a line for every request (never its token).
	Log *slog.Logger
	// Dynos, when set, runs every dyno as a real process (see DynoConfig);
	// the app's process types and commands then come from its Procfile.
	Dynos *DynoConfig
}

// Emulator is the emulated Platform API. It is an http.Handler.
type Emulator struct {
	token     string
	scope     string
	bootDelay time.Duration
	stopDelay time.Duration
	latency   time.Duration
	maxDynos  int
	// ignoreIfMatch: see Config.IgnoreIfMatch.
	ignoreIfMatch bool
	guard         guard
	now           func() time.Time
	clockRate     float64
	log           *slog.Logger
	mux           *http.ServeMux
	accountID     string
	accountAt     time.Time
	rateBucket    *bucket
	dynos         *manager // nil without Config.Dynos
	seq           atomic.Int64

	mu   sync.Mutex
	apps map[string]*app
	ids  int
}

// New returns an emulator holding cfg's apps.
func New(cfg Config) (*Emulator, error) {
	e := &Emulator{
		token:         cfg.Token,
		scope:         cmp.Or(cfg.Scope, DefaultScope),
		bootDelay:     cfg.BootDelay,
		stopDelay:     cfg.StopDelay,
		latency:       cfg.Latency,
		maxDynos:      cmp.Or(cfg.MaxDynos, DefaultMaxDynos),
		now:           cfg.Now,
		clockRate:     cmp.Or(cfg.ClockRate, 1),
		ignoreIfMatch: cfg.IgnoreIfMatch,
		guard:         newGuard(cfg.Listen),
		log:           cfg.Log,
		apps:          map[string]*app{},
	}
	if e.now == nil {
		e.now = time.Now
	}
	now := e.now().UTC().Truncate(time.Second)
	e.accountID, e.accountAt = e.newID(), now
	e.rateBucket = newBucket(cmp.Or(cfg.RateLimit, DefaultRateLimit), cmp.Or(cfg.RefillPerMinute, DefaultRefillPerMinute), now)
	if cfg.Dynos != nil {
		var err error
		if e.dynos, cfg.Apps, err = newManager(e, *cfg.Dynos, cfg.Apps); err != nil {
			return nil, err
		}
	}
	for _, ac := range cfg.Apps {
		if err := e.AddApp(ac); err != nil {
			return nil, err
		}
	}
	e.routes()
	return e, nil
}

// AddApp adds an app, with its dynos already up.
func (e *Emulator) AddApp(ac App) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ac.Name == "" {
		return fmt.Errorf("emulator: an app needs a name")
	}
	if _, dup := e.apps[ac.Name]; dup {
		return fmt.Errorf("emulator: app %q declared twice", ac.Name)
	}
	if !validAppName(ac.Name) {
		return fmt.Errorf("emulator: app name %q must be 3 to 30 lowercase letters, digits or dashes, starting with a letter", ac.Name)
	}
	// The app was deployed before the emulator started: its formation was
	// last changed a day ago, not in the very second of a first read, nor
	// after the edges of the day's schedule.
	now := e.now()
	booted, deployed := now.Add(-e.bootDelay), now.Add(-24*time.Hour).Truncate(time.Second)
	a := &app{id: e.newID(), name: ac.Name, createdAt: deployed}
	for _, pc := range ac.Formation {
		size := DefaultSize
		if pc.Size != "" {
			s, ok := sizeNamed(pc.Size)
			if !ok {
				return fmt.Errorf("emulator: app %s: unknown dyno size %q (the emulator knows %s)", ac.Name, pc.Size, sizeNames())
			}
			size = s.name
		}
		if a.process(pc.Type) != nil {
			return fmt.Errorf("emulator: app %s: process type %q declared twice", ac.Name, pc.Type)
		}
		p := &process{
			id: e.newID(), typ: pc.Type, quantity: pc.Quantity, size: size,
			command: e.command(pc.Type), createdAt: deployed, updatedAt: deployed,
		}
		a.processes = append(a.processes, p)
		e.reconcile(a, p, false, booted)
	}
	e.apps[ac.Name] = a
	return nil
}

// Clock returns a clock that reads start now and runs rate times faster
// than real time: Config.Now for an emulator that shows a day of a
// schedule in minutes. The emulator's delays (boot, stop latency, kill-after)
// stay real durations.
func Clock(start time.Time, rate float64) func() time.Time {
	began := time.Now()
	return func() time.Time {
		return start.Add(time.Duration(float64(time.Since(began)) * rate))
	}
}

// newID returns a fresh UUID-shaped id. Callers hold e.mu or own e.
func (e *Emulator) newID() string {
	e.ids++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", e.ids, e.ids)
}

// Formation returns an app's formation as the emulator holds it, for tests.
func (e *Emulator) Formation(name string) []Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.apps[name]
	if a == nil {
		return nil
	}
	out := make([]Process, len(a.processes))
	for i, p := range a.processes {
		out[i] = Process{Type: p.typ, Quantity: p.quantity, Size: p.size}
	}
	return out
}

// Quantity returns the quantity of one process type, or -1 when there is no
// such app or type.
func (e *Emulator) Quantity(appName, typ string) int {
	for _, p := range e.Formation(appName) {
		if p.Type == typ {
			return p.Quantity
		}
	}
	return -1
}

// apiError is an error answer in the Platform API's shape.
type apiError struct {
	status      int
	id, message string
}

func (e *Emulator) writeError(w http.ResponseWriter, ae *apiError) {
	writeJSON(w, ae.status, map[string]string{"id": ae.id, "message": ae.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := jsonBody(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"id":"internal_server_error","message":"Internal server error."}`+"\n")
	}
	w.Header().Set("Content-Type", "application/json")
	if status/100 == 2 {
		w.Header().Set("ETag", etag(body))
	}
	w.WriteHeader(status)
	w.Write(body)
}

// ServeHTTP answers one Platform API request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	w.Header().Set("Request-Id", fmt.Sprintf("emulator-%d", e.seq.Add(1)))
	w.Header().Set("Date", e.now().UTC().Format(http.TimeFormat))
	if refused := e.guard.check(r); refused != nil {
		// Said once, at warn, instead of the request's info line: what the
		// sender chose (Host, Origin, path) is quoted, shortened; never a
		// header that may hold a secret.
		if e.log != nil {
			attrs := []any{"method", r.Method, "path", clip(r.URL.Path), "status", refused.status, "host", clip(r.Host)}
			if origin, ok := r.Header["Origin"]; ok {
				attrs = append(attrs, "origin", clip(strings.Join(origin, ", ")))
			}
			e.log.Warn("request refused", append(attrs, "reason", refused.reason, "hint", refused.hint)...)
		}
		e.writeError(w, refused.apiError)
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	defer func() {
		if e.log != nil {
			e.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status)
		}
	}()

	if e.latency > 0 && !sleep(r, e.latency) {
		return
	}
	if ae := e.admit(w.Header(), r); ae != nil {
		e.writeError(rec, ae)
		return
	}
	e.mux.ServeHTTP(rec, r)
}

// maxBody bounds a request's body: the API's are a few hundred bytes.
const maxBody = 1 << 20

// admit checks what the platform checks before routing: the API version,
// the bearer token and its scope, and the account's rate limit. It sets the
// headers that every answer carries.
func (e *Emulator) admit(h http.Header, r *http.Request) *apiError {
	if !strings.Contains(r.Header.Get("Accept"), AcceptHeader) {
		return &apiError{406, "not_acceptable", "Please specify a version along with Heroku's API MIME type. For example, `Accept: " + AcceptHeader + "`."}
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" || (e.token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(e.token)) != 1) {
		return &apiError{401, "unauthorized", "Invalid credentials provided."}
	}
	h.Set("Oauth-Scope", e.scope)
	if r.URL.Path == "/account/rate-limits" {
		// Free, as on the platform.
		h.Set("RateLimit-Remaining", fmt.Sprint(e.rateBucket.level(e.now())))
		return nil
	}
	left, ok := e.rateBucket.take(e.now())
	h.Set("RateLimit-Remaining", fmt.Sprint(left))
	if !ok {
		return &apiError{429, "rate_limit", "Your account reached the API rate limit\nPlease wait a few minutes before making new requests"}
	}
	if !permits(e.scope, r.Method, r.URL.Path) {
		// The wording of this refusal is not confirmed; its status and id are.
		return &apiError{403, "forbidden", fmt.Sprintf("This OAuth authorization's scope (%s) does not allow this request.", e.scope)}
	}
	return nil
}

// permits reports whether a token of the given OAuth scope may make a
// request. Scopes are space-separated: global and write allow everything
// scaler does, read allows reads, identity allows only the account.
func permits(scope, method, path string) bool {
	var read, write bool
	for _, s := range strings.Fields(scope) {
		switch s {
		case "global", "write", "write-protected":
			read, write = true, true
		case "read", "read-protected":
			read = true
		}
	}
	switch {
	case strings.HasPrefix(path, "/account"):
		return true
	case method == http.MethodGet || method == http.MethodHead:
		return read
	default:
		return write
	}
}

// recorder notes the status of an answer, for the log; 0 means no answer
// was sent (the client went away).
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// sleep waits d, or until the client goes away; it reports whether the
// whole wait passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
