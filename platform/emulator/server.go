package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scalerdev/scaler/scaler"
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
// it: TYPE=N[:SIZE] items separated by commas, e.g. web=1,worker=0:basic.
func ParseFormation(s string) ([]Process, error) {
	var out []Process
	for _, item := range strings.Split(s, ",") {
		spec, err := scaler.ParseSpec(strings.TrimSpace(item))
		if err != nil {
			return nil, err
		}
		if spec.Op != scaler.Set {
			return nil, scaler.Errorf(scaler.ErrInvalid, "%q: a formation item is TYPE=N or TYPE=N:SIZE", item)
		}
		out = append(out, Process{Type: spec.Type, Quantity: spec.N, Size: spec.Size})
	}
	return out, nil
}
