package main

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// toHarness carries every request to the harness's emulator, noting the
// URL each was sent to.
type toHarness struct {
	mu   sync.Mutex
	to   *url.URL
	sent []string
}

func (th *toHarness) RoundTrip(req *http.Request) (*http.Response, error) {
	th.mu.Lock()
	th.sent = append(th.sent, req.URL.String())
	th.mu.Unlock()
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = th.to.Scheme, th.to.Host, ""
	return http.DefaultTransport.RoundTrip(req)
}

// HEROKU_HOST, the official CLI's variable for another API, is read as the
// CLI reads it when HEROKU_API_URL is not set: a whole URL when it starts
// with http, else the host after https://api.; with the same checks as
// HEROKU_API_URL (plain http to loopback only), said with its name.
func TestHerokuHost(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		env      map[string]string // beside the token and the app; HEROKU_API_URL is unset unless given
		code     int
		sentTo   string // the API every request went to
		say      string // in stderr
		emulated bool   // HEROKU_HOST is the emulator's own URL: no carrying
		path     string // after it
	}{
		{name: "a host", env: map[string]string{envHost: "heroku.example.com"}, sentTo: "https://api.heroku.example.com"},
		{name: "a whole URL", env: map[string]string{envHost: "https://api.example.com:8443"}, sentTo: "https://api.example.com:8443"},
		{name: "HEROKU_API_URL first", env: map[string]string{envHost: "heroku.example.com", envAPIURL: "https://api.other.example"}, sentTo: "https://api.other.example"},
		{name: "the emulator", emulated: true},
		{name: "the emulator with a path", emulated: true, path: "/api/", code: 4, say: "hint=\"check HEROKU_HOST, which is the API's host"},
		{name: "plain http beyond loopback", env: map[string]string{envHost: "http://api.example.com"}, code: 2,
			say: `err="HEROKU_HOST: refusing API URL \"http://api.example.com\": plain http would send the token in clear text`},
		{name: "not a host", env: map[string]string{envHost: "example.com:99999"}, code: 2,
			say: `err="HEROKU_HOST: API URL \"https://api.example.com:99999\": port 99999 is not a port (1 to 65535)"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, demoConfig())
			delete(h.env, envAPIURL)
			if tt.emulated {
				h.env[envHost] = h.url + tt.path
			}
			for k, v := range tt.env {
				h.env[k] = v
			}
			to, _ := url.Parse(h.url)
			carry := &toHarness{to: to}
			if !tt.emulated {
				h.transport = carry
			}
			r := h.run("status")
			if r.code != tt.code || !strings.Contains(r.stderr, tt.say) {
				t.Fatalf("status with %v: want exit %d saying %q:\n%s", tt.env, tt.code, tt.say, r)
			}
			switch {
			case tt.code != 0 && len(carry.sent) > 0:
				t.Errorf("a request was sent: %q", carry.sent)
			case tt.sentTo != "" && len(carry.sent) == 0:
				t.Errorf("no request was sent, want them to %s", tt.sentTo)
			}
			for _, u := range carry.sent {
				if !strings.HasPrefix(u, tt.sentTo+"/apps/demo/") {
					t.Errorf("a request went to %s, want %s", u, tt.sentTo)
				}
			}
		})
	}
}
