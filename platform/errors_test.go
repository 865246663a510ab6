package platform

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode"

	"github.com/scalerdev/scaler/scaler"
)

func TestDecodeError(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
		is     error
	}{
		{401, `{"id":"unauthorized","message":"Invalid credentials provided."}`, "401 unauthorized: Invalid credentials provided.", scaler.ErrUnauthorized},
		{403, `{"id":"two_factor","message":"Invalid two-factor code.","url":"https://devcenter.heroku.com/"}`, "403 two_factor: Invalid two-factor code.", scaler.ErrForbidden},
		{402, `{"id":"delinquent","message":"Please verify your account."}`, "402 delinquent: Please verify your account.", scaler.ErrForbidden},
		{404, `{"id":"not_found","message":"Couldn't find that process type (web)."}`, "404 not_found: Couldn't find that process type (web).", scaler.ErrNotFound},
		{422, `{"id":"invalid_params","message":"Cannot update to more than 1 Basic size dynos per process type."}`, "422 invalid_params: Cannot update to more than 1 Basic size dynos per process type.", scaler.ErrRejected},
		{429, `{"id":"rate_limit","message":"Your account reached the API rate limit\nPlease wait a few minutes"}`, "429 rate_limit: Your account reached the API rate limit Please wait a few minutes", scaler.ErrRateLimited},
		{502, "<html><head><title>Application Error</title></head><body>x</body></html>", `502 Bad Gateway: the API answered with a body that is not JSON ("Application Error")`, scaler.ErrUnavailable},
		{503, "", "503 Service Unavailable: the API answered with an empty body", scaler.ErrUnavailable},
		{500, "upstream <b>connect</b> error\x1b[31m", `500 Internal Server Error: the API answered with a body that is not JSON ("upstream connect error[31m")`, scaler.ErrUnavailable},
		{500, `{"unexpected":true}`, `500 Internal Server Error: the API answered with a body that is not JSON ("{\"unexpected\":true}")`, scaler.ErrUnavailable},
		{406, `{"id":"not_acceptable","message":"Please specify a version"}`, "406 not_acceptable: Please specify a version", scaler.ErrRejected},
	}
	for _, tt := range tests {
		e := DecodeError(tt.status, []byte(tt.body))
		if e.Error() != tt.want {
			t.Errorf("DecodeError(%d, %q) = %q, want %q", tt.status, tt.body, e.Error(), tt.want)
		}
		if !errors.Is(e, tt.is) {
			t.Errorf("DecodeError(%d, %q) is not %v", tt.status, tt.body, tt.is)
		}
	}
}

// FuzzDecodeError: whatever the API sends, decoding never panics, the error
// names the status, and the message stays short and printable.
func FuzzDecodeError(f *testing.F) {
	for _, seed := range []string{
		`{"id":"rate_limit","message":"slow"}`, "<html><title>x</title></html>", "", `{"id":`, "\x00\xff",
		`{"id":"x","message":"` + string(make([]byte, 400)) + `"}`,
	} {
		f.Add(503, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		e := DecodeError(status, body)
		msg := e.Error()
		if e.Status != status || len(msg) < 3 || msg[:3] != itoa3(status) {
			t.Fatalf("DecodeError(%d) = %q does not start with the status", status, msg)
		}
		if len([]rune(e.Message)) > maxMessage {
			t.Fatalf("message of %d runes", len([]rune(e.Message)))
		}
		for _, r := range e.Message + e.ID {
			if !unicode.IsPrint(r) {
				t.Fatalf("unprintable %q in %q", r, e.Message)
			}
		}
		if errors.Unwrap(e) == nil {
			t.Fatal("no sentinel")
		}
		// What was read as Heroku's shape reads back the same from its
		// printed form.
		if e.JSON {
			again, _ := json.Marshal(map[string]string{"id": e.ID, "message": e.Message, "url": e.URL})
			if back := DecodeError(status, again); *back != *e {
				t.Fatalf("DecodeError(%q) = %+v, which prints as %s and reads back as %+v", body, e, again, back)
			}
		}
	})
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}
