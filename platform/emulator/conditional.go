package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// Every answer of the Platform API carries an ETag, and a write with
// If-Match is refused with 412 when the resource has changed (the Platform
// API reference, "Caching" and conditional requests). The emulator's ETag
// is a hash of the answer's body, so, as with any ETag made from content,
// a resource that changes and changes back within one second (updated_at
// has one-second resolution) shows the same ETag again: the worst case for
// a client that leans on it.

// jsonBody is the body of a JSON answer; its ETag is made from it.
func jsonBody(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	return append(body, '\n'), err
}

// etag is the entity tag of a body.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:10]) + `"`
}

// matches reports whether the request's If-Match, if any, holds for a
// resource whose answer would be v. Without If-Match every request
// matches; "*" matches any resource that exists.
func (e *Emulator) matches(r *http.Request, v any) bool {
	cond := strings.TrimSpace(r.Header.Get("If-Match"))
	if cond == "" || cond == "*" || e.ignoreIfMatch {
		return true
	}
	body, err := jsonBody(v)
	if err != nil {
		return false
	}
	current := etag(body)
	for _, tag := range strings.Split(cond, ",") {
		if strings.TrimSpace(tag) == current {
			return true
		}
	}
	return false
}

// errStale is the refusal of a write whose If-Match no longer holds. The
// status is the reference's; the id and the message are not confirmed.
var errStale = &apiError{http.StatusPreconditionFailed, "precondition_failed", "The resource has changed since it was read (If-Match does not match its ETag)."}
