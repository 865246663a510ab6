package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Serve answers Platform API requests on ln until ctx is done, then shuts
// down gracefully.
func Serve(ctx context.Context, ln net.Listener, e *Emulator) error {
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			return err
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// IsLoopback reports whether a listen address (host:port) stays on this
// machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFormation reads a formation as `scaler emulator --formation` takes
// it: TYPE=N[:SIZE] items separated by commas, e.g. web=1,worker=0:basic,
// with the size in any case. It reads them by the emulator's own rules, not
// scaler's spec parser (see the package doc).
func ParseFormation(s string) ([]Process, error) {
	var out []Process
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		typ, rest, ok := strings.Cut(item, "=")
		if !ok || !validType(typ) {
			return nil, fmt.Errorf("%q: a formation item is TYPE=N or TYPE=N:SIZE, TYPE being letters, digits, _ and -", item)
		}
		quantity, size, sized := strings.Cut(rest, ":")
		n, err := strconv.Atoi(quantity)
		if err != nil || strings.Trim(quantity, "0123456789") != "" || n > DefaultMaxDynos {
			return nil, fmt.Errorf("%q: the quantity is a number of dynos, 0 to %d", item, DefaultMaxDynos)
		}
		p := Process{Type: typ, Quantity: n}
		if sized {
			known, ok := sizeNamed(size)
			if !ok {
				return nil, fmt.Errorf("%q: unknown dyno size %q (the emulator knows %s)", item, size, sizeNames())
			}
			p.Size = known.name
		}
		out = append(out, p)
	}
	return out, nil
}
