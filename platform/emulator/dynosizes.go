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

// dynoSizes are the sizes the emulator knows: Cedar's, as the Platform API
// documents them, with plausible monthly prices in cents for trying
// `scaler plan --cost`. This table is the emulator's own, not the client's
// (scaler's spec parser keeps its own list): a test of scaler against the
// emulator is then a test against a second reading of the documentation,
// and a size that one side misspells or forgets shows as a disagreement
// (TestSizesAgree). The prices, memory, compute and dyno units are the
// emulator's, not authoritative: the platform's own come from its API.
// Private and Shield sizes, sold with Private Spaces by contract, have no
// price (null), and Eco's is the account's flat plan. Fir's sizes
// (dyno-2c-4gb, ...) belong to Fir spaces, not to the Cedar apps the
// emulator holds, so they are not here, and a write that names one is
// refused as an unknown size (what a Cedar app answers is unconfirmed).
var dynoSizes = []dynoSizeRow{
	{"Eco", 1, 0.5, false, false, true, 500, 0},
	{"Basic", 1, 0.5, false, false, true, 700, 0},
	{"Standard-1X", 1, 0.5, false, false, false, 2500, 1},
	{"Standard-2X", 2, 1, false, false, false, 5000, 2},
	{"Performance-M", 2, 2.5, true, false, false, 25000, 8},
	{"Performance-L", 8, 14, true, false, false, 50000, 16},
	{"Performance-L-RAM", 4, 30, true, false, false, 50000, 16},
	{"Performance-XL", 8, 62, true, false, false, 75000, 24},
	{"Performance-2XL", 16, 126, true, false, false, 150000, 48},
	{"Private-S", 1, 1, true, true, false, -1, 2},
	{"Private-M", 2, 2.5, true, true, false, -1, 4},
	{"Private-L", 8, 14, true, true, false, -1, 16},
	{"Private-Memory-L", 4, 30, true, true, false, -1, 16},
	{"Private-Memory-XL", 8, 62, true, true, false, -1, 24},
	{"Private-Memory-2XL", 16, 126, true, true, false, -1, 48},
	{"Shield-S", 1, 1, true, true, false, -1, 2.4},
	{"Shield-M", 2, 2.5, true, true, false, -1, 4.8},
	{"Shield-L", 8, 14, true, true, false, -1, 19.2},
	{"Shield-Memory-L", 4, 30, true, true, false, -1, 19.2},
	{"Shield-Memory-XL", 8, 62, true, true, false, -1, 28.8},
	{"Shield-Memory-2XL", 16, 126, true, true, false, -1, 57.6},
}

// dynoSizeRow is one size of the emulator's table.
type dynoSizeRow struct {
	name      string
	compute   int
	memory    float64
	dedicated bool
	private   bool
	// oneDyno: the size allows one dyno per process type, and no other
	// size in the same app (Eco and Basic).
	oneDyno bool
	cents   int // per month; -1 for no price
	units   float64
}

// sizeNamed returns the size a name denotes, given in any case as the API
// accepts it (`standard-2x`).
func sizeNamed(name string) (dynoSizeRow, bool) {
	for _, s := range dynoSizes {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return dynoSizeRow{}, false
}

// sizeNames lists the table's sizes, for an error.
func sizeNames() string {
	names := make([]string, len(dynoSizes))
	for i, s := range dynoSizes {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
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
