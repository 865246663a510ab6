package emulator

import (
	"net/http"
	"strings"
)

// dynoSizeJSON is a dyno size as GET /dyno-sizes answers it, in the shape
// of the v6 schema, which the v5 schema accepts too (it lists dyno_units
// where v6 has precise_dyno_units; neither requires it).
type dynoSizeJSON struct {
	Architecture     string    `json:"architecture"`
	Compute          int       `json:"compute"`
	Cost             *costJSON `json:"cost"` // null: priced by contract
	Dedicated        bool      `json:"dedicated"`
	Generation       ref       `json:"generation"`
	ID               string    `json:"id"`
	Memory           float64   `json:"memory"`
	Name             string    `json:"name"`
	PreciseDynoUnits float64   `json:"precise_dyno_units"`
	PrivateSpaceOnly bool      `json:"private_space_only"`
}

type costJSON struct {
	Cents int    `json:"cents"`
	Unit  string `json:"unit"`
}

// dynoSizes are the sizes the emulator knows (those scaler.CanonicalSize
// accepts by name), with plausible monthly prices in cents for trying
// `scaler plan --cost`. The prices, memory, compute and dyno units are the
// emulator's, not authoritative: the platform's own come from its API.
// Private and Shield sizes, sold with Private Spaces by contract, have no
// price (null), and Eco's is the account's flat plan.
var dynoSizes = []struct {
	name      string
	compute   int
	memory    float64
	dedicated bool
	private   bool
	cents     int // per month; -1 for no price
	units     float64
}{
	{"Eco", 1, 0.5, false, false, 500, 0},
	{"Basic", 1, 0.5, false, false, 700, 0},
	{"Standard-1X", 1, 0.5, false, false, 2500, 1},
	{"Standard-2X", 2, 1, false, false, 5000, 2},
	{"Performance-M", 2, 2.5, true, false, 25000, 8},
	{"Performance-L", 8, 14, true, false, 50000, 16},
	{"Performance-L-RAM", 4, 30, true, false, 50000, 16},
	{"Performance-XL", 8, 62, true, false, 75000, 24},
	{"Performance-2XL", 16, 126, true, false, 150000, 48},
	{"Private-S", 1, 1, true, true, -1, 2},
	{"Private-M", 2, 2.5, true, true, -1, 4},
	{"Private-L", 8, 14, true, true, -1, 16},
	{"Private-Memory-L", 4, 30, true, true, -1, 16},
	{"Private-Memory-XL", 8, 62, true, true, -1, 24},
	{"Private-Memory-2XL", 16, 126, true, true, -1, 48},
	{"Shield-S", 1, 1, true, true, -1, 2.4},
	{"Shield-M", 2, 2.5, true, true, -1, 4.8},
	{"Shield-L", 8, 14, true, true, -1, 19.2},
	{"Shield-Memory-L", 4, 30, true, true, -1, 19.2},
	{"Shield-Memory-XL", 8, 62, true, true, -1, 28.8},
	{"Shield-Memory-2XL", 16, 126, true, true, -1, 57.6},
}

func dynoSize(i int) dynoSizeJSON {
	s := dynoSizes[i]
	j := dynoSizeJSON{
		Architecture: "amd64", Compute: s.compute, Dedicated: s.dedicated,
		Generation: ref{"e8d4f3ab-1b5c-4c1e-9f2a-0c6d2b6f1a11", "cedar"},
		ID:         sizeID(s.name), Memory: s.memory, Name: s.name,
		PreciseDynoUnits: s.units, PrivateSpaceOnly: s.private,
	}
	if s.cents >= 0 {
		j.Cost = &costJSON{s.cents, "month"}
	}
	return j
}

// listDynoSizes answers GET /dyno-sizes. It needs no app.
func (e *Emulator) listDynoSizes(w http.ResponseWriter, r *http.Request) {
	out := make([]dynoSizeJSON, len(dynoSizes))
	for i := range dynoSizes {
		out[i] = dynoSize(i)
	}
	writeJSON(w, 200, out)
}

// getDynoSize answers GET /dyno-sizes/{size}, by name in any case or by id.
func (e *Emulator) getDynoSize(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("size")
	for i, s := range dynoSizes {
		if strings.EqualFold(s.name, key) || sizeID(s.name) == key {
			writeJSON(w, 200, dynoSize(i))
			return
		}
	}
	e.writeError(w, &apiError{404, "not_found", "Couldn't find that dyno size."})
}
