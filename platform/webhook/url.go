package webhook

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/scalerdev/scaler/scaler"
)

// Validate reports whether raw is a URL notifications may be sent to, and
// returns the form of it a person may see: scheme and host, with "/…" in
// place of the rest (a Slack webhook's path is its secret, and other
// services put theirs in the query).
//
// raw is trimmed of spaces. It must be absolute; https, or plain http only
// to a loopback host (127.0.0.0/8, localhost, [::1]: a local receiver),
// since anywhere else what scaler reports would travel in clear text; with
// no credentials (user:password@) in it, and a port from 1 to 65535. A query
// is allowed (some services authenticate with one). Every error wraps
// scaler.ErrInvalid and quotes the URL without its path, query or
// credentials; an empty raw is an error too.
//
// The rule is platform.CheckURL's for the API URL, written once more here
// because that one quotes the whole URL in its errors, refuses a query, and
// takes an empty URL for the API's default.
func Validate(raw string) (shown string, err error) {
	_, shown, err = parse(raw)
	return shown, err
}

// parse is Validate, also returning the URL to send to.
func parse(raw string) (*url.URL, string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's own message quotes the whole URL; the reason
		// underneath names only the bad part (a port, an escape).
		var ue *url.Error
		reason := "cannot be parsed"
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL is not a URL (%s); it is not shown because its path may be a secret", reason)
	}
	shown := show(u)
	switch {
	case u.Scheme == "" || u.Opaque != "":
		// "hooks.slack.com/services/…" or "host:port/…": what would be
		// shown is path.
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL is not an absolute URL: want https://host/path (it is not shown because its path may be a secret)")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL %q must use https", shown)
	case u.Hostname() == "":
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL %q has no host", shown)
	case u.User != nil:
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL %q must not carry credentials (user:password@)", shown)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, "", scaler.Errorf(scaler.ErrInvalid, "notify URL %q: port %s is not a port (1 to 65535)", shown, port)
		}
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "refusing notify URL %q: plain http would send notifications in clear text; use https (http is allowed only for loopback hosts such as 127.0.0.1)", shown)
	}
	u.Fragment, u.RawFragment = "", "" // never sent; dropped so that it cannot surface either
	return u, shown, nil
}

// show returns scheme://host of u, and "/…" when anything follows. The
// credentials, the path, the query and the fragment are left out.
func show(u *url.URL) string {
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		s += "/…"
	}
	return s
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
