package schedules

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// Fleet is a schedule whose default app is named: the apps it scales, and
// what the scaler domain asks of a schedule ([scaler.Schedule]), by app
// name. Its methods are pure functions of the instants passed in.
type Fleet struct {
	s          *Schedule
	defaultApp string
}

// Fleet returns the schedule with defaultApp as the app of the rules
// before any `app` line ("" when the schedule has none). It returns an
// error wrapping scaler.ErrInvalid when the schedule has such rules and no
// default app is given, or when defaultApp is also named by an `app` line
// with rules for a type that the default app's rules name too: two sets of
// rules would claim it.
func (s *Schedule) Fleet(defaultApp string) (*Fleet, error) {
	if slices.Contains(s.Apps(), "") {
		if defaultApp == "" {
			return nil, scaler.Errorf(scaler.ErrInvalid, "the schedule has rules without an `app` line, and no app is given for them")
		}
		for _, typ := range s.Types("") {
			if slices.Contains(s.Types(defaultApp), typ) {
				return nil, scaler.Errorf(scaler.ErrInvalid, "app %s is both the default app and named by an `app` line, with rules for %s in both", defaultApp, typ)
			}
		}
	}
	return &Fleet{s: s, defaultApp: defaultApp}, nil
}

// appOf returns the app a rule's App stands for.
func (f *Fleet) appOf(app string) string { return cmp.Or(app, f.defaultApp) }

// Apps returns the apps the schedule scales, in order of first appearance,
// the default app by its name.
func (f *Fleet) Apps() []string {
	var apps []string
	for _, a := range f.s.Apps() {
		if a = f.appOf(a); !slices.Contains(apps, a) {
			apps = append(apps, a)
		}
	}
	return apps
}

// Types returns the process types the schedule names for app, sorted, each
// with its kind and the zone of its rules.
func (f *Fleet) Types(app string) []scaler.Owned {
	var out []scaler.Owned
	for _, r := range f.s.Rules {
		if f.appOf(r.App) != app || slices.ContainsFunc(out, func(o scaler.Owned) bool { return o.Type == r.Type }) {
			continue
		}
		out = append(out, scaler.Owned{Type: r.Type, Kind: kind(r.Once), Zone: r.Zone})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Wants returns what the schedule wants of app's types at t (see
// [Schedule.At]), sorted by type.
func (f *Fleet) Wants(app string, t time.Time) []scaler.Want {
	var out []scaler.Want
	for _, tg := range f.s.At(t) {
		if f.appOf(tg.App) == app {
			out = append(out, want(tg))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Windows returns the occurrences of app's once windows open at some
// instant of [from, to): the one in force at from, and those that open
// after it, in order of opening, ties by type.
func (f *Fleet) Windows(app string, from, to time.Time) []scaler.Window {
	if !to.After(from) {
		return nil
	}
	var out []scaler.Window
	add := func(tg *Target) {
		if tg != nil && tg.Once && f.appOf(tg.App) == app {
			out = append(out, scaler.Window{App: app, Type: tg.Type, Open: tg.Since, Close: tg.Until, Rule: ref(tg.Rule)})
		}
	}
	for _, tg := range f.s.At(from) {
		add(&tg)
	}
	for _, c := range f.s.Changes(from, to) {
		add(c.To) // an occurrence that opens
	}
	sort.SliceStable(out, func(i, j int) bool {
		return cmp.Or(out[i].Open.Compare(out[j].Open), cmp.Compare(out[i].Type, out[j].Type)) < 0
	})
	return out
}

// Restarts returns the occurrences of app's restart windows open at some
// instant of [from, to) (see [Schedule.Restarts]), in order of opening,
// ties by type.
func (f *Fleet) Restarts(app string, from, to time.Time) []scaler.Window {
	var out []scaler.Window
	for _, o := range f.s.Restarts(from, to) {
		if f.appOf(o.App) == app {
			out = append(out, scaler.Window{App: app, Type: o.Type, Open: o.Open, Close: o.Close, Rule: ref(o.Rule), Rolling: o.Rule.Rolling})
		}
	}
	return out
}

func kind(once bool) scaler.WantKind {
	if once {
		return scaler.Once
	}
	return scaler.Level
}

func ref(r *Rule) scaler.RuleRef {
	return scaler.RuleRef{Line: r.Line, Text: r.Text, Zone: r.Zone}
}

// want is a target as the domain takes it.
func want(tg Target) scaler.Want {
	return scaler.Want{Type: tg.Type, Kind: kind(tg.Once), N: tg.Quantity, Size: tg.Size, Since: tg.Since, Until: tg.Until, Rule: ref(tg.Rule)}
}

// Fleet is what the domain needs of a schedule.
var _ scaler.Schedule = (*Fleet)(nil)
