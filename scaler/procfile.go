package scaler

import (
	"bufio"
	"io"
	"strings"
)

// ProcfileLine is one line of an app's Procfile that declares a process
// type, or fails to.
type ProcfileLine struct {
	// N is the line's number, from 1.
	N int
	// Type and Command are the line's `TYPE: COMMAND`.
	Type, Command string
	// Err, when set, says why the line is not `TYPE: COMMAND` (it wraps
	// ErrInvalid; N says where); Type and Command are then empty.
	Err error
}

// ParseProcfile reads a Procfile as Heroku does: `TYPE: COMMAND` lines, in
// the file's order; blank lines and lines starting with # are skipped.
// Every other line is returned too, with Err set: one that is not `TYPE:
// COMMAND` with TYPE a process type (letters, digits, _ and -), or whose
// command is empty. Heroku ignores such lines, which hides mistakes, so the
// caller decides: the emulator refuses them, scaler check warns. A type
// declared twice is returned twice. The error is the reader's.
func ParseProcfile(r io.Reader) ([]ProcfileLine, error) {
	var lines []ProcfileLine
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		typ, command, ok := strings.Cut(line, ":")
		typ, command = strings.TrimSpace(typ), strings.TrimSpace(command)
		switch {
		case !ok || !ValidType(typ):
			lines = append(lines, ProcfileLine{N: n, Err: Errorf(ErrInvalid, "want TYPE: COMMAND, where TYPE is letters, digits, _ and -; got %q", line)})
		case command == "":
			lines = append(lines, ProcfileLine{N: n, Err: Errorf(ErrInvalid, "process type %s has no command", typ)})
		default:
			lines = append(lines, ProcfileLine{N: n, Type: typ, Command: command})
		}
	}
	return lines, sc.Err()
}
