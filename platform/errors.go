package platform

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/scalerdev/scaler/scaler"
)

// APIError is an error answer of the Platform API: its status and, when the
// body was Heroku's JSON shape, its id, message and url. It unwraps to the
// domain's sentinel error for its status, so callers test it with errors.Is.
type APIError struct {
	Status  int
	ID      string // "unauthorized", "rate_limit", …; empty when the body was not JSON
	Message string // the platform's message, or a summary of a non-JSON body
	URL     string // documentation link the platform sometimes adds
	// JSON is false when the body was not Heroku's JSON shape (an HTML page
	// from a proxy, an empty body).
	JSON bool
	// Attempts is how many times the request was sent.
	Attempts int
	// Missing, for a 404, says what was not found, as the client decided
	// it from what it asked (see Missing).
	Missing Missing
}

// Missing says what a 404 answer means. The platform answers not_found,
// alike, for an unknown endpoint, app, process type or dyno, and its
// message is words for people, not a contract: the client decides from
// what it asked (see Client.explain).
type Missing int

// What a 404 may mean.
const (
	// MissingUnknown: not a 404, or nothing tells.
	MissingUnknown Missing = iota
	// MissingEndpoint: the API has no such path: its base URL is wrong (it
	// has a path, or is not the API's).
	MissingEndpoint
	// MissingApp: there is no such app, or the token's account cannot see
	// it.
	MissingApp
	// MissingType: the app, which exists, has no such process type (or no
	// dyno of it).
	MissingType
	// MissingDyno: the app, which exists, has no dyno of that id (it was
	// restarted or cycled since it was listed).
	MissingDyno
)

// Error reads like "503 Service Unavailable: Heroku API is down (after 6 attempts)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", e.Status)
	if e.ID != "" {
		b.WriteString(" " + e.ID)
	} else if text := http.StatusText(e.Status); text != "" {
		b.WriteString(" " + text)
	}
	switch {
	case !e.JSON && e.Message != "":
		fmt.Fprintf(&b, ": the API answered with a body that is not JSON (%q)", e.Message)
	case !e.JSON:
		b.WriteString(": the API answered with an empty body")
	case e.Message != "":
		b.WriteString(": " + e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the domain sentinel for the status.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized:
		return scaler.ErrUnauthorized
	case e.Status == http.StatusForbidden, e.Status == http.StatusPaymentRequired:
		// 402 delinquent: the account may not act until it pays.
		return scaler.ErrForbidden
	case e.Status == http.StatusNotFound:
		return scaler.ErrNotFound
	case e.Status == http.StatusTooManyRequests:
		return scaler.ErrRateLimited
	case e.Status == http.StatusPreconditionFailed:
		return scaler.ErrStale
	case e.Status >= 500:
		return scaler.ErrUnavailable
	default:
		return scaler.ErrRejected
	}
}

// maxMessage bounds the text kept from an error body.
const maxMessage = 300

// DecodeError reads an error answer: Heroku's JSON shape when it is there,
// otherwise a short, printable summary of whatever came back (the title of
// an HTML page, the start of a text). It never fails.
func DecodeError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var shape struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		URL     string `json:"url"`
	}
	if err := json.Unmarshal(body, &shape); err == nil {
		e.ID, e.Message, e.URL = clean(shape.ID, 64), clean(shape.Message, maxMessage), clean(shape.URL, maxMessage)
		// Heroku's shape has an id or a message; once cleaned, one is left.
		if e.JSON = e.ID != "" || e.Message != ""; e.JSON {
			return e
		}
		e.ID, e.URL = "", ""
	}
	e.Message = clean(htmlText(string(body)), 120)
	return e
}

// clean folds white space and drops what is not printable, so that a hostile
// or broken body cannot garble a terminal or a log line, and cuts it to max
// runes, the last an ellipsis when cut. Cleaning twice changes nothing.
func clean(s string, max int) string {
	var b strings.Builder
	for _, field := range strings.Fields(s) {
		field = strings.Map(func(r rune) rune {
			if unicode.IsPrint(r) {
				return r
			}
			return -1
		}, field)
		if field == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(field)
	}
	if out := []rune(b.String()); len(out) > max {
		return string(out[:max-1]) + "…"
	}
	return b.String()
}

// htmlText returns the title of an HTML page, or the text with its tags
// dropped.
func htmlText(s string) string {
	if i := indexASCIIFold(s, "<title"); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j >= 0 {
			start := i + j + 1
			if end := indexASCIIFold(s[start:], "</title>"); end >= 0 {
				return s[start : start+end]
			}
		}
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + " ")
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return b.String()
		}
		s = s[i+j+1:]
	}
}

// indexASCIIFold is strings.Index ignoring ASCII case. (Lowercasing the
// text first would move the indexes: some runes change length.)
func indexASCIIFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
