package platform

import "log/slog"

// redacted is what a Token prints as, wherever it is printed.
const redacted = "[redacted]"

// Token is a Heroku API token. It prints, logs and marshals as "[redacted]"
// in every form (%v, %s, %q, %#v, slog, JSON), so that it cannot leak into a
// log line, an error or a panic by accident. Only the transport reads it.
type Token struct{ secret string }

// NewToken wraps a token read from the environment.
func NewToken(secret string) Token { return Token{secret: secret} }

// Empty reports whether no token was given.
func (t Token) Empty() bool { return t.secret == "" }

// String returns "[redacted]".
func (t Token) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (t Token) GoString() string { return redacted }

// LogValue returns "[redacted]", for log/slog.
func (t Token) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]", for encoding/json and friends.
func (t Token) MarshalText() ([]byte, error) { return []byte(redacted), nil }
