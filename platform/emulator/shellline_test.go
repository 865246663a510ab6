package emulator

import (
	"os"
	"path/filepath"
	"testing"
)

func TestShellLine(t *testing.T) {
	for _, tt := range []struct{ command, want string }{
		// A lone simple command is exec'd, after its assignments.
		{"bin/scaler run -- bundle exec rake nightly:report", "exec bin/scaler run -- bundle exec rake nightly:report"},
		{"FOO=1 BAR='a b' bin/job $ARGS", "FOO=1 BAR='a b' exec bin/job $ARGS"},
		{`bin/job "a; b" 'c && d' e\;f "$(date)" ${X:-y}`, `exec bin/job "a; b" 'c && d' e\;f "$(date)" ${X:-y}`},
		{"  bin/job  # a comment; with a list", "  exec bin/job  # a comment; with a list"},
		{`"bin/my job" --flag`, `exec "bin/my job" --flag`},
		{"sh -c 'trap \"\" TERM; sleep 60'", "exec sh -c 'trap \"\" TERM; sleep 60'"},
		{"a#b c", "exec a#b c"},
		// Anything else runs as written: the shell is the dyno's process.
		{"exec bin/job", "exec bin/job"},
		{"FOO=1 exec bin/job", "FOO=1 exec bin/job"},
		{"bin/migrate && bin/web", "bin/migrate && bin/web"},
		{"echo hi; exec sleep 60", "echo hi; exec sleep 60"},
		{"bin/job || true", "bin/job || true"},
		{"bin/job | tee log", "bin/job | tee log"},
		{"bin/job &", "bin/job &"},
		{"bin/job > log 2>&1", "bin/job > log 2>&1"},
		{"(cd app && bin/job)", "(cd app && bin/job)"},
		{"bin/job $(cat args)", "bin/job $(cat args)"},
		{"bin/job `cat args`", "bin/job `cat args`"},
		{"if true; then bin/job; fi", "if true; then bin/job; fi"},
		{"{ bin/job; }", "{ bin/job; }"},
		{"! bin/job", "! bin/job"},
		{"cd app", "cd app"},
		{"exit 3", "exit 3"},
		{"trap '' TERM", "trap '' TERM"},
		{"read x", "read x"},
		{"FOO=1", "FOO=1"},
		{"# only a comment", "# only a comment"},
		{"bin/job 'open", "bin/job 'open"},
		{`bin/job "open`, `bin/job "open`},
		{"bin/job\nbin/other", "bin/job\nbin/other"},
	} {
		if got := shellLine(tt.command); got != tt.want {
			t.Errorf("shellLine(%q) = %q, want %q", tt.command, got, tt.want)
		}
	}
}

// cleanupJob is a job that cleans up after SIGTERM until the test lets it
// finish (a file named after it appears), then exits 0, saying each step.
const cleanupJob = `#!/bin/sh
trap 'echo "$1 cleaning"; while [ ! -e "$1.done" ]; do sleep 0.01; done; echo "$1 cleaned"; exit 0' TERM
echo "$1 ready"
while :; do sleep 0.05; done
`

// The dyno's process is its command's, as on the platform, whose shell
// execs a lone simple command: its exit, after the job's cleanup, is the
// one the platform reports. A list is its shell's, which SIGTERM ends at
// once: that exit is reported while the job still cleans up, as on the
// platform, and the dyno goes once the job is gone.
func TestTheDynoIsItsCommandsProcess(t *testing.T) {
	t.Parallel()
	procfile := "simple: JOB_NAME=simple job simple\nlist: true && job list\n"
	var dir string
	f := startDynos(t, procfile, "simple=1,list=1", func(c *Config) {
		dir = c.Dynos.Procfile.Dir
		if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bin", "job"), []byte(cleanupJob), 0o755); err != nil {
			t.Fatal(err)
		}
	})
	release := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name+".done"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.log.find(t, `app\[simple\.1\]: simple ready$`, false)
	f.log.find(t, `app\[list\.1\]: list ready$`, false)

	// A simple command: SIGTERM, its cleanup, then its own exit.
	f.log.skip()
	f.scale(t, "simple", 0)
	f.log.next(t, `heroku\[simple\.1\]: State changed from (starting|up) to down$`)
	f.log.next(t, `heroku\[simple\.1\]: Stopping all processes with SIGTERM$`)
	f.log.next(t, `app\[simple\.1\]: simple cleaning$`)
	if n := f.log.count(`heroku\[simple\.1\]: Process exited`); n != 0 {
		t.Fatalf("the dyno's exit was reported while its job cleaned up:\n%s", f.log)
	}
	release("simple")
	f.log.next(t, `app\[simple\.1\]: simple cleaned$`)
	f.log.next(t, `heroku\[simple\.1\]: Process exited with status 0$`)
	f.waitDynos(t, "list.1:up")

	// A list: its shell's exit comes at once, before the job's cleanup
	// ends, and the dyno stays listed until the job is gone.
	f.log.skip()
	f.scale(t, "list", 0)
	f.log.next(t, `heroku\[list\.1\]: Stopping all processes with SIGTERM$`)
	exit, _ := f.log.find(t, `heroku\[list\.1\]: Process exited with status 143$`, true)
	f.log.find(t, `app\[list\.1\]: list cleaning$`, false)
	f.waitDynos(t, "list.1:down")
	release("list")
	f.log.next(t, `app\[list\.1\]: list cleaned$`)
	f.waitDynos(t, "")
	if n := f.log.count(`heroku\[list\.1\]: Process exited`); n != 1 {
		t.Errorf("%d exits reported for list.1, want its shell's only (%q):\n%s", n, exit, f.log)
	}
}
