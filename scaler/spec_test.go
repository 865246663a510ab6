package scaler

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
	}{
		{"worker=1", Spec{Type: "worker", Op: Set, N: 1}},
		{"web=0", Spec{Type: "web", Op: Set, N: 0}},
		{"web=100", Spec{Type: "web", Op: Set, N: 100}},
		{"web=007", Spec{Type: "web", Op: Set, N: 7}},
		{"worker=2:standard-2x", Spec{Type: "worker", Op: Set, N: 2, Size: "Standard-2X"}},
		{"worker=1:PERFORMANCE-L", Spec{Type: "worker", Op: Set, N: 1, Size: "Performance-L"}},
		{"worker+3", Spec{Type: "worker", Op: Add, N: 3}},
		{"worker-1", Spec{Type: "worker", Op: Add, N: -1}},
		{"worker-2:basic", Spec{Type: "worker", Op: Add, N: -2, Size: "Basic"}},
		{"worker+1:eco", Spec{Type: "worker", Op: Add, N: 1, Size: "Eco"}},
		{"web:standard-1x", Spec{Type: "web", Op: Resize, Size: "Standard-1X"}},
		{"web:Dyno-2C-4GB", Spec{Type: "web", Op: Resize, Size: "dyno-2c-4gb"}},
		{"my-worker-1", Spec{Type: "my-worker", Op: Add, N: -1}},
		{"my-worker=2", Spec{Type: "my-worker", Op: Set, N: 2}},
		{"my_worker+2", Spec{Type: "my_worker", Op: Add, N: 2}},
		{"nightly-report:standard-2x", Spec{Type: "nightly-report", Op: Resize, Size: "Standard-2X"}},
		{"2fa=1", Spec{Type: "2fa", Op: Set, N: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if err != nil {
				t.Fatalf("ParseSpec(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseSpec(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			again, err := ParseSpec(got.String())
			if err != nil || again != got {
				t.Errorf("ParseSpec(%q) = %+v, %v; want the spec back", got.String(), again, err)
			}
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "empty spec"},
		{"   ", "empty spec"},
		{"worker", "missing quantity"},
		{"worker=", "missing number"},
		{"worker+", "missing number"},
		{"=1", "missing process type"},
		{"+1", "missing process type"},
		{"worker=-1", "not a number of dynos"},
		{"worker=1.5", "not a number of dynos"},
		{"worker=one", "not a number of dynos"},
		{"worker=101", "over the platform's limit"},
		{"worker=99999999999999999999999", "over the platform's limit"},
		{"worker+101", "over the platform's limit"},
		{"worker+0", "changes nothing"},
		{"worker-0", "changes nothing"},
		{"worker=1:", "missing size"},
		{"worker=1:huge", `unknown dyno size "huge"`},
		{"worker:hobby", `unknown dyno size "hobby"`},
		{"worker=1:standard-2x:eco", "unknown dyno size"},
		{"release=1", "never scaled"},
		{"wör ker=1", "may hold only letters"},
		{"-web=1", "may hold only letters"},
		{"web==1", "not a number of dynos"},
		{"web=1=2", "not a number of dynos"},
		{strings.Repeat("w", 129) + "=1", "at most 128"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if err == nil {
				t.Fatalf("ParseSpec(%q) = %+v, want an error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseSpec(%q) error %v does not wrap ErrInvalid", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseSpec(%q) error = %q, want it to say %q", tt.in, err, tt.want)
			}
			if quoted := `"` + tt.in + `"`; !strings.Contains(err.Error(), quoted) {
				t.Errorf("ParseSpec(%q) error = %q, want it to quote the spec", tt.in, err)
			}
		})
	}
}

func TestParseSpecs(t *testing.T) {
	got, err := ParseSpecs([]string{"web=2", "worker+1:standard-2x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{{Type: "web", Op: Set, N: 2}, {Type: "worker", Op: Add, N: 1, Size: "Standard-2X"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParseSpecs = %+v, want %+v", got, want)
	}

	for _, args := range [][]string{
		nil,
		{"web=1", "web=2"},
		{"web=1", "web:eco"},
		{"web=x", "worker=1"},
	} {
		if _, err := ParseSpecs(args); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSpecs(%q) error = %v, want ErrInvalid", args, err)
		}
	}

	// Every bad argument is reported, not only the first.
	_, err = ParseSpecs([]string{"web=x", "worker=1", "clock=-"})
	for _, bad := range []string{`"web=x"`, `"clock=-"`} {
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseSpecs error = %v, want it to name %s", err, bad)
		}
	}
}

func TestDynoType(t *testing.T) {
	tests := []struct {
		in        string
		typ       string
		formation bool
	}{
		{"worker.1", "worker", true},
		{"web.12", "web", true},
		{"my-worker.3", "my-worker", true},
		{"run.4123", "run", false},
		{"scheduler.1234", "scheduler", false},
		{"release.7", "release", false},
		{"", "", false},
		{"worker", "", false},
		{"worker.", "", false},
		{"worker.x", "", false},
		{".1", "", false},
	}
	for _, tt := range tests {
		typ, formation := DynoType(tt.in)
		if typ != tt.typ || formation != tt.formation {
			t.Errorf("DynoType(%q) = %q, %v, want %q, %v", tt.in, typ, formation, tt.typ, tt.formation)
		}
	}
}

func TestValidApp(t *testing.T) {
	for s, want := range map[string]bool{
		"demo": true, "my-app-1": true, "abc": true, strings.Repeat("a", 30): true,
		"01234567-89ab-cdef-0123-456789ABCDEF": true,
		"ab":                                   false, strings.Repeat("a", 31): false, "My-app": false, "1app": false, "app-": false,
		"my app": false, "my_app": false, "": false, "../x": false, "01234567-89ab-cdef-0123-456789abcdeg": false,
	} {
		if got := ValidApp(s); got != want {
			t.Errorf("ValidApp(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFirSize(t *testing.T) {
	for s, want := range map[string]bool{
		"dyno-1c-0.5gb": true, "dyno-2c-4gb": true, "dyno-16c-128gb": true,
		"dyno-c-4gb": false, "dyno-2c-gb": false, "dyno-2c-4.55gb": false, "dyno-2c-4": false, "dyno-2x-4gb": false, "standard-1x": false,
	} {
		if got := firSize(s); got != want {
			t.Errorf("firSize(%q) = %v, want %v", s, got, want)
		}
	}
}

// An unknown size is an UnknownError, through ParseSpec too: the word as
// typed and the sizes it could have been, for the caller's suggestion.
func TestUnknownSizeCarriesTheWordAndTheSizes(t *testing.T) {
	for _, parse := range []func() error{
		func() error { _, err := CanonicalSize("standrd-2x"); return err },
		func() error { _, err := ParseSpec("worker=1:standrd-2x"); return err },
		func() error { _, err := ParseSpecs([]string{"web=1", "worker=1:standrd-2x"}); return err },
	} {
		err := parse()
		var u *UnknownError
		if !errors.As(err, &u) || u.Word != "standrd-2x" || !slices.Equal(u.Known, Sizes()) || !errors.Is(err, ErrInvalid) {
			t.Errorf("error %v: UnknownError %+v, want the word standrd-2x and Sizes(), and ErrInvalid", err, u)
		}
	}
}
