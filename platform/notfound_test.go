package platform

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
	"github.com/scalerdev/scaler/scaler"
)

// The platform answers 404 not_found alike for an unknown endpoint, app and
// process type: what was missing is decided from what was asked, whatever
// the answer's words say (some of the faults below say the wrong thing on
// purpose).
func TestWhatA404Means(t *testing.T) {
	ctx := context.Background()
	worker := []scaler.Spec{{Type: "worker", Op: scaler.Set, N: 1}}
	clock := []scaler.Spec{{Type: "clock", Op: scaler.Set, N: 1}}
	tests := []struct {
		name string
		call func(t *testing.T, f *fixture) error
		want Missing
		text string // in the error
	}{
		{"an unknown app", func(t *testing.T, f *fixture) error {
			_, err := f.client.Formation(ctx, "nope")
			return err
		}, MissingApp, "app nope not found"},
		{"an API URL with a path: an app's read", func(t *testing.T, f *fixture) error {
			_, err := f.pathClient(t).Formation(ctx, "demo")
			return err
		}, MissingEndpoint, "404 not_found"},
		{"an API URL with a path: the account", func(t *testing.T, f *fixture) error {
			_, err := f.pathClient(t).Account(ctx)
			return err
		}, MissingEndpoint, "404 not_found"},
		{"a process type gone between the read and the write", func(t *testing.T, f *fixture) error {
			if _, err := f.client.Formation(ctx, "demo"); err != nil {
				t.Fatal(err)
			}
			_, err := f.client.UpdateFormation(ctx, "demo", clock, "")
			return err
		}, MissingType, "app demo has no process type clock"},
		{"a write before any read, of an unknown type", func(t *testing.T, f *fixture) error {
			_, err := f.client.UpdateFormation(ctx, "demo", clock, "")
			return err
		}, MissingType, "app demo has no process type clock"},
		{"a write before any read, to an unknown app", func(t *testing.T, f *fixture) error {
			_, err := f.client.UpdateFormation(ctx, "nope", worker, "")
			return err
		}, MissingApp, "app nope not found"},
		{"a restart of an unknown type", func(t *testing.T, f *fixture) error {
			if _, err := f.client.Dynos(ctx, "demo"); err != nil {
				t.Fatal(err)
			}
			return f.client.RestartDynos(ctx, "demo", "clock")
		}, MissingType, "app demo has no process type clock"},
		{"an app gone after it answered", func(t *testing.T, f *fixture) error {
			if _, err := f.client.Formation(ctx, "demo"); err != nil {
				t.Fatal(err)
			}
			f.em.Inject(emulatortest.Fault{Path: "/apps/demo/dynos", Status: 404, ID: "not_found", Message: "Couldn't find that process type (web)."})
			_, err := f.client.Dynos(ctx, "demo")
			return err
		}, MissingApp, "app demo not found"},
		{"an unknown app, in an endpoint's words", func(t *testing.T, f *fixture) error {
			f.em.Inject(emulatortest.Fault{Path: "/apps/demo/formation", Status: 404, ID: "not_found", Message: "The requested API endpoint was not found."})
			_, err := f.client.Formation(ctx, "demo")
			return err
		}, MissingApp, "app demo not found"},
		{"an unknown type, in an app's words", func(t *testing.T, f *fixture) error {
			if _, err := f.client.Formation(ctx, "demo"); err != nil {
				t.Fatal(err)
			}
			f.em.Inject(emulatortest.Fault{Method: "PATCH", Status: 404, ID: "not_found", Message: "Couldn't find that app."})
			_, err := f.client.UpdateFormation(ctx, "demo", worker, "")
			return err
		}, MissingType, "app demo has no process type worker"},
		{"a dyno size list that 404s", func(t *testing.T, f *fixture) error {
			f.em.Inject(emulatortest.Fault{Path: "/dyno-sizes", Status: 404, ID: "not_found", Message: "Couldn't find that app."})
			_, err := f.client.DynoSizes(ctx)
			return err
		}, MissingEndpoint, "404 not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, fast)
			err := tt.call(t, f)
			var ae *APIError
			if !errors.As(err, &ae) || !errors.Is(err, scaler.ErrNotFound) || ae.Missing != tt.want || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error = %v (%+v), want ErrNotFound, Missing %d, saying %q", err, ae, tt.want, tt.text)
			}
		})
	}
}

// pathClient returns a client of the fixture's emulator whose API URL has
// a path, as a person may set HEROKU_API_URL by mistake.
func (f *fixture) pathClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{URL: f.url + "/api/", Token: NewToken(secret), Transport: f.spy, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
