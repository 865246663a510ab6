package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

func (e *Emulator) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /account", e.getAccount)
	m.HandleFunc("GET /account/rate-limits", e.getRateLimits)
	m.HandleFunc("GET /apps/{app}", e.withApp(e.getApp))
	m.HandleFunc("GET /apps/{app}/formation", e.withApp(e.listFormation))
	m.HandleFunc("PATCH /apps/{app}/formation", e.withApp(e.batchUpdate))
	m.HandleFunc("GET /apps/{app}/formation/{type}", e.withApp(e.getProcess))
	m.HandleFunc("PATCH /apps/{app}/formation/{type}", e.withApp(e.updateProcess))
	m.HandleFunc("GET /apps/{app}/dynos", e.withApp(e.listDynos))
	// With a dyno manager, the dyno routes act on real processes
	// (dynomanager.go, oneoff.go); without one, they behave as before.
	m.HandleFunc("GET /apps/{app}/dynos/{dyno}", e.withApp(e.getDynoManaged))
	m.HandleFunc("POST /apps/{app}/dynos", e.withApp(e.createDyno))
	m.HandleFunc("DELETE /apps/{app}/dynos", e.withApp(e.restartAllManaged))
	m.HandleFunc("DELETE /apps/{app}/dynos/{dyno}", e.withApp(e.restartManaged))
	m.HandleFunc("DELETE /apps/{app}/formations/{type}", e.withApp(e.restartFormation))
	m.HandleFunc("POST /apps/{app}/dynos/{dyno}/actions/stop", e.withApp(e.stopManaged))
	m.HandleFunc("GET /dyno-sizes", e.listDynoSizes)
	m.HandleFunc("GET /dyno-sizes/{size}", e.getDynoSize)
	// The platform answers an unknown path, or a known one with another
	// method, with a 404 in its own shape.
	m.HandleFunc("/", e.noEndpoint)
	e.mux = m
}

func (e *Emulator) noEndpoint(w http.ResponseWriter, r *http.Request) {
	e.writeError(w, &apiError{404, "not_found", "The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?"})
}

// withApp finds the app named (or identified) in the path, holds the lock
// for the handler, and answers 404 for an unknown app.
func (e *Emulator) withApp(h func(http.ResponseWriter, *http.Request, *app, time.Time)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		key := r.PathValue("app")
		a := e.apps[key]
		if a == nil {
			for _, c := range e.apps {
				if c.id == key {
					a = c
				}
			}
		}
		if a == nil {
			e.writeError(w, &apiError{404, "not_found", "Couldn't find that app."})
			return
		}
		now := e.now()
		a.purge(now, e.stopDelay)
		h(w, r, a, now)
	}
}

// The JSON shapes of the answers, as the Platform API schemas define them.
type (
	ref struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	formationJSON struct {
		App       ref    `json:"app"`
		Command   string `json:"command"`
		CreatedAt string `json:"created_at"`
		DynoSize  ref    `json:"dyno_size"` // v6 clients; size is kept for v5 clients
		ID        string `json:"id"`
		Quantity  int    `json:"quantity"`
		Size      string `json:"size"`
		Type      string `json:"type"`
		UpdatedAt string `json:"updated_at"`
	}
	dynoJSON struct {
		App       ref     `json:"app"`
		AttachURL *string `json:"attach_url"`
		Command   string  `json:"command"`
		CreatedAt string  `json:"created_at"`
		ID        string  `json:"id"`
		Name      string  `json:"name"`
		Release   struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
		} `json:"release"`
		Size      string `json:"size"`
		State     string `json:"state"`
		Type      string `json:"type"`
		UpdatedAt string `json:"updated_at"`
	}
)

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// sizeID gives each size a stable id for dyno_size.
func sizeID(size string) string {
	var h uint64 = 14695981039346656037
	for _, c := range []byte(strings.ToLower(size)) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%08x-0000-4000-9000-%012x", h>>32, h&0xffffffffffff)
}

func (a *app) formationJSON(p *process) formationJSON {
	return formationJSON{
		App: ref{a.id, a.name}, Command: p.command, CreatedAt: stamp(p.createdAt),
		DynoSize: ref{sizeID(p.size), p.size}, ID: p.id, Quantity: p.quantity, Size: p.size,
		Type: p.typ, UpdatedAt: stamp(p.updatedAt),
	}
}

func (e *Emulator) dynoJSON(a *app, d *dyno, now time.Time) dynoJSON {
	state, changed := d.state(now, e.bootDelay)
	j := dynoJSON{
		App: ref{a.id, a.name}, Command: d.command, CreatedAt: stamp(d.createdAt), ID: d.id,
		Name: d.name(), Size: d.size, State: state, Type: d.typ, UpdatedAt: stamp(changed),
	}
	j.Release.ID, j.Release.Version = a.id, 1
	return j
}

func (e *Emulator) getAccount(w http.ResponseWriter, r *http.Request) {
	at := stamp(e.accountAt)
	writeJSON(w, 200, map[string]any{
		"allow_tracking": false, "beta": false, "created_at": at, "email": "scaler@example.com",
		"federated": false, "id": e.accountID, "identity_provider": nil, "last_login": at,
		"name": "scaler emulator", "sms_number": nil, "suspended_at": nil, "delinquent_at": nil,
		"two_factor_authentication": false, "updated_at": at, "verified": true,
		"country_of_residence": nil, "default_organization": nil, "default_team": nil,
	})
}

func (e *Emulator) getRateLimits(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]int{"remaining": e.rateBucket.level(e.now())})
}

func (e *Emulator) getApp(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	region := ref{"59accabd-516d-4f0e-83e6-6e3757701145", "us"}
	stack := ref{"ee582d3c-717d-4a57-ba5f-8b3a39f3a817", "heroku-24"}
	at := stamp(a.createdAt)
	writeJSON(w, 200, map[string]any{
		"acm": false, "archived_at": nil, "buildpack_provided_description": "Go",
		"build_stack": stack, "created_at": at,
		"generation": ref{"e8d4f3ab-1b5c-4c1e-9f2a-0c6d2b6f1a11", "cedar"}, "git_url": "https://git.heroku.com/" + a.name + ".git",
		"id": a.id, "internal_routing": nil, "maintenance": false, "name": a.name,
		"owner":        map[string]string{"email": "scaler@example.com", "id": e.accountID},
		"organization": nil, "team": nil, "region": region, "released_at": at,
		"repo_size": nil, "slug_size": nil, "space": nil, "stack": stack, "updated_at": at,
		"web_url": "https://" + a.name + ".herokuapp.com/",
	})
}

func (e *Emulator) listFormation(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	writeJSON(w, 200, a.formationList())
}

// formationList is the answer to a read of the app's formation.
func (a *app) formationList() []formationJSON {
	out := make([]formationJSON, 0, len(a.processes))
	for _, p := range a.processes {
		out = append(out, a.formationJSON(p))
	}
	return out
}

func (e *Emulator) getProcess(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	p := a.process(r.PathValue("type"))
	if p == nil {
		e.writeError(w, &apiError{404, "not_found", fmt.Sprintf("Couldn't find that process type (%s).", r.PathValue("type"))})
		return
	}
	writeJSON(w, 200, a.formationJSON(p))
}

// updateJSON is one formation update as clients send it: the quantity as a
// number or a numeric string, relative ones ("+1") included; the size as
// size (v5 clients, the official CLI) or dyno_size (v6 clients).
type updateJSON struct {
	Type     string          `json:"type"`
	Quantity json.RawMessage `json:"quantity"`
	Size     *string         `json:"size"`
	DynoSize *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"dyno_size"`
}

func (u updateJSON) decode() (update, *apiError) {
	out := update{typ: u.Type}
	if q := bytes.TrimSpace(u.Quantity); len(q) > 0 && string(q) != "null" {
		var s string
		if q[0] == '"' {
			if err := json.Unmarshal(q, &s); err != nil || s == "" {
				return update{}, &apiError{422, "invalid_params", "Invalid quantity."}
			}
		} else if s = string(q); s[0] == '-' {
			// A number is absolute; only a string can be relative.
			return update{}, &apiError{422, "invalid_params", "Invalid quantity: " + s + "."}
		}
		out.quantity = s
	}
	switch {
	case u.Size != nil:
		out.size = *u.Size
	case u.DynoSize != nil && u.DynoSize.Name != "":
		out.size = u.DynoSize.Name
	case u.DynoSize != nil:
		return update{}, &apiError{422, "invalid_params", "Please specify a dyno size by name."}
	}
	return out, nil
}

func decodeStrict(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{400, "bad_request", "Invalid request body: " + err.Error()}
	}
	return nil
}

func (e *Emulator) updateProcess(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	var body updateJSON
	if ae := decodeStrict(r, &body); ae != nil {
		e.writeError(w, ae)
		return
	}
	body.Type = r.PathValue("type")
	u, ae := body.decode()
	if p := a.process(u.typ); ae == nil && p != nil && !e.matches(r, a.formationJSON(p)) {
		ae = errStale
	}
	if ae == nil {
		var changed []*process
		if changed, ae = e.apply(a, []update{u}, now); ae == nil {
			writeJSON(w, 200, a.formationJSON(changed[0]))
			return
		}
	}
	e.writeError(w, ae)
}

func (e *Emulator) batchUpdate(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	var body struct {
		Updates []updateJSON `json:"updates"`
	}
	if ae := decodeStrict(r, &body); ae != nil {
		e.writeError(w, ae)
		return
	}
	if len(body.Updates) == 0 {
		e.writeError(w, &apiError{422, "invalid_params", "Please specify at least one formation update."})
		return
	}
	updates := make([]update, 0, len(body.Updates))
	for _, uj := range body.Updates {
		u, ae := uj.decode()
		if ae != nil {
			e.writeError(w, ae)
			return
		}
		updates = append(updates, u)
	}
	if !e.matches(r, a.formationList()) {
		e.writeError(w, errStale)
		return
	}
	changed, ae := e.apply(a, updates, now)
	if ae != nil {
		e.writeError(w, ae)
		return
	}
	out := make([]formationJSON, len(changed))
	for i, p := range changed {
		out[i] = a.formationJSON(p)
	}
	writeJSON(w, 200, out)
}

func (e *Emulator) listDynos(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	out := make([]dynoJSON, 0, len(a.dynos))
	for _, d := range a.dynos {
		out = append(out, e.dynoJSON(a, d, now))
	}
	writeJSON(w, 200, out)
}

// findDynos returns the dynos an identity names: one dyno by name or id, or
// every dyno of a process type, as `heroku ps:restart worker` relies on.
func (a *app) findDynos(key string) []*dyno {
	var out []*dyno
	for _, d := range a.dynos {
		if d.stoppedAt.IsZero() && (d.name() == key || d.id == key || d.typ == key) {
			out = append(out, d)
		}
	}
	return out
}

func (e *Emulator) getDyno(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	key := r.PathValue("dyno")
	i := slices.IndexFunc(a.dynos, func(d *dyno) bool { return d.name() == key || d.id == key })
	if i < 0 {
		e.writeError(w, &apiError{404, "not_found", "Couldn't find that dyno."})
		return
	}
	writeJSON(w, 200, e.dynoJSON(a, a.dynos[i], now))
}

// restart restarts one dyno, or every dyno of a process type. Stopping a
// dyno of the formation restarts it too: the formation wants it running.
func (e *Emulator) restart(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	dynos := a.findDynos(r.PathValue("dyno"))
	if len(dynos) == 0 {
		e.writeError(w, &apiError{404, "not_found", "Couldn't find that dyno."})
		return
	}
	for _, d := range dynos {
		d.startedAt = now
	}
	writeJSON(w, 202, struct{}{})
}

func (e *Emulator) restartAll(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	for _, d := range a.dynos {
		if d.stoppedAt.IsZero() {
			d.startedAt = now
		}
	}
	writeJSON(w, 202, struct{}{})
}
