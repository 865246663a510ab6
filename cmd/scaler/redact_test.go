package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactorClean(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// A line redacted in parts, as the dyno manager redacts a long line that a
// dyno is still printing, comes out as it does redacted whole, wherever it
// is parted: a secret is never cut in two, in none of its forms.
func TestRedactingALineInParts(t *testing.T) {
	t.Parallel()
	r := &redactor{}
	r.add("HRKU-0123456789")
	r.add("HRKU-0123456789-longer") // a secret that starts with another
	r.add("aaaaaaaaab")             // one that overlaps itself
	r.add("0123456789-tail")        // one that starts in another
	pad := strings.Repeat("x", escapeReach+20)
	for _, line := range []string{
		pad + "Bearer HRKU-0123456789 and HRKU-0123456789-longer end",
		pad + `"\u0048RKU-0123456789" %48%52%4B%55-0123456789 &#72;&#x52;KU-0123456789 end`,
		pad + `\u0026#72;RKU-0123456789 HRKU-01` + "\u200b" + `23456789 end`,
		pad + "cut: HRKU-012345… and HRKU-0123... end",
		pad + "aaaaaaaaaaaab aaaaaaaab end",
		pad + "Bearer HRKU-0123456789-tail end",
		pad + "HRKU-0123456789" + pad + "HRKU-0123456789",
	} {
		line += pad // the line goes on after its secrets, beyond the reach of an escape
		want := string(r.clean([]byte(line)))
		if strings.Contains(want, "HRKU") {
			t.Fatalf("clean(%q) = %q: the test's line shows a secret redacted whole", line, want)
		}
		for p := 0; p <= len(line); p++ {
			for q := p; q <= len(line); q += 31 {
				// Three parts: two while the line goes on, the rest at its end.
				first, n1 := r.cleanStart([]byte(line[:p]), true)
				second, n2 := r.cleanStart([]byte(line[n1:q]), true)
				if n1 > p || n1+n2 > q {
					t.Fatalf("cleanStart covered %d and %d of %d and %d bytes", n1, n2, p, q-n1)
				}
				got := string(first) + string(second) + string(r.clean([]byte(line[n1+n2:])))
				if got != want {
					t.Fatalf("%q parted at %d and %d (taken: %d, %d) = %q, want %q", line, p, q, n1, n1+n2, got, want)
				}
			}
		}
	}
	// It keeps back only what may begin a secret, or an escape.
	text := []byte(pad + pad + "HRKU-0123")
	if _, n := r.cleanStart(text, true); len(text)-n > escapeReach {
		t.Errorf("cleanStart of %d bytes covered only %d", len(text), n)
	}
	if _, n := r.cleanStart(text, false); n != len(text) {
		t.Errorf("cleanStart(more: false) covered %d of %d bytes", n, len(text))
	}
}

// BenchmarkRedactDynoOutput measures the redactor on a dyno's output with
// three secrets: a short line, cleaned whole (as every line scaler writes
// is), and a 100 kB line cleaned in parts as the dyno manager reads it
// (4 kB reads, a part whenever 10 kB wait), which the stream then cuts.
func BenchmarkRedactDynoOutput(b *testing.B) {
	r := &redactor{}
	r.add(testToken)
	r.add("HRKU-0123456789")
	r.add("Sup3rS3cr3tV4lu3-QwZ")
	short := []byte(`2026-11-30T02:00:01.104620+00:00 app[worker.1]: level=info msg="report" rows=120 of=5000 took=1.2s` + "\n")
	b.Run("short line", func(b *testing.B) {
		b.SetBytes(int64(len(short)))
		for b.Loop() {
			r.clean(short)
		}
	})
	long := []byte(strings.Repeat(`{"row":12345,"name":"a value","ok":true},`, 100_000/41))
	b.Run("long line in parts", func(b *testing.B) {
		b.SetBytes(int64(len(long)))
		for b.Loop() {
			var raw []byte
			for rest := long; len(rest) > 0; {
				n := min(4096, len(rest))
				raw, rest = append(raw, rest[:n]...), rest[n:]
				if len(raw) >= 10_000 {
					_, taken := r.cleanStart(raw, true)
					raw = raw[taken:]
				}
			}
			r.cleanStart(raw, false)
		}
	})
}
