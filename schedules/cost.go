package schedules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HoursPerMonth is the number of hours over which [Report.Price] spreads
// a monthly price: 30 days. Heroku prorates dyno usage to the second
// against the calendar month, capped at the monthly price, so a price per
// hour from it is an estimate: a month has 672 to 744 hours.
const HoursPerMonth = 720

// NewTypeSize is the size the platform gives a new process type. The time
// of a type whose rules set no size is priced at it.
const NewTypeSize = "Standard-1X"

// SizePrice is a dyno size's list price as the Platform API gives it
// (GET /dyno-sizes): Cents per Unit, such as 2500 a month.
type SizePrice struct {
	Size  string   `json:"size"`
	Cents *float64 `json:"cents"` // nil: the API gives no price
	Unit  string   `json:"unit"`
}

// Cost is a report's dyno-hours in money, at the sizes' list prices.
type Cost struct {
	HoursPerMonth int        `json:"hours_per_month"`
	NewTypeSize   string     `json:"new_type_size"`
	Types         []TypeCost `json:"types"` // as the report's types
	// The totals of the level types that have a price, over the period.
	Cents        float64 `json:"cents"`
	PeakCents    float64 `json:"peak_cents"`
	SavedCents   float64 `json:"saved_cents"`
	SavedPercent float64 `json:"saved_percent"`
	// Unpriced are the sizes the schedule runs that have no usable price,
	// each with the reason.
	Unpriced []UnpricedSize `json:"unpriced"`
}

// TypeCost is the money of one (app, type) over the period. A once type's
// dyno-hours are its job's runtime, which the schedule does not know: its
// figures are zero, and its sizes' prices per hour say what an hour of
// the job costs.
type TypeCost struct {
	App   string     `json:"app"`
	Type  string     `json:"type"`
	Once  bool       `json:"once,omitempty"`
	Sizes []SizeCost `json:"sizes"` // the sizes it runs at, in order of first use
	// Priced is whether every size it runs at has a price; the figures
	// below are zero when not.
	Priced    bool    `json:"priced"`
	DynoHours float64 `json:"dyno_hours"`
	Cents     float64 `json:"cents"`
	// PeakCents is the type kept at its most expensive formation of the
	// period all its managed time.
	PeakCents    float64 `json:"peak_cents"`
	SavedCents   float64 `json:"saved_cents"`
	SavedPercent float64 `json:"saved_percent"`
}

// SizeCost is the time of one type at one size.
type SizeCost struct {
	Size string `json:"size"`
	// Assumed is true when some of this time is under rules that give no
	// size, which leave the size as it is: it is then the size the type's
	// rules set last (the week before the period included), or
	// NewTypeSize when they set none.
	Assumed      bool     `json:"assumed,omitempty"`
	DynoHours    float64  `json:"dyno_hours"`     // 0 for a once type
	CentsPerHour *float64 `json:"cents_per_hour"` // nil: no price
	Cents        float64  `json:"cents"`
}

// UnpricedSize is a size without a usable price, and why.
type UnpricedSize struct {
	Size   string `json:"size"`
	Reason string `json:"reason"`
}

// sizedTime is some of the managed time of one type: at one size and
// quantity, and whether the rules in force gave the size.
type sizedTime struct {
	size     string // "" when no rule of the type has set one
	assumed  bool
	quantity int
	seconds  float64
}

// sizedTimes splits the managed time of [from, to) by size and quantity.
// A rule without a size leaves the size as it is, so its time is at the
// size the type's rules set last, looked for up to a week before the
// period; "" when they set none.
func (g *group) sizedTimes(segs []segment, d0 day, from, to time.Time) []sizedTime {
	var out []sizedTime
	size, looked := "", false
	for i, sg := range segs {
		if sg.rule == nil {
			continue
		}
		if sg.rule.Size != "" {
			size = sg.rule.Size
		}
		lo, hi := within(segs, i, from, to)
		if !hi.After(lo) {
			continue
		}
		if size == "" && !looked {
			size, looked = g.sizeBefore(d0), true
		}
		st := sizedTime{size: size, assumed: sg.rule.Size == "", quantity: sg.rule.Quantity}
		j := slices.IndexFunc(out, func(o sizedTime) bool {
			return o.size == st.size && o.assumed == st.assumed && o.quantity == st.quantity
		})
		if j < 0 {
			j = len(out)
			out = append(out, st)
		}
		out[j].seconds += hi.Sub(lo).Seconds()
	}
	return out
}

// sizeBefore returns the size the type's rules set last in the week
// before local day d0, or "".
func (g *group) sizeBefore(d0 day) string {
	sized := func(r *Rule) bool { return r != nil && r.Size != "" }
	if !sized(g.def) && !slices.ContainsFunc(g.windowed, sized) {
		return ""
	}
	sw := g.sweep(d0-8, d0-1)
	size := ""
	for _, sg := range sw.segs {
		if sg.start >= sw.last {
			break
		}
		if sized(sg.rule) {
			size = sg.rule.Size
		}
	}
	return size
}

// Price sets the report's Cost from the sizes' list prices. A price per
// month is spread over [HoursPerMonth]; per hour is taken as it is; other
// units, a size the prices do not list, one without a price, and Eco
// (whose dynos share the account's flat Eco plan) leave the types that run
// at them unpriced, with the reason in Cost.Unpriced.
func (r *Report) Price(prices []SizePrice) {
	c := &Cost{HoursPerMonth: HoursPerMonth, NewTypeSize: NewTypeSize, Types: []TypeCost{}, Unpriced: []UnpricedSize{}}
	for _, t := range r.Types {
		tc := TypeCost{App: t.App, Type: t.Type, Once: t.Once, Sizes: []SizeCost{}, Priced: true}
		rates := map[string]rate{}
		var managed float64 // seconds
		for _, st := range t.sized {
			managed += st.seconds
		}
		// Money is reckoned in seconds and whole prices, and divided last,
		// so that round figures stay round.
		var peak float64
		for _, st := range t.sized {
			if st.quantity == 0 {
				continue // costs nothing at any size
			}
			size := cmp.Or(st.size, NewTypeSize)
			i := slices.IndexFunc(tc.Sizes, func(s SizeCost) bool { return s.Size == size })
			if i < 0 {
				i = len(tc.Sizes)
				sc := SizeCost{Size: size}
				if rt, why := priceOf(prices, size); why != "" {
					if !slices.ContainsFunc(c.Unpriced, func(u UnpricedSize) bool { return u.Size == size }) {
						c.Unpriced = append(c.Unpriced, UnpricedSize{size, why})
					}
				} else {
					rates[size] = rt
					perHour := rt.money(1, 3600)
					sc.CentsPerHour = &perHour
				}
				tc.Sizes = append(tc.Sizes, sc)
			}
			sc := &tc.Sizes[i]
			sc.Assumed = sc.Assumed || st.assumed
			rt, ok := rates[size]
			tc.Priced = tc.Priced && ok
			if t.Once {
				continue
			}
			sc.DynoHours += float64(st.quantity) * st.seconds / 3600
			if ok {
				sc.Cents += rt.money(st.quantity, st.seconds)
				peak = max(peak, rt.money(st.quantity, managed))
			}
		}
		if tc.Priced && !t.Once {
			tc.DynoHours = t.Usage.DynoHours
			for _, sc := range tc.Sizes {
				tc.Cents += sc.Cents
			}
			tc.PeakCents = peak
			tc.SavedCents = tc.PeakCents - tc.Cents
			if tc.PeakCents > 0 {
				tc.SavedPercent = 100 * tc.SavedCents / tc.PeakCents
			}
			c.Cents += tc.Cents
			c.PeakCents += tc.PeakCents
		}
		if !tc.Priced {
			for i := range tc.Sizes {
				tc.Sizes[i].Cents = 0
			}
		}
		c.Types = append(c.Types, tc)
	}
	c.SavedCents = c.PeakCents - c.Cents
	if c.PeakCents > 0 {
		c.SavedPercent = 100 * c.SavedCents / c.PeakCents
	}
	r.Cost = c
}

// rate is a price: cents per so many seconds.
type rate struct{ cents, seconds float64 }

// money is what quantity dynos cost for seconds, in cents.
func (r rate) money(quantity int, seconds float64) float64 {
	return float64(quantity) * seconds * r.cents / r.seconds
}

// priceOf returns a size's price, or why it has none.
func priceOf(prices []SizePrice, size string) (rate, string) {
	i := slices.IndexFunc(prices, func(p SizePrice) bool { return strings.EqualFold(p.Size, size) })
	switch {
	case i < 0:
		return rate{}, "the API does not list it"
	case strings.EqualFold(size, "Eco"):
		return rate{}, "Eco dynos share the account's flat Eco plan, which is not a price per dyno-hour"
	case prices[i].Cents == nil:
		return rate{}, "the API gives no price for it"
	case *prices[i].Cents < 0:
		return rate{}, fmt.Sprintf("the API gives a negative price (%v)", *prices[i].Cents)
	}
	switch p := prices[i]; strings.ToLower(p.Unit) {
	case "month":
		return rate{*p.Cents, HoursPerMonth * 3600}, ""
	case "hour":
		return rate{*p.Cents, 3600}, ""
	default:
		return rate{}, fmt.Sprintf("the API gives a price per %q, which plan does not convert", p.Unit)
	}
}
