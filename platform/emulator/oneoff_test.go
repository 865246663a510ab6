package emulator

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

// A one-off dyno runs its command once, with its own environment, and is
// listed while it runs; it is never restarted.
func TestOneOffDyno(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\n", "web=1", nil)
	status, body := f.do(t, "POST", "/apps/demo/dynos", `{"command":"echo \"one-off $DYNO $GREETING\"; read line; exit 4","env":{"GREETING":"hi"},"size":"standard-2x"}`)
	if status != 201 {
		t.Fatalf("POST /apps/demo/dynos = %d %s", status, body)
	}
	var d struct{ ID, Name, Type, State, Size, Command string }
	if err := json.Unmarshal(body, &d); err != nil || d.Name != "run.1" || d.Type != "run" || d.State != "starting" || d.Size != "Standard-2X" {
		t.Errorf("answer %s (%v)", body, err)
	}
	f.log.next(t, `heroku\[run\.1\]: Starting process with command `+"`"+regexp.QuoteMeta(`echo "one-off $DYNO $GREETING"; read line; exit 4`)+"`$")
	f.log.next(t, `app\[run\.1\]: one-off run\.1 hi$`)
	f.log.next(t, `heroku\[run\.1\]: Process exited with status 4$`) // read finds no input
	f.log.next(t, `heroku\[run\.1\]: State changed from (starting|up) to complete$`)
	f.waitDynos(t, "web.1:up")

	// A second one-off: the first was not started again meanwhile.
	if status, body := f.do(t, "POST", "/apps/demo/dynos", `{"command":"true"}`); status != 201 {
		t.Fatalf("POST = %d %s", status, body)
	}
	f.log.next(t, `heroku\[run\.2\]: State changed from (starting|up) to complete$`)
	if n := f.log.count(`heroku\[run\.1\]: Starting process`); n != 1 {
		t.Errorf("run.1 started %d times; a one-off dyno never restarts", n)
	}
}

// A one-off dyno is stopped at its time to live, and by the API; a restart
// of the app stops a run dyno but leaves a dyno of a custom type.
func TestOneOffDynoStops(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\n", "web=1", nil)
	post := func(body string) {
		t.Helper()
		if status, answer := f.do(t, "POST", "/apps/demo/dynos", body); status != 201 {
			t.Fatalf("POST %s = %d %s", body, status, answer)
		}
	}
	post(`{"command":"exec sleep 60","time_to_live":1}`)
	started := f.log.next(t, `heroku\[run\.1\]: Starting process`)
	f.log.next(t, `heroku\[run\.1\]: State changed from (starting|up) to down$`)
	term := f.log.next(t, `heroku\[run\.1\]: Stopping all processes with SIGTERM$`)
	f.log.next(t, `heroku\[run\.1\]: Process exited with status 143$`)
	if took := stampOf(t, term).Sub(stampOf(t, started)); took < time.Second {
		t.Errorf("stopped %v after it started, before its time to live of 1s", took)
	}

	post(`{"command":"exec sleep 60"}`)
	post(`{"command":"exec sleep 60","type":"report"}`)
	f.waitDynos(t, "report.1:up run.2:up web.1:up")
	if status, body := f.do(t, "DELETE", "/apps/demo/dynos", ""); status != 202 {
		t.Fatalf("DELETE /apps/demo/dynos = %d %s", status, body)
	}
	f.log.next(t, `heroku\[run\.2\]: Stopping all processes with SIGTERM$`)
	f.waitDynos(t, "report.1:up web.1:up")
	if status, body := f.do(t, "POST", "/apps/demo/dynos/report.1/actions/stop", ""); status != 202 {
		t.Fatalf("stop report.1 = %d %s", status, body)
	}
	f.log.next(t, `heroku\[report\.1\]: Stopping all processes with SIGTERM$`)
	f.waitDynos(t, "web.1:up")
	if n := f.log.count(`heroku\[(run\.[12]|report\.1)\]: Starting process`); n != 3 {
		t.Errorf("%d one-off starts, want 3: a stopped one-off dyno is not restarted", n)
	}
}

func TestOneOffDynoRequests(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\n", "web=1", nil)
	for _, tt := range []struct {
		body   string
		status int
		id     string
		msg    string
	}{
		{`{}`, 422, "invalid_params", "Missing required params: command."},
		{`{"command":""}`, 422, "invalid_params", "Missing required params: command."},
		{`{"command":"true","time_to_live":0}`, 422, "invalid_params", "time_to_live must be between 1 and 86400"},
		{`{"command":"true","time_to_live":86401}`, 422, "invalid_params", "time_to_live must be between 1 and 86400"},
		{`{"command":"true","env":{"A-B":"x"}}`, 422, "invalid_params", "Invalid env key: A-B."},
		{`{"command":"true","size":"huge"}`, 422, "invalid_params", "Invalid dyno size: huge."},
		{`{"command":"true","type":"web"}`, 422, "invalid_params", "Type web is a process type of the formation"},
		{`{"command":"true","type":"bad type"}`, 422, "invalid_params", "Invalid type: bad type."},
		{`{"command":"true","colour":"red"}`, 400, "bad_request", "Invalid request body"},
	} {
		status, body := f.do(t, "POST", "/apps/demo/dynos", tt.body)
		wantError(t, status, body, tt.status, tt.id, tt.msg)
	}
	status, body := f.do(t, "POST", "/apps/nope/dynos", `{"command":"true"}`)
	wantError(t, status, body, 404, "not_found", "Couldn't find that app.")
	if n := f.log.count(`heroku\[run\.`); n != 0 {
		t.Errorf("a refused request started a dyno:\n%s", f.log)
	}
}
