package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// createDynoJSON is the body of POST /apps/{app}/dynos, as the Platform API
// schema defines it.
type createDynoJSON struct {
	Command    *string           `json:"command"`
	Attach     *bool             `json:"attach"`
	Env        map[string]string `json:"env"`
	ForceNoTTY *bool             `json:"force_no_tty"`
	Size       *string           `json:"size"`
	Type       *string           `json:"type"`
	TimeToLive *int              `json:"time_to_live"`
}

// maxTimeToLive is the longest time_to_live the API accepts, in seconds.
const maxTimeToLive = 86400

// createDyno starts a one-off dyno (run.N, or TYPE.N for another type): it
// runs its command once, is never restarted, and is stopped at its time to
// live. Without a dyno manager there is no such endpoint, as before.
// attach is accepted but the dyno runs detached: its output goes to the
// log stream (the emulator has no rendezvous service).
func (e *Emulator) createDyno(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	m := e.dynos
	if m == nil {
		e.noEndpoint(w, r)
		return
	}
	var body createDynoJSON
	if ae := decodeStrict(r, &body); ae != nil {
		e.writeError(w, ae)
		return
	}
	if body.Command == nil || *body.Command == "" {
		e.writeError(w, &apiError{422, "invalid_params", "Missing required params: command."})
		return
	}
	typ := "run"
	if body.Type != nil {
		typ = *body.Type
	}
	if !validType(typ) {
		e.writeError(w, &apiError{422, "invalid_params", fmt.Sprintf("Invalid type: %s.", typ)})
		return
	}
	if a.process(typ) != nil {
		// Its dynos would be named like the formation's.
		e.writeError(w, &apiError{422, "invalid_params", fmt.Sprintf("Type %s is a process type of the formation: choose another type for a one-off dyno.", typ)})
		return
	}
	size := DefaultSize
	if body.Size != nil {
		s, ok := sizeNamed(*body.Size)
		if !ok {
			e.writeError(w, &apiError{422, "invalid_params", fmt.Sprintf("Invalid dyno size: %s.", *body.Size)})
			return
		}
		size = s.name
	}
	ttl := DefaultTimeToLive
	if body.TimeToLive != nil {
		if *body.TimeToLive < 1 || *body.TimeToLive > maxTimeToLive {
			e.writeError(w, &apiError{422, "invalid_params", fmt.Sprintf("time_to_live must be between 1 and %d seconds.", maxTimeToLive)})
			return
		}
		ttl = time.Duration(*body.TimeToLive) * time.Second
	}
	var env []string
	for k, v := range body.Env {
		if !wordOnly(k) {
			e.writeError(w, &apiError{422, "invalid_params", fmt.Sprintf("Invalid env key: %s.", k)})
			return
		}
		env = append(env, k+"="+v)
	}
	if m.closing {
		e.writeError(w, &apiError{503, "service_unavailable", "The dyno manager is shutting down."})
		return
	}
	d := m.startOneOff(a, typ, *body.Command, size, env, ttl, now)
	writeJSON(w, http.StatusCreated, e.dynoJSON(a, d, now))
}

// startOneOff adds a one-off dyno, numbered after the app's previous ones
// of its type, and starts it (at StartDynos, when not started yet).
func (m *manager) startOneOff(a *app, typ, command, size string, env []string, ttl time.Duration, now time.Time) *dyno {
	key := a.name + "/" + typ
	m.numbers[key]++
	d := m.newDyno(a, typ, m.numbers[key], size, command, now)
	d.run.oneOff, d.run.env, d.run.ttl = true, env, ttl
	if m.started {
		m.launch(d, now)
	}
	return d
}

// findLive returns the dynos a key names that are not stopping: one by
// name or id, or every dyno of a process type.
func findLive(a *app, key string) []*dyno {
	var out []*dyno
	for _, d := range a.dynos {
		if !d.run.stopping && d.run.doom == nil && (d.name() == key || d.id == key || d.typ == key) {
			out = append(out, d)
		}
	}
	return out
}

// getDynoManaged answers GET /apps/{app}/dynos/{dyno}. With a dyno manager,
// a name may have two records for a moment (an old dyno stopping, its
// replacement starting): the newest is the one the name stands for.
func (e *Emulator) getDynoManaged(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	if e.dynos == nil {
		e.getDyno(w, r, a, now)
		return
	}
	key := r.PathValue("dyno")
	for i := len(a.dynos) - 1; i >= 0; i-- {
		if d := a.dynos[i]; d.name() == key || d.id == key {
			writeJSON(w, 200, e.dynoJSON(a, d, now))
			return
		}
	}
	e.writeError(w, &apiError{404, "not_found", "Couldn't find that dyno."})
}

// restartManaged answers DELETE /apps/{app}/dynos/{dyno-or-type}: each
// formation dyno named is replaced by a new one; a one-off run dyno, which
// never restarts, is stopped; a one-off dyno of another type is left alone
// (the platform's restart does not kill those).
func (e *Emulator) restartManaged(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	e.eachNamed(w, r, a, now, (*manager).restartDyno)
}

// eachNamed does what a request asks of the live dynos that its {dyno}
// names (a dyno's name or id, or a process type), and answers 202; 404 when
// it names none. Without a dyno manager, it restarts them as the API alone
// does.
func (e *Emulator) eachNamed(w http.ResponseWriter, r *http.Request, a *app, now time.Time, do func(*manager, *dyno, time.Time)) {
	m := e.dynos
	if m == nil {
		e.restart(w, r, a, now)
		return
	}
	dynos := findLive(a, r.PathValue("dyno"))
	if len(dynos) == 0 {
		e.writeError(w, &apiError{404, "not_found", "Couldn't find that dyno."})
		return
	}
	for _, d := range dynos {
		do(m, d, now)
	}
	writeJSON(w, 202, struct{}{})
}

// SDKAccept is the Accept header of the official CLI's restart of a
// process type (its 11.10's `heroku ps:restart --process-type worker`).
const SDKAccept = "application/vnd.heroku+json; version=3.sdk"

// restartFormation answers DELETE /apps/{app}/formations/{type}, the
// official CLI's restart of a process type: every dyno of the type
// restarts (a new dyno each, with a dyno manager), and it answers 202, or
// 404 for a type the formation does not have. The endpoint is not in the
// public schema: the CLI asks for it with SDKAccept. What the platform
// answers without that is unconfirmed; the emulator answers as for an
// unknown endpoint, so that a client is held to the CLI's request.
func (e *Emulator) restartFormation(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	if !strings.Contains(r.Header.Get("Accept"), SDKAccept) {
		e.noEndpoint(w, r)
		return
	}
	typ := r.PathValue("type")
	if p := a.process(typ); p == nil || p.typ != typ { // a type by its name, not its id
		e.writeError(w, &apiError{404, "not_found", fmt.Sprintf("Couldn't find that process type (%s).", typ)})
		return
	}
	for _, d := range slices.Clone(a.dynos) {
		switch {
		case d.typ != typ:
		case e.dynos == nil:
			if d.stoppedAt.IsZero() {
				d.startedAt = now
			}
		case !d.run.stopping && d.run.doom == nil:
			e.dynos.restartDyno(d, now)
		}
	}
	writeJSON(w, 202, struct{}{})
}

// restartAllManaged answers DELETE /apps/{app}/dynos: every dyno restarts,
// as on a deploy. Whether the platform's restart of an app also ends its
// one-off run dynos is unconfirmed: here it does, the worst case for them.
func (e *Emulator) restartAllManaged(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	m := e.dynos
	if m == nil {
		e.restartAll(w, r, a, now)
		return
	}
	for _, d := range slices.Clone(a.dynos) {
		if !d.run.stopping && d.run.doom == nil {
			m.restartDyno(d, now)
		}
	}
	writeJSON(w, 202, struct{}{})
}

func (m *manager) restartDyno(d *dyno, now time.Time) {
	r := d.run
	switch {
	case r.oneOff && d.typ == "run":
		m.stopDyno(d, now)
	case r.oneOff:
	default:
		delete(m.crashes, r.app.name+"/"+d.name()) // a release resets the cool-off
		m.replace(d, "Restarting", "starting", now)
	}
}

// stopManaged answers POST /apps/{app}/dynos/{dyno}/actions/stop.
func (e *Emulator) stopManaged(w http.ResponseWriter, r *http.Request, a *app, now time.Time) {
	e.eachNamed(w, r, a, now, (*manager).stopDyno)
}

// stopDyno stops a dyno: a one-off dyno for good; a formation dyno, which
// the formation brings back at once as a new one.
func (m *manager) stopDyno(d *dyno, now time.Time) {
	if d.run.oneOff {
		m.setState(d, "down", now)
		m.terminate(d, now)
		return
	}
	m.replace(d, "", "down", now)
}
