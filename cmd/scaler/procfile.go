package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/scalerdev/scaler/scaler"
)

// check reads the app's Procfile (the slug's, in the release phase): each
// line that runs scaler goes through the command's own parser and
// validation, so that no flag is accepted by one and refused by the other.

const (
	flagProcfile    = "procfile"
	defaultProcfile = "Procfile"
)

// validator is a command's options that can be checked before anything is
// sent: each command's run function calls validate first, and scaler check
// calls it on the Procfile's lines.
type validator interface {
	// validate returns an error wrapping scaler.ErrInvalid for options that
	// the command would refuse, reading only a's environment.
	validate(a *App) error
}

// validating is a run function that only validates its options, and notes
// in ran that it was called.
func validating[O validator](a *App, ran *bool) func(context.Context, O) error {
	return func(_ context.Context, opts O) error {
		*ran = true
		return opts.validate(a)
	}
}

// validators returns the commands whose Procfile lines check reads, built
// as scaler builds them, with run functions that only validate.
func (a *App) validators(ran *bool) []*command {
	return []*command{
		a.newScaleCommand(up, validating[*scaleOptions](a, ran)),
		a.newScaleCommand(scale, validating[*scaleOptions](a, ran)),
		a.newScaleCommand(down, validating[*scaleOptions](a, ran)),
		a.newRunCommand(validating[*runOptions](a, ran)),
		a.newDoneCommand(validating[*doneOptions](a, ran)),
		a.newApplyCommand(validating[*applyOptions](a, ran)),
		a.newCheckCommand(validating[*checkOptions](a, ran)),
	}
}

// checkProcfile reads the Procfile, when there is one, checks each call of
// scaler in it, and says which process types of the schedule it does not
// declare.
func checkProcfile(ctx context.Context, a *App, ch *checking) {
	path := ch.opts.Procfile
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !ch.opts.ProcfileSet:
		ch.f.ok("procfile", "no %s here: no scaler line to check (--procfile PATH reads another)", path)
		return
	case err != nil:
		ch.f.fail("procfile", scaler.Errorf(scaler.ErrInvalid, "read the Procfile: %v", err))
		return
	}
	defer f.Close()
	lines, err := scaler.ParseProcfile(f)
	if err != nil {
		ch.f.fail("procfile", scaler.Errorf(scaler.ErrInvalid, "read the Procfile %s: %v", path, err))
		return
	}
	var types []string
	calls := 0
	for _, l := range lines {
		where := fmt.Sprintf("%s:%d", path, l.N)
		switch {
		case l.Err != nil:
			ch.f.warn("procfile", "%s: %v: Heroku ignores this line", where, l.Err)
			continue
		case slices.Contains(types, l.Type):
			ch.f.warn("procfile", "%s: process type %s is declared again: Heroku keeps one of its lines", where, l.Type)
			continue
		}
		types = append(types, l.Type)
		found, err := scalerCalls(l.Command)
		if err != nil {
			if strings.Contains(l.Command, "scaler") {
				ch.f.warn("procfile", "%s: %s: not checked: %v", where, l.Type, err)
			}
			continue
		}
		for _, c := range found {
			calls++
			a.checkCall(ctx, &ch.f, path, where+": "+l.Type, l.Type, c)
		}
	}
	if calls == 0 {
		ch.f.ok("procfile", "%s: %s, none of which runs scaler", path, scaler.Plural(len(types), "process type"))
	}
	scheduleTypes(a, ch, path, types)
}

// checkCall checks one call of scaler in a line of the Procfile at path
// (where: Procfile:LINE: TYPE) as a dyno of typ would make it: in that
// dyno's environment with the call's own assignments, through the command's
// own parser and its validate (dispatch).
func (a *App) checkCall(ctx context.Context, f *findings, path, where, typ string, c scalerCall) {
	said := "scaler " + strings.Join(texts(c.args), " ")
	if len(c.behind) > 0 {
		f.warn("procfile", "%s: %s %s: not checked: scaler runs behind %s, which check does not read (it reads scaler after exec, env, nohup, nice, time, command, bundle exec and the like, or in sh -c)",
			where, strings.Join(texts(c.behind), " "), said, c.behind[0].text)
		return
	}
	if len(c.args) == 0 {
		f.skip("procfile", where+": scaler without a command prints its help: not checked")
		return
	}
	if e := c.args[0].expansion; e != "" {
		f.warn("procfile", "%s: %s: not checked: the shell expands %s when the dyno starts", where, said, e)
		return
	}
	vars := map[string]string{envDyno: typ + ".1"}
	for _, w := range c.env {
		k, v, _ := strings.Cut(w.text, "=")
		vars[k] = v
	}
	v := &App{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
		Getenv: func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return a.Getenv(k)
		},
		Now: a.Now, log: slog.New(slog.DiscardHandler),
	}
	var ran bool
	cmds := v.validators(&ran)
	args := append([]string{"scaler"}, texts(c.args)...)
	cmd := find(cmds, args)
	if cmd == nil {
		// Before any command's name, scaler's own flags: refused as the
		// binary refuses them (execute).
		if err := arrangeRoot(cmds, args); err != nil {
			failLine(f, path, where, typ, err)
			return
		}
		if name := args[1]; name == "help" || strings.HasPrefix(name, "-") || a.newCommand(name) != nil {
			f.skip("procfile", fmt.Sprintf("%s: scaler %s: not checked (check reads the lines of run, done, up, scale, down, apply and check)", where, name))
		} else {
			failLine(f, path, where, typ, unknownCommand(a.commands(), name))
		}
		return
	}
	own := 1 + cmd.ownArgs(args[2:])
	for _, w := range append(slices.Clone(c.env), c.args[:own]...) {
		if w.expansion != "" {
			f.warn("procfile", "%s: %s: not checked: the shell expands %s when the dyno starts", where, said, w.expansion)
			return
		}
	}
	switch err := v.dispatch(ctx, cmds, args); {
	case err != nil:
		failLine(f, path, where, typ, err)
	case !ran:
		f.warn("procfile", "%s: %s prints its help and exits, which is all the dyno would do", where, said)
	default:
		f.ok("procfile", "%s: %s", where, said)
	}
}

// failLine says that a line of the Procfile at path would fail, and what
// that would do.
func failLine(f *findings, path, where, typ string, err error) {
	hint := fmt.Sprintf("fix the line in %s and deploy again: a dyno of %s would exit %d at each start, and Heroku would restart it with growing back-off", path, typ, exitCode(err))
	if typ == scaler.ReleaseType {
		hint = fmt.Sprintf("fix the line in %s: the release phase would fail, and with it every deploy", path)
	}
	f.failHint("procfile", fmt.Errorf("%s: %w", where, err), hint)
}

// scheduleTypes says which process types the schedule names, for the app
// whose Procfile this is, that the Procfile does not declare: once it is
// deployed, the app will not have them. Whose Procfile it is, is known in a
// dyno with runtime-dyno-metadata (HEROKU_APP_NAME); otherwise it is taken
// for the default app's, unless it declares none of their types (scaler's
// own app, which scales another).
func scheduleTypes(a *App, ch *checking, path string, declared []string) {
	if ch.schedule == nil {
		return
	}
	app := strings.TrimSpace(a.Getenv(envAppName))
	known := app != ""
	if !known {
		app = ch.defaultApp
	}
	named := ch.schedule.Types(app)
	if app == ch.defaultApp {
		named = append(named, ch.schedule.Types("")...)
	}
	named = slices.Compact(slices.Sorted(slices.Values(named)))
	missing := slices.DeleteFunc(slices.Clone(named), func(typ string) bool { return slices.Contains(declared, typ) })
	who := cmp.Or(app, "the default app")
	switch {
	case len(named) == 0:
	case len(missing) == 0:
		ch.f.ok("procfile", "%s declares every process type the schedule names for %s", path, who)
	case !known && len(missing) == len(named):
		ch.f.ok("procfile", "%s declares none of the process types the schedule names for %s (%s): taken for another app's Procfile, as in scaler's own app", path, who, strings.Join(missing, ", "))
	default:
		such := "type"
		if len(missing) > 1 {
			such = "types"
		}
		ch.f.warn("procfile", "the schedule names %s of %s, which %s does not declare (it declares %s): once it is deployed, %s will have no such %s",
			processTypes(missing), who, path, strings.Join(declared, ", "), who, such)
	}
}

// texts returns the words as sh passes them on.
func texts(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}
