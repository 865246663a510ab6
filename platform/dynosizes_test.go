package platform

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// The sizes and their prices come in one request; a size without a price
// is listed unpriced.
func TestDynoSizes(t *testing.T) {
	f := setup(t, fast)
	sizes, err := f.client.DynoSizes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]DynoSize{
		"Standard-1X": {Name: "Standard-1X", Priced: true, Cents: 2500, Unit: "month"},
		"Private-S":   {Name: "Private-S"},
	}
	for _, s := range sizes {
		if w, ok := want[s.Name]; ok {
			if s != w {
				t.Errorf("DynoSizes: %+v, want %+v", s, w)
			}
			delete(want, s.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("DynoSizes lacks %v: %+v", want, sizes)
	}
	if reqs := f.em.Requests(); len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/dyno-sizes" {
		t.Errorf("requests: %+v, want one GET /dyno-sizes", reqs)
	}
}

// A cost in a shape the schema does not promise leaves its size unpriced,
// and the others priced.
func TestDynoSizesOddCosts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[
			{"name": "Standard-1X", "cost": {"cents": 2500, "unit": "month"}, "compute": 1},
			{"name": "Basic", "cost": {"cents": 700.5, "unit": "month"}},
			{"name": "Eco", "cost": {"cents": 500}},
			{"name": "Private-S", "cost": null},
			{"name": "Shield-S", "cost": "contract"},
			{"name": "Performance-M"}
		]`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Token: NewToken(secret), Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := c.DynoSizes(t.Context())
	want := []DynoSize{
		{Name: "Standard-1X", Priced: true, Cents: 2500, Unit: "month"},
		{Name: "Basic", Priced: true, Cents: 700.5, Unit: "month"},
		{Name: "Eco"}, {Name: "Private-S"}, {Name: "Shield-S"}, {Name: "Performance-M"},
	}
	if err != nil || !slices.Equal(sizes, want) {
		t.Errorf("DynoSizes = %+v, %v\nwant %+v", sizes, err, want)
	}
}
