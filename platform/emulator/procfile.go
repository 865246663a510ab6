package emulator

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalerdev/scaler/scaler"
)

// Procfile is an app's process types and their commands, as Heroku reads
// them from the Procfile at the root of the app.
type Procfile struct {
	// Dir is where the commands run: the Procfile's directory.
	Dir string
	// Types are the process types, in the order of the file.
	Types []string
	// Commands holds each type's command.
	Commands map[string]string
}

// ReadProcfile reads and parses the Procfile at path; its commands will run
// in its directory.
func ReadProcfile(path string) (*Procfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("procfile: %w", err)
	}
	defer f.Close()
	pf, err := ParseProcfile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("procfile: %w", err)
	}
	pf.Dir = filepath.Dir(abs)
	return pf, nil
}

// ParseProcfile parses a Procfile: `TYPE: COMMAND` lines; blank lines and
// lines starting with # are ignored. A type named twice, a line that is not
// `TYPE: COMMAND` and a file without any type are errors, each with its line
// number: Heroku silently ignores such lines, which hides mistakes.
func ParseProcfile(r io.Reader) (*Procfile, error) {
	lines, err := scaler.ParseProcfile(r)
	if err != nil {
		return nil, err
	}
	pf := &Procfile{Commands: map[string]string{}}
	for _, l := range lines {
		switch {
		case l.Err != nil:
			return nil, fmt.Errorf("line %d: %w", l.N, l.Err)
		case pf.Commands[l.Type] != "":
			return nil, fmt.Errorf("line %d: process type %s declared twice", l.N, l.Type)
		}
		pf.Types = append(pf.Types, l.Type)
		pf.Commands[l.Type] = l.Command
	}
	if len(pf.Types) == 0 {
		return nil, fmt.Errorf("no process type: want lines of TYPE: COMMAND")
	}
	return pf, nil
}

// formation returns an app's formation with the Procfile's types: the
// types declared with quantities must be in the Procfile, and the
// Procfile's other types are added at 0. With no types declared, web runs
// one dyno and every other type none, as after a first deploy.
func (pf *Procfile) formation(declared []Process) ([]Process, error) {
	out := make([]Process, 0, len(pf.Types))
	seen := map[string]bool{}
	for _, p := range declared {
		if _, ok := pf.Commands[p.Type]; !ok {
			return nil, fmt.Errorf("process type %s is not in the Procfile (it has %s)", p.Type, strings.Join(pf.Types, ", "))
		}
		out = append(out, p)
		seen[p.Type] = true
	}
	for _, typ := range pf.Types {
		if seen[typ] {
			continue
		}
		p := Process{Type: typ}
		if typ == "web" && len(declared) == 0 {
			p.Quantity = 1
		}
		out = append(out, p)
	}
	return out, nil
}
