package scaler

import (
	"os/exec"
	"strings"
	"testing"
)

// The house layout: the domain packages import no adapter; heroku-go is
// imported only under platform/, urfave/cli only under cmd/.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/scalerdev/scaler/"
	allowed := map[string]string{
		"github.com/heroku/heroku-go/": module + "platform",
		"github.com/urfave/cli/":       module + "cmd/",
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		for _, imp := range strings.Fields(imports) {
			for dep, home := range allowed {
				if strings.HasPrefix(imp, dep) && !strings.HasPrefix(pkg, home) {
					t.Errorf("%s imports %s, which belongs only under %s", pkg, imp, home)
				}
			}
		}
	}
	for _, domain := range []string{module + "scaler", module + "schedules"} {
		deps, err := exec.Command("go", "list", "-deps", domain).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", domain, err)
		}
		for _, d := range strings.Fields(string(deps)) {
			if strings.Contains(d, ".") && !strings.HasPrefix(d, module) && !strings.HasPrefix(d, "vendor/") {
				t.Errorf("%s depends on %s: the domain uses the standard library only", domain, d)
			}
		}
	}
}
