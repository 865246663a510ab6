package emulator

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// app is one emulated app: its formation and its dynos.
type app struct {
	id, name  string
	createdAt time.Time
	processes []*process
	dynos     []*dyno
}

type process struct {
	id                   string
	typ                  string
	quantity             int
	size                 string
	command              string
	createdAt, updatedAt time.Time
}

// dyno is one dyno of the formation. Its state is derived from the clock:
// starting until bootDelay after startedAt, then up; once scaled away it is
// down for stopDelay, then gone.
type dyno struct {
	id        string
	typ       string
	num       int
	size      string
	command   string
	createdAt time.Time
	startedAt time.Time
	stoppedAt time.Time // zero while it belongs to the formation
	// run, with a dyno manager (Config.Dynos), is the dyno's real process
	// and its state; the fields above that derive state from the clock are
	// then unused.
	run *dynoRun
}

func (d *dyno) name() string { return fmt.Sprintf("%s.%d", d.typ, d.num) }

func (d *dyno) state(now time.Time, boot time.Duration) (state string, changed time.Time) {
	switch {
	case d.run != nil:
		return d.run.state, d.run.changed
	case !d.stoppedAt.IsZero():
		return "down", d.stoppedAt
	case now.Sub(d.startedAt) < boot:
		return "starting", d.startedAt
	default:
		return "up", d.startedAt.Add(boot)
	}
}

func (a *app) process(typ string) *process {
	i := slices.IndexFunc(a.processes, func(p *process) bool { return p.typ == typ || p.id == typ })
	if i < 0 {
		return nil
	}
	return a.processes[i]
}

// purge forgets the dynos whose shutdown has finished.
func (a *app) purge(now time.Time, stop time.Duration) {
	a.dynos = slices.DeleteFunc(a.dynos, func(d *dyno) bool {
		return !d.stoppedAt.IsZero() && now.Sub(d.stoppedAt) >= stop
	})
}

// reconcile makes the dynos of p match its quantity and size: numbers 1..N
// run, higher-numbered dynos are shut down (the platform always removes the
// highest-numbered ones), and a size change restarts the type's dynos.
func (e *Emulator) reconcile(a *app, p *process, resized bool, now time.Time) {
	if e.dynos != nil {
		e.dynos.reconcile(a, p, resized, now)
		return
	}
	live := map[int]*dyno{}
	for _, d := range a.dynos {
		if d.typ == p.typ && d.stoppedAt.IsZero() {
			live[d.num] = d
		}
	}
	for num, d := range live {
		switch {
		case num > p.quantity:
			d.stoppedAt = now
		case resized:
			d.size, d.startedAt = p.size, now
		}
	}
	for num := 1; num <= p.quantity; num++ {
		if live[num] == nil {
			a.dynos = append(a.dynos, &dyno{
				id: e.newID(), typ: p.typ, num: num, size: p.size, command: p.command,
				createdAt: now, startedAt: now,
			})
		}
	}
	sortDynos(a)
}

// update is one entry of a formation update, decoded from what a client sent.
type update struct {
	typ      string
	quantity string // "", "2", "+1" or "-1"
	size     string // "" keeps the size
}

// apply validates a batch of updates against the app and carries it out,
// all or nothing. It returns the updated process types, or an API error.
func (e *Emulator) apply(a *app, updates []update, now time.Time) ([]*process, *apiError) {
	if len(a.processes) == 0 {
		return nil, &apiError{422, "invalid_params", "App must be deployed before dynos can be scaled."}
	}
	type next struct {
		p        *process
		quantity int
		size     string
	}
	var plan []next
	for _, u := range updates {
		p := a.process(u.typ)
		if p == nil {
			return nil, &apiError{404, "not_found", fmt.Sprintf("Couldn't find that process type (%s).", u.typ)}
		}
		n := next{p: p, quantity: p.quantity, size: p.size}
		if u.quantity != "" {
			q, err := parseQuantity(u.quantity, p.quantity)
			if err != nil {
				return nil, &apiError{422, "invalid_params", err.Error()}
			}
			n.quantity = q
		}
		if u.size != "" {
			size, ok := sizeNamed(u.size)
			if !ok {
				return nil, &apiError{422, "invalid_params", fmt.Sprintf("Invalid dyno size: %s.", u.size)}
			}
			n.size = size.name
		}
		plan = append(plan, n)
	}

	// The limits are checked on the formation as it would be after the batch.
	after := map[string]next{}
	for _, p := range a.processes {
		after[p.typ] = next{p: p, quantity: p.quantity, size: p.size}
	}
	for _, n := range plan {
		after[n.p.typ] = n
	}
	single, multi, total := "", "", 0
	for _, typ := range slices.Sorted(maps.Keys(after)) {
		n := after[typ]
		if n.quantity == 0 {
			continue
		}
		total += n.quantity
		if size, _ := sizeNamed(n.size); !size.oneDyno {
			multi = n.size
			continue
		}
		if n.quantity > 1 {
			return nil, &apiError{422, "invalid_params", fmt.Sprintf("Cannot update to more than 1 %s size dynos per process type.", n.size)}
		}
		single = n.size
	}
	if single != "" && multi != "" {
		return nil, &apiError{422, "invalid_params", fmt.Sprintf("Cannot use the following dyno types in the same app: %s and %s", single, multi)}
	}
	if total > e.maxDynos {
		return nil, &apiError{422, "invalid_params", fmt.Sprintf("Cannot scale to more than %d dynos per app.", e.maxDynos)}
	}

	var changed []*process
	for _, n := range plan {
		// Sizes are held in the table's spelling.
		resized := n.size != n.p.size
		n.p.quantity, n.p.size, n.p.updatedAt = n.quantity, n.size, now
		e.reconcile(a, n.p, resized, now)
		changed = append(changed, n.p)
	}
	return changed, nil
}

// parseQuantity reads a quantity as the API accepts it: a number or a numeric
// string, relative ("+1", "-1") to the current quantity when signed. A
// relative change below zero stops at zero.
func parseQuantity(s string, current int) (int, error) {
	bad := fmt.Errorf("Invalid quantity: %s. Quantity must be a positive integer or a relative change like +1.", s)
	sign := 0
	switch s[0] {
	case '+':
		sign, s = 1, s[1:]
	case '-':
		sign, s = -1, s[1:]
	}
	n := 0
	if s == "" || len(s) > 6 {
		return 0, bad
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, bad
		}
		n = n*10 + int(r-'0')
	}
	if sign == 0 {
		return n, nil
	}
	return max(0, current+sign*n), nil
}
