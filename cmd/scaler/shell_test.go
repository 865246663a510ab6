package main

import (
	"slices"
	"strings"
	"testing"
)

// What a Procfile line can be, and which calls of scaler check finds in it:
// each call as `ENV... | ARGS...`, with an expansion as [$X]; or why the
// line is not read.
func TestScalerCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want []string
		err  string
	}{
		{line: "bin/scaler run -- bundle exec rake nightly:report", want: []string{"| run -- bundle exec rake nightly:report"}},
		{line: "scaler run --timeout 4h --grace 20s -- python x.py", want: []string{"| run --timeout 4h --grace 20s -- python x.py"}},
		{line: "bundle exec bin/scaler run -- rake x", want: []string{"| run -- rake x"}},
		{line: "exec bin/scaler run -- rake x", want: []string{"| run -- rake x"}},
		{line: "FOO=1 BAR='a b' bin/scaler run --grace 5s -- job", want: []string{"FOO=1 BAR=a b | run --grace 5s -- job"}},
		{line: "env SCALER_LOG_LEVEL=debug bin/scaler up web=1", want: []string{"SCALER_LOG_LEVEL=debug | up web=1"}},
		{line: "/app/bin/scaler done", want: []string{"| done"}},
		{line: "./bin/scaler done", want: []string{"| done"}},
		{line: "$HOME/bin/scaler run -- x", want: []string{"| run -- x"}},
		{line: "sh -c 'bin/scaler run --grace 30s -- ./job'", want: []string{"| run --grace 30s -- ./job"}},
		{line: `bash -lc "exec bin/scaler run -- echo \"hi there\""`, want: []string{"| run -- echo hi there"}},
		{line: `X=1 sh -c 'Y=2 bin/scaler done'`, want: []string{"X=1 Y=2 | done"}},
		{line: "bin/scaler check && bin/rails db:migrate", want: []string{"| check"}},
		{line: "bin/rails db:migrate && bin/scaler up worker=1; echo done", want: []string{"| up worker=1"}},
		{line: "bin/scaler apply > /dev/null 2>&1", want: []string{"| apply"}},
		{line: "bin/scaler apply 2>>log.txt &", want: []string{"| apply"}},
		{line: "bin/scaler run -- job | tee out.log", want: []string{"| run -- job"}},
		{line: "bin/scaler run --timeout $TIMEOUT -- job", want: []string{"| run --timeout [$TIMEOUT] -- job"}},
		{line: "bin/scaler run --grace=${GRACE:-20s} -- job", want: []string{"| run [${GRACE:-20s}] -- job"}},
		{line: "bin/scaler run -- rake \"report[$(date +%F)]\"", want: []string{"| run -- rake [$(date +%F)]"}},
		{line: "bin/scaler run -- echo $ 5", want: []string{"| run -- echo $ 5"}},
		{line: "bin/scaler run -- job # the nightly job", want: []string{"| run -- job"}},
		{line: `bin/scaler run -- echo a\ b`, want: []string{"| run -- echo a b"}},
		{line: "bundle exec puma -C config/puma.rb", want: nil},
		{line: "ruby scaler_worker.rb", want: nil},
		{line: "bin/notscaler run -- x", want: nil},
		{line: "(bin/scaler run -- x)", err: "parentheses"},
		{line: "if true; then bin/scaler done; fi", err: `"if" begins a compound command`},
		{line: "bin/scaler run -- 'unclosed", err: "' is not closed"},
		{line: "bin/scaler run -- cat <<EOF", err: "here-document"},
		{line: "nice -n 10 bin/scaler run -- x", err: "the options of nice are not read"},
		{line: "sh -c 'sh -c \"sh -c \\\"sh -c bin/scaler\\\"\"'", err: "shells within shells"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			calls, err := scalerCalls(tt.line)
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("scalerCalls(%q) = %v, %v; want an error saying %q", tt.line, calls, err, tt.err)
				}
				return
			case err != nil:
				t.Fatalf("scalerCalls(%q): %v", tt.line, err)
			}
			var got []string
			for _, c := range calls {
				got = append(got, strings.TrimSpace(shown(c.env)+" | "+shown(c.args)))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("scalerCalls(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

// shown writes words with sh's quotes removed, and a word with an
// expansion as [the expansion].
func shown(ws []word) string {
	var s []string
	for _, w := range ws {
		if w.expansion != "" {
			s = append(s, "["+w.expansion+"]")
		} else {
			s = append(s, w.text)
		}
	}
	return strings.Join(s, " ")
}
