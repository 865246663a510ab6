package emulator

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The guard against web pages. The emulator listens on loopback and, by
// default, takes any token: loopback is its only guard, and a web page can
// get past it. By DNS rebinding, a page of attacker.example has its name
// resolve to 127.0.0.1 and then talks to the emulator as its own origin;
// with a dyno manager, POST /apps/{app}/dynos then runs a command on the
// developer's machine. So, as development servers do, the emulator answers
// only requests addressed to it by a name a rebinding page cannot use, and
// none that a browser sent on behalf of a page served elsewhere:
//
//   - Host must be a loopback address, localhost (or a name under
//     .localhost, which resolvers map to loopback), or the host it listens
//     on; when it listens on every address (0.0.0.0, [::], which
//     `scaler emulator` allows with a token only), any IP address too, since
//     rebinding needs a name. Hosts are compared, not ports: what a page
//     controls is the name. A request without a Host (HTTP/1.0) names
//     nothing and is refused: browsers always send one, and so does every
//     client the emulator serves.
//   - Origin, which browsers send and scaler, curl and the heroku CLI do
//     not, must be absent, or http(s) on a loopback address or localhost.
//     "null" (a sandboxed page, a file) is not loopback.
//
// The refusal comes before anything else (the token, the rate limit, the
// handlers), so that a refused request changes nothing.

// guard is the emulator's idea of who may talk to it.
type guard struct {
	host  string     // the host it listens on, as named (lowercase), if a name
	addr  netip.Addr // the address it listens on, if an IP address
	anyIP bool       // it listens on every address
}

// newGuard reads the address the emulator is served on (host:port, or
// empty for loopback only).
func newGuard(listen string) guard {
	if listen == "" {
		return guard{}
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	host = hostname(host)
	if host == "" {
		return guard{anyIP: true} // ":5000" listens on every address
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap().WithZone("")
		return guard{addr: ip, anyIP: ip.IsUnspecified()}
	}
	return guard{host: host}
}

// refusal is why the guard refused a request: the answer, and the reason
// and what to do, for the emulator's log.
type refusal struct {
	*apiError
	reason, hint string
}

// check returns why a request must be refused, or nil.
func (g guard) check(r *http.Request) *refusal {
	if !g.addressedHere(r.Host) {
		named := fmt.Sprintf("its Host %q does not name this machine", clip(r.Host))
		if r.Host == "" {
			named = "it has no Host header"
		}
		return &refusal{&apiError{http.StatusForbidden, "forbidden", "The emulator refused this request: " + named +
			". It answers only requests addressed to localhost (or a name under it), a loopback address or the address it listens on" +
			" (a name only if it listens on that name), so that a web page cannot reach it by DNS rebinding." +
			" Use the HEROKU_API_URL it printed."},
			"host not local", "a web page may be trying DNS rebinding; clients use the HEROKU_API_URL the emulator printed"}
	}
	if origins, ok := r.Header["Origin"]; ok {
		for _, origin := range origins {
			if !localOrigin(origin) {
				return &refusal{&apiError{http.StatusForbidden, "forbidden", fmt.Sprintf("The emulator refused this request:"+
					" it comes from a web page (Origin %q) that is not served from this machine's loopback,"+
					" and a web page must not drive the emulator, whose dynos run commands on this machine."+
					" Send it from a program (scaler, curl and the heroku CLI send no Origin).", clip(origin))},
					"origin not local", "a web page tried to drive the emulator; send requests from a program"}
			}
		}
	}
	return nil
}

// addressedHere reports whether a request's Host names the emulator.
func (g guard) addressedHere(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport // no port
	}
	host = hostname(host)
	if host == "" {
		return false
	}
	if localName(host) || host == g.host {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("")
	return ip.IsLoopback() || g.anyIP || ip == g.addr
}

// localOrigin reports whether an Origin is a page served from loopback.
func localOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return false
	}
	host := hostname(u.Hostname())
	if localName(host) {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// hostname is a host as compared: without IPv6 brackets, lowercase,
// without the trailing dot of a fully qualified name.
func hostname(host string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// localName reports whether a host name always means loopback:
// localhost, and the names under it (RFC 6761).
func localName(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// clip shortens what a request says of itself for a message or a log
// line: a header may be long, and is the sender's to choose. The ellipsis
// marks the cut, as the redactor of `scaler emulator` expects.
func clip(s string) string {
	const most = 100
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
