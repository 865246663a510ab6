package main

import (
	"bytes"
	"testing"
)

func TestRedactorClean(t *testing.T) {
	const secret = "HRKU-0123456789"
	r := &redactor{}
	r.add(secret)
	r.add("short") // too short to be told from text: not a secret
	r.addURL("http://user:pa55-w0rd-xyz@127.0.0.1:5000")
	tests := []struct{ in, want string }{
		{"nothing here", "nothing here"},
		{"Bearer " + secret, "Bearer [redacted]"},
		{`warning="Bearer \u0048RKU-0123456789"`, `warning="Bearer [redacted]"`},
		{"a %48%52%4B%55-0123456789 b", "a [redacted] b"},
		{"&#72;&#x52;KU-0123456789", "[redacted]"},
		{`\u0026#72;RKU-0123456789`, "[redacted]"},
		{"HRKU-01\u200b23456789!", "[redacted]!"},
		{`HRKU-01\u200b23456789`, "[redacted]"},
		{"two: " + secret + " and " + secret, "two: [redacted] and [redacted]"},
		{"short stays", "short stays"},
		{"http://user:pa55-w0rd-xyz@127.0.0.1", "http://user:[redacted]@127.0.0.1"},
		{"HRKU-012345678", "HRKU-012345678"}, // not the secret: one character short
		// A message cut to length, through the secret: its start goes.
		{"echo: Bearer HRKU-012345…", "echo: Bearer [redacted]…"},
		{"echo: Bearer HRKU-0123...", "echo: Bearer [redacted]..."},
		{`echo: \u0048RKU-01234\u2026`, `echo: [redacted]\u2026`},
		{"HRKU-01…", "HRKU-01…"}, // too short a start to be told from text
		{"&#72;&#82;&#75;&#85;&#45;&#48;&#49;&#50;&…", "[redacted]&…"},
	}
	for _, tt := range tests {
		if got := string(r.clean([]byte(tt.in))); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A secret split over two writes is still found: output is redacted line
// by line.
func TestRedactingWriterJoinsLines(t *testing.T) {
	r := &redactor{}
	r.add("HRKU-0123456789")
	var out bytes.Buffer
	w := &lines{r: r, w: &out}
	w.Write([]byte("token HRKU-01234"))
	w.Write([]byte("56789 end\nnext"))
	w.Flush()
	if got, want := out.String(), "token [redacted] end\nnext"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
