package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

func (a *App) newCompletionCommand() *command {
	return &command{listsAll: true, Command: &cli.Command{
		Name:      "completion",
		Usage:     "print shell completion for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Completes commands and flags. The script is static: completing never runs
scaler, and never reaches the API.

Examples:
   $ source <(scaler completion bash)
   $ scaler completion zsh > "${fpath[1]}/_scaler"
   $ scaler completion fish > ~/.config/fish/completions/scaler.fish`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return scaler.Errorf(scaler.ErrInvalid, "completion takes one shell: bash, zsh or fish")
			}
			switch shell := c.Args().First(); shell {
			case "bash":
				return writeBashCompletion(a.Stdout, c.App, false)
			case "zsh":
				return writeBashCompletion(a.Stdout, c.App, true)
			case "fish":
				script, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				_, err = io.WriteString(a.Stdout, script)
				return err
			default:
				return scaler.Errorf(scaler.ErrInvalid, "unknown shell %q: want bash, zsh or fish", shell)
			}
		},
	}}
}

// writeBashCompletion writes a static completion function: the commands,
// then each command's flags. zsh runs it through bashcompinit.
func writeBashCompletion(w io.Writer, app *cli.App, zsh bool) error {
	var b strings.Builder
	if zsh {
		b.WriteString("#compdef scaler\nautoload -U +X bashcompinit && bashcompinit\n")
	}
	var names []string
	for _, cmd := range app.VisibleCommands() {
		names = append(names, cmd.Names()...)
	}
	b.WriteString("_scaler() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n")
	b.WriteString("  if [ \"$COMP_CWORD\" -eq 1 ]; then\n")
	fmt.Fprintf(&b, "    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(append(names, "--help", "--version"), " "))
	b.WriteString("    return\n  fi\n  case \"${COMP_WORDS[1]}\" in\n")
	for _, cmd := range app.VisibleCommands() {
		var flags []string
		for _, f := range cmd.VisibleFlags() {
			for _, n := range f.Names() {
				if len(n) == 1 {
					flags = append(flags, "-"+n)
				} else {
					flags = append(flags, "--"+n)
				}
			}
		}
		slices.Sort(flags)
		fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(cmd.Names(), "|"), strings.Join(flags, " "))
	}
	b.WriteString("  esac\n}\ncomplete -o default -F _scaler scaler\n")
	_, err := io.WriteString(w, b.String())
	return err
}
