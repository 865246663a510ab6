package main

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
)

// How scaler check reads the commands of a Procfile, which the platform runs
// with a shell: as much of sh as a Procfile line uses, and an error for the
// rest, so that a line it does not read is said to be unchecked, never
// judged.

// word is one word of a shell command as sh passes it on: quotes and
// escapes removed, expansions left as written.
type word struct {
	text string
	// expansion is the word's first expansion as written ($TIMEOUT,
	// ${X:-1}, $(cmd), `cmd`, ~): what it becomes is only known when the
	// dyno starts. Empty when the word has none.
	expansion string
}

// compound are the words that begin or go on with a compound command, which
// shellCommands does not read.
var compound = []string{"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "select", "function", "{", "}", "!"}

// shellCommands splits a command line, as sh reads it, into its simple
// commands (separated by ;, &, &&, | or ||), each a list of words without
// its redirections (> file, 2>&1). It returns an error for what it does not
// read: parentheses, a here-document, a quote or an expansion left open, a
// compound command (if, for, while, case, { ... }).
func shellCommands(line string) ([][]word, error) {
	var (
		cmds     [][]word
		cur      []word
		b        strings.Builder
		exp      string
		inWord   bool
		redirect bool // the next word is a redirection's file
	)
	flush := func() {
		if !inWord {
			return
		}
		if redirect {
			redirect = false
		} else {
			cur = append(cur, word{text: b.String(), expansion: exp})
		}
		b.Reset()
		exp, inWord = "", false
	}
	end := func() error {
		flush()
		if redirect {
			return errors.New("a redirection without its file")
		}
		if len(cur) > 0 && slices.Contains(compound, cur[0].text) {
			return fmt.Errorf("%q begins a compound command, which is not read", cur[0].text)
		}
		if len(cur) > 0 {
			cmds = append(cmds, cur)
		}
		cur = nil
		return nil
	}
	expand := func(raw string) {
		b.WriteString(raw)
		if exp == "" && raw != "$" {
			exp = raw
		}
		inWord = true
	}
	rs := []rune(line)
	// expandAt reads the expansion that begins at rs[i] ($ or `), in
	// double quotes or not, into the word, and returns the index of its
	// last rune.
	expandAt := func(i int) (int, error) {
		raw, j, err := expansion(rs, i)
		if err != nil {
			return 0, err
		}
		expand(raw)
		return j - 1, nil
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		next := func(c rune) bool { return i+1 < len(rs) && rs[i+1] == c }
		switch {
		case r == '\\':
			if i+1 < len(rs) {
				i++
				b.WriteRune(rs[i])
			}
			inWord = true
		case r == '\'':
			j := slices.Index(rs[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("a ' is not closed")
			}
			b.WriteString(string(rs[i+1 : i+1+j]))
			i, inWord = i+1+j, true
		case r == '"':
			closed := false
			for i++; i < len(rs) && !closed; i++ {
				switch c := rs[i]; {
				case c == '"':
					closed = true
				case c == '\\' && i+1 < len(rs) && strings.ContainsRune("$`\"\\", rs[i+1]):
					i++
					b.WriteRune(rs[i])
				case c == '$' || c == '`':
					var err error
					if i, err = expandAt(i); err != nil {
						return nil, err
					}
				default:
					b.WriteRune(c)
				}
			}
			if !closed {
				return nil, errors.New(`a " is not closed`)
			}
			i-- // the loop's own i++ follows
			inWord = true
		case r == '$' || r == '`':
			var err error
			if i, err = expandAt(i); err != nil {
				return nil, err
			}
		case r == '~' && !inWord:
			expand("~")
		case r == ' ' || r == '\t':
			flush()
		case r == '#' && !inWord:
			i = len(rs) // a comment, to the end of the line
		case r == '&' && next('>'): // &> file, &>> file
			flush()
			i++
			if next('>') {
				i++
			}
			redirect = true
		case r == ';' || r == '&' || r == '|':
			if err := end(); err != nil {
				return nil, err
			}
			if next(r) { // && || ;;
				i++
			}
		case r == '<' || r == '>':
			if inWord && exp == "" && !redirect && isDigits(b.String()) {
				b.Reset() // the file descriptor of 2>&1
				inWord = false
			} else {
				flush()
			}
			if r == '<' && next('<') {
				return nil, errors.New("a here-document (<<) is not read")
			}
			if next('>') || next('&') || next('|') { // >> >& <& >|
				i++
			}
			redirect = true
		case r == '(' || r == ')':
			return nil, errors.New("parentheses (a subshell) are not read")
		default:
			b.WriteRune(r)
			inWord = true
		}
	}
	if err := end(); err != nil {
		return nil, err
	}
	return cmds, nil
}

// expansion returns the expansion that begins at rs[i] ($ or `) as written,
// and the index after it: $NAME, ${...}, $(...), $((...)), $1, $?, `...`.
// A $ that begins none is "$", itself.
func expansion(rs []rune, i int) (string, int, error) {
	if rs[i] == '`' {
		j := slices.Index(rs[i+1:], '`')
		if j < 0 {
			return "", 0, errors.New("a ` is not closed")
		}
		return string(rs[i : i+2+j]), i + 2 + j, nil
	}
	j := i + 1
	switch {
	case j < len(rs) && (rs[j] == '{' || rs[j] == '('):
		open, end := rs[j], map[rune]rune{'{': '}', '(': ')'}[rs[j]]
		depth := 0
		for ; j < len(rs); j++ {
			switch rs[j] {
			case open:
				depth++
			case end:
				if depth--; depth == 0 {
					return string(rs[i : j+1]), j + 1, nil
				}
			}
		}
		return "", 0, fmt.Errorf("a $%c is not closed", open)
	case j < len(rs) && (rs[j] == '_' || unicode.IsLetter(rs[j])):
		for j < len(rs) && (rs[j] == '_' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
			j++
		}
	case j < len(rs) && strings.ContainsRune("0123456789@*#?$!-", rs[j]):
		j++
	}
	return string(rs[i:j]), j, nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// scalerCall is scaler as a line of a Procfile runs it.
type scalerCall struct {
	env  []word // the NAME=VALUE assignments before it, in order
	args []word // its arguments, the command's name first
	// behind is, for scaler run by a program that scalerCalls does not
	// read (timeout 3600 bin/scaler ..., chpst -u app bin/scaler ...), that
	// program and its arguments: what reaches scaler is not known, and the
	// call is not checked.
	behind []word
}

// Commands that run the command that follows them, as scalerCalls reads
// them: alone, or, for runners, followed by one more word.
var (
	prefixes = []string{"exec", "env", "nohup", "nice", "time", "command"}
	shells   = []string{"sh", "bash", "dash", "zsh"}
)

// runner returns the word after which a runner (bundle exec, poetry run)
// runs the command that follows, or "" for a program that is no runner.
func runner(prog string) string {
	switch prog {
	case "bundle", "bundler":
		return "exec"
	case "poetry", "pipenv", "uv":
		return "run"
	}
	return ""
}

// maxShellDepth bounds shells within shells (sh -c 'bash -c "..."').
const maxShellDepth = 3

// scalerCalls returns the calls of scaler in a Procfile's command line: each
// simple command whose program is scaler (scaler, bin/scaler,
// /app/bin/scaler, $HOME/bin/scaler), after any assignments (FOO=1), exec,
// env, nohup, nice, time or command, a runner (bundle exec, poetry run,
// pipenv run, uv run), or inside `sh -c '...'` (and bash, dash, zsh); and,
// to be said unchecked, each that names scaler behind another program
// (scalerCall.behind). Its error says what it could not read: such a line
// is not checked.
func scalerCalls(line string) ([]scalerCall, error) {
	return findCalls(line, 0)
}

func findCalls(line string, depth int) ([]scalerCall, error) {
	cmds, err := shellCommands(line)
	if err != nil {
		return nil, err
	}
	var calls []scalerCall
	for _, ws := range cmds {
		var env []word
	prefix:
		for len(ws) > 0 {
			switch w := ws[0]; {
			case isAssignment(w.text):
				env, ws = append(env, w), ws[1:]
			case w.expansion != "":
				break prefix
			case slices.Contains(prefixes, w.text):
				if len(ws) > 1 && strings.HasPrefix(ws[1].text, "-") {
					return nil, fmt.Errorf("%s %s: the options of %s are not read", w.text, ws[1].text, w.text)
				}
				ws = ws[1:]
			case len(ws) > 1 && runner(w.text) != "" && ws[1].text == runner(w.text):
				ws = ws[2:]
			case slices.Contains(shells, path.Base(w.text)) && len(ws) > 2 && shellC(ws[1].text):
				if depth == maxShellDepth {
					return nil, errors.New("shells within shells within shells are not read")
				}
				inner, err := findCalls(ws[2].text, depth+1)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", w.text, ws[1].text, err)
				}
				for _, c := range inner {
					c.env = append(slices.Clone(env), c.env...)
					calls = append(calls, c)
				}
				ws = nil
			default:
				break prefix
			}
		}
		if i := slices.IndexFunc(ws, isScaler); i >= 0 {
			calls = append(calls, scalerCall{env: env, args: ws[i+1:], behind: ws[:i]})
		}
	}
	return calls, nil
}

// isScaler reports whether w names scaler: the word scaler, or a path
// that ends in /scaler.
func isScaler(w word) bool {
	return path.Base(w.text) == "scaler"
}

// isAssignment reports whether s is a shell assignment, NAME=VALUE.
func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" || unicode.IsDigit(rune(name[0])) {
		return false
	}
	return strings.IndexFunc(name, func(r rune) bool { return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }) < 0
}

// shellC reports whether s is a shell's options that end with -c (-c, -lc,
// -ec): the next word is the command to run.
func shellC(s string) bool {
	opts, ok := strings.CutPrefix(s, "-")
	return ok && strings.HasSuffix(opts, "c") && strings.IndexFunc(opts, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}
