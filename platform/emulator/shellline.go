package emulator

import "strings"

// How a dyno's command is given to the shell, so that the dyno's process
// is the command's, as on the platform.
//
// Heroku starts a dyno's command with a shell (bash -c, taken to be: the
// platform does not document it), and bash execs a lone simple command
// instead of forking it: the dyno's process is then the command's own,
// which the platform's SIGTERM reaches like every process of the dyno and
// whose exit, after whatever cleanup it does, is the one that
// `Process exited with status N` reports. For a list (`a && b`, `a; b`), a
// pipeline, a compound command or a builtin, the shell stays the dyno's
// process, and its exit is reported: a shell that SIGTERM ends reports 143
// at once while its children clean up. The emulator's /bin/sh may not
// exec a lone command (Debian's dash 0.5.12 forks it), so the emulator
// writes the exec itself.
//
// Whether bash or another shell, and whether it execs a command with a
// redirection (bash 5.2 does not), is unconfirmed. So is whether the
// platform cuts short a stopping dyno's other processes once its first
// exits (a list's shell, at SIGTERM): the emulator leaves them their
// kill-after time. Either way, `exec JOB` as a line's last command makes
// the job the dyno's process, safe on both counts; this leaves it as it
// is.

// shellLine returns the line /bin/sh -c runs for a dyno's command: a lone
// simple command is exec'd (`FOO=1 exec bin/job --flag`), anything else
// runs as written. What it does not recognise as a lone simple command
// runs as written too, which is the shell being the dyno's process: a
// command is never exec'd that the shell would not have run as one.
func shellLine(command string) string {
	at, ok := simpleCommand(command)
	if !ok {
		return command
	}
	return command[:at] + "exec " + command[at:]
}

// shellWord reports whether w makes a command something other than a
// program to exec: the shell's reserved words, which begin compound
// commands, and its builtins (dash's and bash's), which the shell runs
// itself, being the process then; exec is one, already exec'd.
func shellWord(w string) bool {
	switch w {
	case "!", "{", "}", "[[", "case", "do", "done", "elif", "else", "esac", "fi",
		"for", "function", "if", "in", "select", "then", "time", "until", "while":
		return true // reserved words
	case ".", ":", "[", "alias", "bg", "break", "builtin", "cd", "command",
		"continue", "declare", "echo", "eval", "exec", "exit", "export", "false",
		"fc", "fg", "getopts", "hash", "jobs", "kill", "let", "local", "printf",
		"pwd", "read", "readonly", "return", "set", "shift", "source", "test",
		"times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias",
		"unset", "wait":
		return true // builtins
	}
	return false
}

// simpleCommand reports whether command is one simple command whose
// program can be exec'd, and where its program's word begins (after any
// NAME=VALUE assignments). It reads quotes and escapes, and refuses, when
// they are not quoted: a list or a pipeline (; & | and line ends), a
// subshell or a command substitution (parentheses, backquotes),
// redirections (< >), and a program that is a reserved word or a builtin,
// or that is missing.
func simpleCommand(command string) (prog int, ok bool) {
	prog = -1
	start := -1 // where the word being read begins
	endWord := func(end int) bool {
		if start < 0 {
			return true
		}
		w, at := command[start:end], start
		start = -1
		switch {
		case prog >= 0: // an argument
		case assignment(w):
		case shellWord(w):
			return false
		default:
			prog = at
		}
		return true
	}
scan:
	for i := 0; i < len(command); i++ {
		switch c := command[i]; {
		case c == ' ' || c == '\t':
			if !endWord(i) {
				return 0, false
			}
			continue
		case c == '#' && start < 0:
			break scan // a comment, to the end of the line
		case strings.IndexByte(";&|()<>`\n\r", c) >= 0:
			return 0, false
		}
		if start < 0 {
			start = i
		}
		switch command[i] {
		case '\\':
			i++
		case '\'':
			j := strings.IndexByte(command[i+1:], '\'')
			if j < 0 {
				return 0, false
			}
			i += 1 + j
		case '"':
			j := i + 1
			for ; j < len(command) && command[j] != '"'; j++ {
				if command[j] == '\\' {
					j++
				}
			}
			if j >= len(command) {
				return 0, false
			}
			i = j
		}
	}
	if !endWord(len(command)) {
		return 0, false
	}
	return prog, prog >= 0
}

// assignment reports whether a word is NAME=VALUE, a variable's assignment
// when it comes before the program.
func assignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	return ok && wordOnly(name) && !(name[0] >= '0' && name[0] <= '9')
}
