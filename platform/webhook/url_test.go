package webhook

import (
	"errors"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/scaler"
)

func TestValidate(t *testing.T) {
	ok := []struct{ in, shown string }{
		{"https://hooks.slack.com/services/T0/B0/SECRETSECRETSECRETSECRET", "https://hooks.slack.com/…"},
		{"https://hooks.example.com", "https://hooks.example.com"},
		{"https://hooks.example.com/", "https://hooks.example.com"},
		{"https://hooks.example.com:8443/hook", "https://hooks.example.com:8443/…"},
		{"https://chat.googleapis.com/v1/spaces/A/messages?key=K&token=T", "https://chat.googleapis.com/…"},
		{"https://hooks.example.com/?token=SECRET", "https://hooks.example.com/…"},
		{"https://hooks.example.com/hook#SECRET", "https://hooks.example.com/…"},
		{"HTTPS://hooks.example.com/hook", "https://hooks.example.com/…"},
		{"  https://hooks.example.com/hook\n", "https://hooks.example.com/…"},
		{"http://127.0.0.1:5000/hook", "http://127.0.0.1:5000/…"},
		{"http://127.8.9.10/hook", "http://127.8.9.10/…"},
		{"http://localhost:5000/hook", "http://localhost:5000/…"},
		{"http://LOCALHOST/hook", "http://LOCALHOST/…"},
		{"http://[::1]:5000/hook", "http://[::1]:5000/…"},
	}
	for _, tt := range ok {
		t.Run(tt.in, func(t *testing.T) {
			shown, err := Validate(tt.in)
			if err != nil || shown != tt.shown {
				t.Errorf("Validate(%q) = %q, %v, want %q", tt.in, shown, err, tt.shown)
			}
		})
	}

	// Every refused URL hides SECRET in its path, query, fragment or
	// credentials; want is what the error must say.
	bad := []struct{ in, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"http://hooks.example.com/SECRET?SECRET", `"http://hooks.example.com/…": plain http`},
		{"http://10.0.0.1:5000/SECRET", `"http://10.0.0.1:5000/…": plain http`},
		{"http://0.0.0.0/SECRET", `"http://0.0.0.0/…": plain http`},
		{"http://localhost.evil.example/SECRET", `"http://localhost.evil.example/…": plain http`},
		{"http://127.0.0.1.nip.io/SECRET", `"http://127.0.0.1.nip.io/…": plain http`},
		{"http://[::ffff:10.0.0.1]/SECRET", `plain http`},
		{"https://user:SECRET@hooks.example.com/SECRET", `"https://hooks.example.com/…" must not carry credentials`},
		{"https://SECRET@hooks.example.com", `"https://hooks.example.com" must not carry credentials`},
		{"http://user:SECRET@127.0.0.1/SECRET", `must not carry credentials`},
		{"hooks.slack.com/services/T0/B0/SECRET", "not an absolute URL"},
		{"/services/SECRET", "not an absolute URL"},
		{"SECRET", "not an absolute URL"},
		{"not a url SECRET", "not an absolute URL"},
		{"localhost:5000/SECRET", "not an absolute URL"},
		{"mailto:SECRET@example.com", "not an absolute URL"},
		{"ftp://hooks.example.com/SECRET", `"ftp://hooks.example.com/…" must use https`},
		{"https:///SECRET", `has no host`},
		{"https://", `has no host`},
		{"https://:443/SECRET", `has no host`},
		{"https://hooks.example.com:99999/SECRET", `port 99999 is not a port`},
		{"https://hooks.example.com:0/SECRET", `port 0 is not a port`},
		{"https://hooks.example.com:abc/SECRET", `not a URL`},
		{"https://hooks example.com/SECRET", `not a URL`},
		{"https://hooks.example.com/%zzSECRET", `not a URL`},
		{"https://hooks.example.com/SECRET\x7f", `not a URL`},
		{"://SECRET", `not a URL`},
	}
	for _, tt := range bad {
		t.Run(tt.in, func(t *testing.T) {
			shown, err := Validate(tt.in)
			if !errors.Is(err, scaler.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate(%q) = %q, %v, want ErrInvalid saying %q", tt.in, shown, err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("Validate(%q) error %q shows the URL's secret", tt.in, err)
			}
		})
	}
}
