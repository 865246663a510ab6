package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"

	"github.com/scalerdev/scaler/scaler"
)

// command is one of scaler's commands, with the traits that decide how it
// is run, declared with it:
//
//	flags → an options struct → run(ctx, opts) error
//
// Each command's constructor (newUpCommand, newRunCommand, ...) builds its
// *cli.Command, whose action only reads the flags into the command's options
// and calls its run function, which does the work and only returns an
// error; Main reports it, once.
type command struct {
	*cli.Command
	// ownsSignals: the command handles SIGTERM and SIGINT itself, through
	// subscriptions of its own to the run's signal hub (run's job decides
	// what they mean for the job; done must finish the write that stops its
	// own dyno; emulator and demo stop their dynos first, faster at a
	// second one). Every other command stops at the first.
	ownsSignals bool
	// argsInPlace: the command's arguments stay as they are, its flags
	// first (run passes what follows to its job). Every other command takes
	// its flags anywhere among its arguments, as the heroku CLI does
	// (`scaler up worker=1 -a myapp`).
	argsInPlace bool
	// badArgs, when set, is what the command makes of a usage error that
	// arrange finds before urfave/cli parses, as its OnUsageError does of
	// one that urfave/cli finds (run's: its job did not start).
	badArgs func(ctx context.Context, err error) error
	// listsAll: the command lists scaler's commands (completion), which
	// are then all built for its run.
	listsAll bool

	// known is flagInfos' answer, computed once.
	known map[string]flagInfo
}

// commandNames are scaler's commands, in the order --help lists them.
var commandNames = [...]string{up, scale, down, "status", "run", "done", "apply", "plan", "check", "notify", "emulator", "demo", "completion"}

// newCommand builds the command called name (its name or an alias), or
// returns nil. A run builds the command it runs and no other (commandsFor):
// building them all, each with its flags, for urfave/cli to walk, was most
// of what scaler did before it sent anything.
func (a *App) newCommand(name string) *command {
	switch name {
	case up, scale, down:
		return a.newScaleCommand(name, nil)
	case "status", "ps":
		return a.newStatusCommand(nil)
	case "run":
		return a.newRunCommand(nil)
	case "done":
		return a.newDoneCommand(nil)
	case "apply":
		return a.newApplyCommand(nil)
	case "plan":
		return a.newPlanCommand(nil)
	case "check":
		return a.newCheckCommand(nil)
	case "notify":
		return a.newNotifyCommand(nil)
	case "emulator":
		return a.newEmulatorCommand(nil)
	case "demo":
		return a.newDemoCommand()
	case "completion":
		return a.newCompletionCommand()
	}
	return nil
}

// commands returns all of scaler's commands, in the order --help lists
// them.
func (a *App) commands() []*command {
	cmds := make([]*command, len(commandNames))
	for i, name := range commandNames {
		cmds[i] = a.newCommand(name)
	}
	return cmds
}

// commandsFor returns the commands a run of args needs, and the one it
// runs, which args[1] names: that command alone; all of them for a command
// that lists them (completion); and all of them, with no command to run
// (nil), when args[1] names none: scaler's help and --version, or an
// unknown command, which is told the one it most likely meant.
func (a *App) commandsFor(args []string) ([]*command, *command) {
	var cmd *command
	if len(args) > 1 {
		cmd = a.newCommand(args[1])
	}
	if cmd == nil || cmd.listsAll {
		cmds := a.commands()
		return cmds, find(cmds, args)
	}
	return []*command{cmd}, cmd
}

// dispatch runs args (scaler CMD ...) through cmds: the command's flags
// arranged (arrange), then parsed by urfave/cli, then its action; without
// a command of cmds, scaler's own flags arranged, then its help, or the
// error of an unknown command. Main runs scaler's commands through it, and
// scaler check the Procfile's calls of scaler, with commands that only
// validate (validators).
func (a *App) dispatch(ctx context.Context, cmds []*command, args []string) error {
	cmd := find(cmds, args)
	if cmd == nil {
		if err := arrangeRoot(cmds, args); err != nil {
			return err
		}
		return runCLI(ctx, a.cli(cmds), args)
	}
	args, err := cmd.arrange(args)
	if err != nil {
		if cmd.badArgs != nil {
			return cmd.badArgs(ctx, err)
		}
		return err
	}
	cmd.Flags = namedOnce(cmd.Flags)
	app := a.cli(cmds)
	if !cmd.listsAll {
		// scaler's own flags, --help and --version, come before a
		// command's name, never after it (arrange refuses them): urfave/cli
		// need not look for them, by their names (see namedOnce).
		app.HideHelp, app.HideVersion = true, true
	}
	return runCLI(ctx, app, args)
}

// cliTurn is held by a run of urfave/cli from its start to the start of its
// command's action or usage error (or to its end): urfave/cli v2 writes to
// package variables of its own as it parses (its help and version flags,
// its help command), so that two runs at once in one process, such as the
// tests' in-process commands, must parse in turn.
var cliTurn sync.Mutex

// runCLI runs args through app, parsing in turn with any other run of this
// process.
func runCLI(ctx context.Context, app *cli.App, args []string) error {
	cliTurn.Lock()
	parsed := sync.OnceFunc(cliTurn.Unlock)
	defer parsed()
	for _, c := range app.Commands {
		if action := c.Action; action != nil {
			c.Action = func(c *cli.Context) error {
				parsed()
				return action(c)
			}
		}
		if onError := c.OnUsageError; onError != nil {
			c.OnUsageError = func(c *cli.Context, err error, isSubcommand bool) error {
				parsed()
				return onError(c, err, isSubcommand)
			}
		}
	}
	return app.RunContext(ctx, args)
}

// find returns the command args name (args[1], by name or alias), or nil.
func find(cmds []*command, args []string) *command {
	if len(args) < 2 {
		return nil
	}
	i := slices.IndexFunc(cmds, func(c *command) bool { return c.HasName(args[1]) })
	if i < 0 {
		return nil
	}
	return cmds[i]
}

// wantsJSON reports whether args ask the command for JSON: its --json (or
// -json, or --json=true) among its flags, before any `--`, as urfave/cli
// reads it; never for a command without the flag.
func (c *command) wantsJSON(args []string) bool {
	if _, ok := c.flagInfos()[flagJSON]; !ok {
		return false
	}
	want := false
	for _, arg := range args[min(2, len(args)):] {
		if arg == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		if !strings.HasPrefix(arg, "-") || name != flagJSON {
			continue
		}
		want = true
		if hasValue {
			want, _ = strconv.ParseBool(value)
		}
	}
	return want
}

// flagInfo is what arrange knows of one of a command's flags.
type flagInfo struct {
	flag       cli.Flag
	canonical  string
	takesValue bool
	repeats    bool
}

// flagInfos returns the command's flags, --help included, by each of their
// names, computed once.
func (c *command) flagInfos() map[string]flagInfo {
	if c.known != nil {
		return c.known
	}
	known := map[string]flagInfo{}
	for _, f := range append(slices.Clone(c.Flags), cli.HelpFlag) {
		names, _ := flagNames(f)
		info := flagInfo{flag: f, canonical: names[0]}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			info.takesValue = d.TakesValue()
		}
		switch f.(type) {
		case *cli.StringSliceFlag, *cli.IntSliceFlag:
			info.repeats = true
		case *cli.GenericFlag:
			info.repeats = true // scaler's own repeatable flags (--env, --scheduler)
		}
		for _, n := range names {
			known[n] = info
		}
	}
	c.known = known
	return known
}

// ownArgs returns how many of args (what follows the command's name) are
// the command's own: all of them, but for a command that keeps its
// arguments in place (run), only its flags, up to `--` or its first other
// argument, where its job begins.
func (c *command) ownArgs(args []string) int {
	if !c.argsInPlace {
		return len(args)
	}
	known := c.flagInfos()
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return i + 1
		}
		if len(arg) < 2 || arg[0] != '-' {
			return i
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if known[name].takesValue && !hasValue {
			i++
		}
	}
	return len(args)
}

// arrange checks the command's flags in args (args[0] is the program,
// args[1] the command, unless the command is root) and returns args with
// the flags before the other arguments, for urfave/cli v2, which stops
// reading flags at the first argument that is not one. Everything after
// `--` stays in place, and so does everything of a command whose arguments
// stay in place (run's job), whose flags end at its first other argument.
//
// Each error is a usage error (scaler.ErrInvalid) decided here, by the
// flag's type, before urfave/cli parses anything: a flag the command does
// not have (with the one it most likely meant); a flag that takes a value
// and has none, so that it never takes the next argument's; a value its
// flag cannot take (a switch's other than true or false, a duration
// without its unit, a number that is not one); and, but for a command whose
// arguments stay in place, a flag given twice unless it may repeat, so
// that no value is silently dropped.
func (c *command) arrange(args []string) ([]string, error) {
	if c.SkipFlagParsing {
		return args, nil
	}
	known := c.flagInfos()
	start := 2
	if c.Name == "" {
		start = 1 // root: its flags come first
	}
	rest := args[min(start, len(args)):]
	var flags, others []string
	seen := map[string]string{}
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		if arg == "--" {
			others = append(others, rest[i:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			if c.argsInPlace {
				break
			}
			others = append(others, arg)
			continue
		}
		flags = append(flags, arg)
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		info, ok := known[name]
		if !ok {
			return nil, c.unknownFlag(name)
		}
		if prev, dup := seen[info.canonical]; dup && !info.repeats && !c.argsInPlace {
			return nil, scaler.Errorf(scaler.ErrInvalid, "flag --%s given twice (%s and %s)", info.canonical, prev, arg)
		}
		seen[info.canonical] = arg
		if info.takesValue && !hasValue {
			if i+1 >= len(rest) || rest[i+1] == "--" {
				return nil, scaler.Errorf(scaler.ErrInvalid, "flag %s needs a value (%s)", arg, flagExample(info.canonical))
			}
			i++
			flags = append(flags, rest[i])
			value, hasValue = rest[i], true
		}
		if hasValue {
			if err := c.badValue(info.flag, name, value); err != nil {
				return nil, err
			}
		}
	}
	if c.argsInPlace {
		return args, nil
	}
	out := append([]string{}, args[:2]...)
	if _, help := seen["help"]; help {
		// urfave/cli would read the first other argument as a help topic.
		return append(out, "--help"), nil
	}
	out = append(out, flags...)
	return append(out, others...), nil
}

// arrangeRoot refuses what comes before any command's name as scaler's
// own flags (root): a flag of the command named after it says where it
// goes (misplacedFlag).
func arrangeRoot(cmds []*command, args []string) error {
	if _, err := root().arrange(args); err != nil {
		if misplaced := misplacedFlag(cmds, args); misplaced != nil {
			return misplaced
		}
		return err
	}
	return nil
}

// misplacedFlag is the usage error of a command's flag given before the
// command's name, where only scaler's own flags go (scaler --grace 20s run
// -- JOB), or nil when args have none.
func misplacedFlag(cmds []*command, args []string) error {
	var flags []string
	for _, arg := range args[1:] {
		if arg == "--" {
			return nil
		}
		if strings.HasPrefix(arg, "-") {
			flags = append(flags, arg)
			continue
		}
		cmd := find(cmds, []string{"", arg})
		if cmd == nil {
			continue // a flag's value, or not a command at all
		}
		known := cmd.flagInfos()
		for _, flag := range flags {
			name, _, _ := strings.Cut(strings.TrimLeft(flag, "-"), "=")
			if _, ok := known[name]; ok {
				return scaler.Errorf(scaler.ErrInvalid, "flag %s is %s, and goes after its name: scaler %s %s ... (see scaler %s --help)", dashed(name), cmd.Name+"'s", cmd.Name, flag, cmd.Name)
			}
		}
		return nil
	}
	return nil
}

// root is scaler itself as a command, for its own flags (--help,
// --version), which come before any command's name.
func root() *command {
	return &command{Command: &cli.Command{Flags: []cli.Flag{cli.VersionFlag}}, argsInPlace: true}
}

// help is the command's help, and whose its flags are, for a usage error.
func (c *command) help() (help, whose string) {
	if c.Name == "" {
		return "scaler --help", "scaler's"
	}
	return "scaler " + c.Name + " --help", c.Name + "'s"
}

// unknownFlag is the usage error of a flag the command does not have, with
// the one it most likely meant (--help too, as urfave/cli offers it).
func (c *command) unknownFlag(name string) error {
	help, whose := c.help()
	what := fmt.Sprintf("flag %s is not one of %s", dashed(name), whose)
	var names []string
	for _, f := range append(slices.Clone(c.Flags), cli.HelpFlag) {
		if f != nil {
			names = append(names, f.Names()...)
		}
	}
	if near := nearest(name, names); near != "" {
		return scaler.Errorf(scaler.ErrInvalid, "%s: did you mean %s? (see %s)", what, dashed(near), help)
	}
	return scaler.Errorf(scaler.ErrInvalid, "%s (see %s)", what, help)
}

// badValue is the usage error of a value its flag cannot take, or nil: a
// switch takes true or false, a duration has its unit, a number is one. It
// reads each as urfave/cli (through package flag) will.
func (c *command) badValue(f cli.Flag, name, value string) error {
	help, _ := c.help()
	var err error
	switch f.(type) {
	case *cli.BoolFlag:
		if _, err := strconv.ParseBool(value); err != nil {
			return scaler.Errorf(scaler.ErrInvalid, "%s=%s: a switch takes no value, or true or false (see %s)", dashed(name), value, help)
		}
	case *cli.DurationFlag:
		if _, err := time.ParseDuration(value); err != nil {
			return scaler.Errorf(scaler.ErrInvalid, "%s %q is not a duration: write it with its unit, such as 30s, 5m or 1h30m", dashed(name), value)
		}
	case *cli.IntFlag:
		_, err = strconv.ParseInt(value, 0, strconv.IntSize)
	case *cli.Uint64Flag:
		_, err = strconv.ParseUint(value, 0, 64)
	case *cli.Float64Flag:
		_, err = strconv.ParseFloat(value, 64)
	}
	if err != nil {
		return scaler.Errorf(scaler.ErrInvalid, "%s %q is not a number (see %s)", dashed(name), value, help)
	}
	return nil
}

// nearest returns the word of known that typed was most likely meant as,
// or "" when none is close enough to be a typo of it. It is scaler's one
// measure of typos, for commands, flags and the domain's unknown words
// (sizes, once) alike: the Jaro-Winkler similarity, with the parameters by
// which urfave/cli ranks its own suggestions (0.7 and 4), in any case,
// and a floor, since the nearest word may be far (--force is no typo of
// --json). Typos score above 0.81 (rum for run 0.82, dry for dry-run
// 0.87, wiat for wait 0.93, onec for once 0.93, standrd-2x for
// Standard-2X 0.98, Mon-Fir for Mon-Fri 0.97); other words below (deploy
// for demo 0.80, cheque for check 0.79, force for grace 0.73, giant for
// Standard-2X 0.51).
func nearest(typed string, known []string) string {
	best, score := "", 0.0
	for _, k := range known {
		if s := smetrics.JaroWinkler(strings.ToLower(k), strings.ToLower(typed), 0.7, 4); s > score {
			best, score = k, s
		}
	}
	if score < 0.81 {
		return ""
	}
	return best
}

// meant adds to each error of err (one, or a list joined) that is about a
// word none of those its place takes ([scaler.UnknownError]) the word it
// was most likely meant as, by nearest: `unknown dyno size "standrd-2x"
// (known sizes: ...): did you mean Standard-2X?`.
func meant(err error) error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if list, ok := err.(interface{ Unwrap() []error }); ok {
		errs = slices.Clone(list.Unwrap())
	}
	said := false
	for i, e := range errs {
		var u *scaler.UnknownError
		if !errors.As(e, &u) {
			continue
		}
		if near := nearest(u.Word, u.Known); near != "" {
			errs[i], said = scaler.Errorf(scaler.ErrInvalid, "%w: did you mean %s?", e, near), true
		}
	}
	if !said {
		return err
	}
	return errors.Join(errs...)
}

// flagExample shows how a flag takes its value.
func flagExample(name string) string {
	switch name {
	case flagApp:
		return "--app myapp"
	case flagTimeout, flagGrace, flagFinishTimeout:
		return "--" + name + " 30s, 5m"
	case flagEvery:
		return "--every 10m, 1h"
	}
	return "--" + name + " VALUE"
}

// herokuName returns what scaler calls a command of the heroku CLI's
// that scaler has under another name, or "".
func herokuName(name string) string {
	switch name {
	case "ps:scale":
		return "scale"
	case "ps:stop":
		return "down"
	case "ps:restart":
		return "up --restart"
	case "ps:type":
		return "scale TYPE:SIZE"
	case "ps:autoscale":
		return "apply, with a schedule"
	case "version":
		return "--version"
	}
	return ""
}

// unknownCommand says that name is no command of scaler's, with the one it
// most likely meant.
func unknownCommand(cmds []*command, name string) error {
	if alias := herokuName(name); alias != "" {
		return scaler.Errorf(scaler.ErrInvalid, "unknown command %q: that is the heroku CLI's; scaler's is %s (see scaler --help)", name, alias)
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Names()...)
	}
	names = append(names, "help", "h") // urfave/cli's help command
	if near := nearest(name, names); near != "" {
		return scaler.Errorf(scaler.ErrInvalid, "unknown command %q: did you mean %s? (see scaler --help)", name, near)
	}
	return scaler.Errorf(scaler.ErrInvalid, "unknown command %q (see scaler --help)", name)
}

// usageError wraps as a usage error whatever urfave/cli refuses of what
// arrange let pass: arrange decides what it knows by the flags' types,
// before urfave/cli parses.
func usageError(c *cli.Context, err error, _ bool) error {
	cmd := root()
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		cmd = &command{Command: c.Command}
	}
	help, _ := cmd.help()
	return scaler.Errorf(scaler.ErrInvalid, "%v (see %s)", err, help)
}

// dashed writes a flag's name as it is typed: -a, --app.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
