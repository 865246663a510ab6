package emulator

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// rawRequest sends a request as written, on a connection of its own, and
// returns the answer: the test forges what a client library would not
// (another Host, none at all).
func rawRequest(t *testing.T, url, method, path string, headers ...string) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	proto := "HTTP/1.1"
	if len(headers) == 0 || !strings.HasPrefix(headers[0], "Host:") {
		proto = "HTTP/1.0" // the only one without a Host
	}
	req := method + " " + path + " " + proto + "\r\n" + strings.Join(headers, "\r\n") + "\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

const (
	acceptLine = "Accept: " + AcceptHeader
	authLine   = "Authorization: Bearer any-token"
)

// What a web page can make a browser send is refused, whatever the token:
// a Host that a rebinding page's name could be, an Origin that is not on
// loopback. What programs send (no Origin, a Host on loopback or the
// address listened on) is answered.
func TestRequestsFromWebPagesAreRefused(t *testing.T) {
	t.Parallel()
	const page = "Origin: http://attacker.example:5000"
	for _, tt := range []struct {
		name, listen string
		headers      []string // Host first, if any
		want         int
	}{
		{"loopback address", "", []string{"Host: 127.0.0.1:5000"}, 200},
		{"another loopback address, no port", "", []string{"Host: 127.5.6.7"}, 200},
		{"IPv6 loopback", "", []string{"Host: [::1]:5000"}, 200},
		{"IPv4-mapped loopback", "", []string{"Host: [::ffff:127.0.0.1]:5000"}, 200},
		{"localhost", "", []string{"Host: localhost:5000"}, 200},
		{"localhost, capitals and a final dot", "", []string{"Host: LocalHost.:5000"}, 200},
		{"a name under localhost", "", []string{"Host: app.localhost:5000"}, 200},
		{"another port: ports are not compared", "", []string{"Host: 127.0.0.1:80"}, 200},
		{"a page's origin on loopback", "", []string{"Host: localhost:5000", "Origin: http://localhost:3000"}, 200},
		{"a page's origin on IPv6 loopback, https", "", []string{"Host: 127.0.0.1:5000", "Origin: https://[::1]:8443"}, 200},

		{"rebinding: the page's name, its origin", "", []string{"Host: attacker.example:5000", page}, 403},
		{"rebinding: the page's name", "", []string{"Host: attacker.example:5000"}, 403},
		{"rebinding: a name that says localhost", "", []string{"Host: localhost.attacker.example:5000"}, 403},
		{"rebinding: a name that resolves to loopback", "", []string{"Host: 127.0.0.1.nip.io:5000"}, 403},
		{"an address it does not listen on", "", []string{"Host: 10.0.0.5:5000"}, 403},
		{"no Host (HTTP/1.0)", "", nil, 403},
		{"an empty Host", "", []string{"Host: "}, 403},
		{"a page elsewhere, Host forged right", "", []string{"Host: 127.0.0.1:5000", page}, 403},
		{"a sandboxed page or a file", "", []string{"Host: 127.0.0.1:5000", "Origin: null"}, 403},
		{"an empty Origin", "", []string{"Host: 127.0.0.1:5000", "Origin: "}, 403},
		{"an Origin not http", "", []string{"Host: 127.0.0.1:5000", "Origin: ftp://localhost"}, 403},
		{"an Origin under a name that says localhost", "", []string{"Host: 127.0.0.1:5000", "Origin: http://localhost.attacker.example"}, 403},
		{"a loopback Origin, then another", "", []string{"Host: 127.0.0.1:5000", "Origin: http://localhost", page}, 403},

		{"every address: any IP address", "0.0.0.0:5000", []string{"Host: 192.168.1.20:5000"}, 200},
		{"every address: an IPv6 one with a zone", "[::]:5000", []string{"Host: [fe80::1%25eth0]:5000"}, 200},
		{"every address, no host given", ":5000", []string{"Host: 192.168.1.20"}, 200},
		{"every address: still no name", "0.0.0.0:5000", []string{"Host: devbox.example:5000"}, 403},
		{"every address: still no page", "0.0.0.0:5000", []string{"Host: 192.168.1.20:5000", "Origin: http://192.168.1.20:5000"}, 403},
		{"one address: that one", "192.168.1.20:5000", []string{"Host: 192.168.1.20:5000"}, 200},
		{"one address: loopback too", "192.168.1.20:5000", []string{"Host: localhost:5000"}, 200},
		{"one address: not another", "192.168.1.20:5000", []string{"Host: 192.168.1.21:5000"}, 403},
		{"a name: that one", "devbox.lan:5000", []string{"Host: DevBox.lan:5000"}, 200},
		{"a name: not another", "devbox.lan:5000", []string{"Host: other.lan:5000"}, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := demo()
			cfg.Listen = tt.listen
			_, url := start(t, cfg)
			status, body := rawRequest(t, url, "GET", "/apps/demo/formation", append(tt.headers, acceptLine, authLine)...)
			if status != tt.want {
				t.Fatalf("GET with %q = %d %s, want %d", tt.headers, status, body, tt.want)
			}
			if tt.want == 403 {
				wantError(t, status, body, 403, "forbidden", "The emulator refused this request: ")
			}
		})
	}
}

// syncWriter is a log that tests read while the server writes it.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// The refusal comes first: before the token is checked and before the
// rate limit is spent. It says what was refused and why, to the client and,
// once, at warn, in the emulator's log, which never quotes the token.
func TestRefusalComesFirst(t *testing.T) {
	t.Parallel()
	log := &syncWriter{}
	cfg := demo()
	cfg.Token, cfg.RateLimit, cfg.Log = "the-only-token", 1, slog.New(slog.NewTextHandler(log, nil))
	_, url := start(t, cfg)
	long := strings.Repeat("a", 300) + ".example"
	for _, headers := range [][]string{
		{"Host: attacker.example:5000", "Origin: http://attacker.example:5000"},
		{"Host: " + long},
		{"Host: 127.0.0.1", "Origin: null", "Authorization: Bearer the-only-token"},
	} {
		status, body := rawRequest(t, url, "PATCH", "/apps/demo/formation", append(headers, acceptLine)...)
		var e herokuError
		if err := json.Unmarshal(body, &e); err != nil || status != 403 || e.ID != "forbidden" {
			t.Fatalf("PATCH with %q = %d %s, want 403 forbidden", headers, status, body)
		}
		if strings.Contains(e.Message, long) || strings.Contains(e.Message, "the-only-token") {
			t.Errorf("the refusal quotes too much: %s", e.Message)
		}
		if !strings.Contains(e.Message, "Host") && !strings.Contains(e.Message, "Origin") {
			t.Errorf("the refusal does not say what was refused: %s", e.Message)
		}
	}
	// The bucket's one request is still there.
	status, body := rawRequest(t, url, "GET", "/apps/demo/formation", "Host: 127.0.0.1", acceptLine, "Authorization: Bearer the-only-token")
	if status != 200 {
		t.Fatalf("a request after the refused ones = %d %s, want 200", status, body)
	}
	out := log.String()
	for pattern, want := range map[string]int{
		`level=WARN msg="request refused" method=PATCH path=/apps/demo/formation status=403 host=attacker.example:5000 origin=http://attacker.example:5000 reason="host not local" hint="a web page may be trying DNS rebinding; clients use the HEROKU_API_URL the emulator printed"`: 1,
		`level=WARN msg="request refused" method=PATCH path=/apps/demo/formation status=403 host=aaaa`:                                                                                                                        1,
		`level=WARN msg="request refused" method=PATCH path=/apps/demo/formation status=403 host=127.0.0.1 origin=null reason="origin not local" hint="a web page tried to drive the emulator; send requests from a program"`: 1,
		`level=WARN`: 3,
		`level=INFO msg=request method=GET path=/apps/demo/formation status=200`: 1,
		`level=INFO`: 1,
	} {
		if n := strings.Count(out, pattern); n != want {
			t.Errorf("%d log lines have %s, want %d:\n%s", n, pattern, want, out)
		}
	}
	if strings.Contains(out, "the-only-token") || strings.Contains(out, long) {
		t.Errorf("the log quotes too much:\n%s", out)
	}
}
