package scaler

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The house layout: every package is under cmd/, scaler/, platform/ or
// schedules/; the domain packages import no adapter; heroku-go is imported
// only by platform itself (not by the emulator or the webhook sender beside
// it), urfave/cli only under cmd/.
func TestImportDirection(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/scalerdev/scaler/"
	// Where each adapter's library may be imported: a package path, or a
	// tree when it ends in a slash.
	allowed := map[string]string{
		"github.com/heroku/heroku-go/": module + "platform",
		"github.com/urfave/cli/":       module + "cmd/",
	}
	homes := []string{module + "cmd/", module + "scaler", module + "platform", module + "schedules"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if !slices.ContainsFunc(homes, func(h string) bool {
			return pkg == strings.TrimSuffix(h, "/") || strings.HasPrefix(pkg, strings.TrimSuffix(h, "/")+"/")
		}) {
			t.Errorf("package %s is outside cmd/, scaler/, platform/ and schedules/", pkg)
		}
		for _, imp := range strings.Fields(imports) {
			for dep, home := range allowed {
				within := pkg == home || strings.HasSuffix(home, "/") && strings.HasPrefix(pkg, home)
				if strings.HasPrefix(imp, dep) && !within {
					t.Errorf("%s imports %s, which belongs only in %s", pkg, imp, home)
				}
			}
		}
	}
	// The domain uses the standard library only (schedules the scaler
	// domain too); the webhook sender the standard library and the domain.
	// golang.org/x/sys counts as standard: it is the Go project's successor
	// to package syscall, which is frozen (the job's terminal needs its
	// ioctls).
	const sys = "golang.org/x/sys/"
	for pkg, may := range map[string][]string{
		module + "scaler":           {module + "scaler"},
		module + "schedules":        {module + "schedules", module + "scaler"},
		module + "platform/webhook": {module + "platform/webhook", module + "scaler"},
	} {
		deps, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(deps)) {
			if std := !strings.Contains(strings.Split(d, "/")[0], "."); !std && !slices.Contains(may, d) && !strings.HasPrefix(d, sys) {
				t.Errorf("%s depends on %s: it may use the standard library, %s and %s only", pkg, d, sys, strings.Join(may, ", "))
			}
		}
	}
}
