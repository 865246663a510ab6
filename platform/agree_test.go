package platform

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/scaler"
)

// The client (scaler's spec parser) and the emulator each read the
// Platform API's documentation for themselves, and keep their own tables:
// here is where they must agree, so that a size or a quantity that one side
// gets wrong fails a test instead of passing on both.
func TestClientAndEmulatorAgree(t *testing.T) {
	t.Run("every size the emulator lists, the client reads in the same spelling", func(t *testing.T) {
		f := setup(t, fast)
		listed, err := f.client.DynoSizes(t.Context())
		if err != nil || len(listed) == 0 {
			t.Fatalf("DynoSizes = %v, %v", listed, err)
		}
		var names []string
		for _, s := range listed {
			names = append(names, s.Name)
			for _, typed := range []string{s.Name, strings.ToLower(s.Name), strings.ToUpper(s.Name)} {
				if canon, err := scaler.CanonicalSize(typed); err != nil || canon != s.Name {
					t.Errorf("the emulator lists %s; CanonicalSize(%q) = %q, %v", s.Name, typed, canon, err)
				}
			}
		}
		for _, name := range scaler.Sizes() {
			if !slices.Contains(names, name) {
				t.Errorf("the client knows %s; the emulator does not list it", name)
			}
		}
	})

	t.Run("every size the client knows, the emulator accepts, typed in any case", func(t *testing.T) {
		f := setup(t, fast)
		svc := &scaler.Service{Platform: f.client, Log: slog.New(slog.DiscardHandler)}
		for _, name := range scaler.Sizes() {
			for _, typed := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
				// worker stays at 0, where no size's limits apply.
				p := apply(t, svc, "worker:"+typed)
				got := f.em.Formation("demo")[1]
				if got.Size != name || len(p.Changes) > 0 && p.Changes[0].ToSize != name {
					t.Errorf("worker:%s: the emulator holds %+v, the client planned %+v", typed, got, p.Changes)
				}
			}
		}
	})

	t.Run("quantities, absolute and relative, land where the client planned", func(t *testing.T) {
		f := setup(t, fast)
		svc := &scaler.Service{Platform: f.client, Log: slog.New(slog.DiscardHandler)}
		for _, specs := range []string{
			"worker=2", "worker+1", "worker-1", "worker-5", "web=0 worker+3", "worker=0",
			// The client's largest quantity is the emulator's limit of dynos per app.
			fmt.Sprintf("web=0 worker=%d", scaler.MaxQuantity), "web=1 worker=0",
			"worker=1:basic web=0:eco", "worker-1:standard-1x web=0:Standard-1X",
		} {
			p := apply(t, svc, strings.Fields(specs)...)
			for _, c := range p.Changes {
				want := max(0, c.To)
				if got := f.em.Quantity("demo", c.Type); got != want {
					t.Errorf("%s: %s is at %d in the emulator, at %d in the client's plan", specs, c.Type, got, want)
				}
			}
		}
		if scaler.MaxQuantity != emulator.DefaultMaxDynos {
			t.Errorf("the client's largest quantity is %d, the emulator's limit of dynos per app %d", scaler.MaxQuantity, emulator.DefaultMaxDynos)
		}
	})
}

// apply parses specs as the command line does and applies them to demo.
func apply(t *testing.T, svc *scaler.Service, args ...string) scaler.Plan {
	t.Helper()
	specs, err := scaler.ParseSpecs(args)
	if err != nil {
		t.Fatalf("ParseSpecs(%q): %v", args, err)
	}
	p, err := svc.Plan(t.Context(), "demo", specs)
	if err != nil {
		t.Fatalf("plan %q: %v", args, err)
	}
	if p, err = svc.Apply(t.Context(), p); err != nil {
		t.Fatalf("apply %q: the emulator refused what the client sent: %v", args, err)
	}
	return p
}
