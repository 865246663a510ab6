package scaler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewPlan(t *testing.T) {
	stamp := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	current := Formation{
		{Type: "web", Quantity: 2, Size: "Standard-1X", UpdatedAt: stamp},
		{Type: "worker", Quantity: 0, Size: "Standard-2X", UpdatedAt: stamp},
		{Type: "release", Quantity: 0, Size: "Standard-1X", UpdatedAt: stamp},
	}
	tests := []struct {
		name      string
		specs     string
		changes   []Change
		unchanged []string
	}{
		{"set up", "worker=1", []Change{{Type: "worker", From: 0, To: 1, Send: Spec{Type: "worker", Op: Set, N: 1}}}, nil},
		{"set same", "web=2", nil, []string{"web"}},
		{"set same size in other case", "web=2:standard-1x", nil, []string{"web"}},
		{"relative up stays relative", "web+1", []Change{{Type: "web", From: 2, To: 3, Send: Spec{Type: "web", Op: Add, N: 1}}}, nil},
		{"relative down stays relative", "web-1", []Change{{Type: "web", From: 2, To: 1, Send: Spec{Type: "web", Op: Add, N: -1}}}, nil},
		// Made absolute, it would erase another client's change that lands
		// in between; the platform stops at zero.
		{"relative below zero stays relative", "web-5", []Change{{Type: "web", From: 2, To: 0, Send: Spec{Type: "web", Op: Add, N: -5}}}, nil},
		{"relative down at zero", "worker-1", nil, []string{"worker"}},
		{"resize only", "web:performance-m", []Change{{Type: "web", From: 2, To: 2, ToSize: "Performance-M", Send: Spec{Type: "web", Op: Resize, Size: "Performance-M"}}}, nil},
		{"set and resize", "worker=1:basic", []Change{{Type: "worker", From: 0, To: 1, ToSize: "Basic", Send: Spec{Type: "worker", Op: Set, N: 1, Size: "Basic"}}}, nil},
		{"same quantity new size", "web=2:standard-2x", []Change{{Type: "web", From: 2, To: 2, ToSize: "Standard-2X", Send: Spec{Type: "web", Op: Resize, Size: "Standard-2X"}}}, nil},
		{"several", "web=1 worker+1", []Change{
			{Type: "web", From: 2, To: 1, Send: Spec{Type: "web", Op: Set, N: 1}},
			{Type: "worker", From: 0, To: 1, Send: Spec{Type: "worker", Op: Add, N: 1}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := ParseSpecs(strings.Fields(tt.specs))
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPlan("demo", current, specs)
			if err != nil {
				t.Fatalf("NewPlan(%s) error: %v", tt.specs, err)
			}
			if len(p.Changes) != len(tt.changes) {
				t.Fatalf("NewPlan(%s) changes = %+v, want %+v", tt.specs, p.Changes, tt.changes)
			}
			for i, want := range tt.changes {
				cur, _ := current.Find(want.Type)
				want.FromSize, want.FromUpdatedAt = cur.Size, stamp
				if want.ToSize == "" {
					want.ToSize = cur.Size
				}
				if p.Changes[i] != want {
					t.Errorf("NewPlan(%s) change %d = %+v, want %+v", tt.specs, i, p.Changes[i], want)
				}
			}
			var unchanged []string
			for _, u := range p.Unchanged {
				unchanged = append(unchanged, u.Type)
			}
			if strings.Join(unchanged, ",") != strings.Join(tt.unchanged, ",") {
				t.Errorf("NewPlan(%s) unchanged = %v, want %v", tt.specs, unchanged, tt.unchanged)
			}
		})
	}
}

func TestNewPlanUndeployedApp(t *testing.T) {
	specs, _ := ParseSpecs([]string{"web=1"})
	_, err := NewPlan("demo", nil, specs)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "has no process types yet: deploy it") {
		t.Errorf("NewPlan on an undeployed app: %v", err)
	}
}

func TestNewPlanUnknownType(t *testing.T) {
	current := Formation{{Type: "web", Quantity: 1}, {Type: "worker"}}
	specs, _ := ParseSpecs([]string{"wrker=1", "web=2", "clock=1"})
	_, err := NewPlan("demo", current, specs)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("NewPlan error = %v, want ErrNotFound", err)
	}
	for _, want := range []string{"has no process types wrker, clock (", "it has: web, worker"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NewPlan error = %q, want it to say %q", err, want)
		}
	}
}

// A job's start, once per window: only a type at 0 that has not changed
// since the window opened is started.
func TestNewPlanStartsAJobOncePerWindow(t *testing.T) {
	open := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		cur     Process
		size    string
		started bool
	}{
		{"at 0 since before the window", Process{Type: "nightly", Quantity: 0, Size: "Standard-1X", UpdatedAt: open.Add(-time.Hour)}, "", true},
		{"at 0 since before the window, of another size", Process{Type: "nightly", Quantity: 0, Size: "Standard-1X", UpdatedAt: open.Add(-time.Hour)}, "Performance-L", true},
		{"at 0, changed as the window opened: it ran", Process{Type: "nightly", Quantity: 0, UpdatedAt: open}, "", false},
		{"at 0, changed in the window: it ran, or a person decided", Process{Type: "nightly", Quantity: 0, UpdatedAt: open.Add(time.Minute)}, "", false},
		{"running", Process{Type: "nightly", Quantity: 1, UpdatedAt: open.Add(-time.Hour)}, "", false},
		{"running, of another size: not resized", Process{Type: "nightly", Quantity: 1, Size: "Standard-1X", UpdatedAt: open.Add(-time.Hour)}, "Performance-L", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPlan("demo", Formation{tt.cur}, []Spec{{Type: "nightly", Op: Start, N: 1, Size: tt.size, After: open}})
			if err != nil {
				t.Fatal(err)
			}
			if started := len(p.Changes) == 1; started != tt.started {
				t.Fatalf("NewPlan = %+v, want started %v", p, tt.started)
			}
			if tt.started {
				want := Spec{Type: "nightly", Op: Set, N: 1}
				if !SameSize(tt.size, tt.cur.Size) {
					want.Size = tt.size
				}
				if got := p.Changes[0].Send; got != want {
					t.Errorf("sends %+v, want %+v", got, want)
				}
			}
		})
	}
}

// A relative spec that came to a size change alone (worker-1:Standard-2X,
// worker at 0): when the resize's answer is lost and another client has
// scaled worker up since, only the resize is sent again, never the -1.
func TestUnlandedResendsAResizeNotItsRelativeSpec(t *testing.T) {
	read := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	specs, err := ParseSpecs([]string{"worker-1:standard-2x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan("demo", Formation{{Type: "worker", Quantity: 0, Size: "Standard-1X", UpdatedAt: read}}, specs)
	if err != nil {
		t.Fatal(err)
	}
	p.ReadAt = read.Add(time.Second)
	if len(p.Changes) != 1 || p.Changes[0].Send.Op != Resize {
		t.Fatalf("plan = %+v, want a resize alone", p.Changes)
	}
	// The resize landed, the answer was lost; then someone scaled to 3.
	back := Read{Formation: Formation{{Type: "worker", Quantity: 3, Size: "Standard-2X", UpdatedAt: read.Add(5 * time.Second)}}}
	again, err := p.unlanded(back)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range again {
		if s.Op == Add {
			t.Errorf("sent again: %v, which holds the relative -1", again)
		}
	}
}
