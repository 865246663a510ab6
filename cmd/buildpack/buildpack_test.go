package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

var releaseDir = flag.String("release-dir", "", "check the buildpack that make release wrote there (.ci/run does)")

// maxTarball bounds the buildpack, as maxBinary in cmd/scaler bounds each
// release binary: under 10 MB.
const maxTarball = 10_000_000

var (
	buildOnce                           sync.Once
	builtDir, builtVersion, builtAnswer string
	builtErr                            error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// packed returns the buildpack as make release makes it, but for a binary
// that this test builds, so that `go test ./...` runs the scripts against a
// real binary in a real tarball (.ci/run also runs them on the release's,
// in TestReleaseBuildpack); and the binary, its version, and its whole
// answer to --version. It builds once. Heroku builds on linux/amd64, and the
// buildpack carries a linux/amd64 binary: elsewhere, the test is skipped.
func packed(t *testing.T) (tgz, binary []byte, version, answer string) {
	t.Helper()
	if runtime.GOOS+"/"+runtime.GOARCH != "linux/amd64" {
		t.Skipf("a Heroku build runs on linux/amd64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	buildOnce.Do(func() { builtDir, builtVersion, builtAnswer, builtErr = build() })
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	tgz, err := os.ReadFile(filepath.Join(builtDir, "scaler-buildpack.tgz"))
	if err == nil {
		binary, err = os.ReadFile(filepath.Join(builtDir, "scaler"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return tgz, binary, builtVersion, builtAnswer
}

// build builds cmd/scaler (without symbol tables, as released) and this
// command into a new folder, and runs this command as make release does.
func build() (dir, version, answer string, err error) {
	if dir, err = os.MkdirTemp("", "scaler-buildpack-"); err != nil {
		return "", "", "", err
	}
	scaler, buildpack := filepath.Join(dir, "scaler"), filepath.Join(dir, "buildpack")
	for _, args := range [][]string{
		{"go", "build", "-ldflags", "-s -w", "-o", scaler, "../scaler"},
		{"go", "build", "-o", buildpack, "."},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return dir, "", "", fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if answer, version, err = versionOf(scaler); err != nil {
		return dir, "", "", err
	}
	args := []string{"-binary", scaler, "-version", version, "-license", "../../LICENSE", "-o", filepath.Join(dir, "scaler-buildpack.tgz")}
	if out, err := exec.Command(buildpack, args...).CombinedOutput(); err != nil {
		return dir, "", "", fmt.Errorf("buildpack %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return dir, version, answer, nil
}

// versionOf runs a scaler binary with --version: its whole answer, and the
// version in it.
func versionOf(binary string) (answer, version string, err error) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s --version: %v", binary, err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 || f[0] != "scaler" || f[1] != "version" {
		return "", "", fmt.Errorf("%s --version = %q, want scaler version VERSION ...", binary, out)
	}
	return string(out), f[2], nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkTarball checks what the buildpack holds and how: the entries in
// order, owned by 0:0 without names, dated epoch, with their modes; the
// scripts of this folder; the binary, its SHA-256 and its version; the
// repository's LICENSE.
func checkTarball(t *testing.T, tgz, binary []byte, version string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || zr.Comment != "" || !zr.ModTime.IsZero() {
		t.Errorf("the gzip header records name %q, comment %q, time %v: want none", zr.Name, zr.Comment, zr.ModTime)
	}
	type meta struct {
		mode int64
		dir  bool
	}
	want := map[string]meta{
		"LICENSE": {0o644, false}, "VERSION": {0o644, false}, "bin/": {0o755, true}, "bin/compile": {0o755, false}, "bin/detect": {0o755, false},
		"bin/release": {0o755, false}, binaryName: {0o755, false}, binaryName + ".sha256": {0o644, false},
	}
	files := map[string][]byte{}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		m, ok := want[h.Name]
		switch {
		case !ok:
			t.Errorf("the tarball holds %s, which a buildpack of scaler does not", h.Name)
		case h.Mode != m.mode || (h.Typeflag == tar.TypeDir) != m.dir || (!m.dir && h.Typeflag != tar.TypeReg):
			t.Errorf("%s: mode %o, type %q; want %o, a folder: %v", h.Name, h.Mode, h.Typeflag, m.mode, m.dir)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: owner %d:%d (%q:%q), time %v; want 0:0 without names, %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, epoch)
		}
		if files[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.IsSorted(names) || !slices.Equal(slices.Sorted(maps.Keys(want)), names) {
		t.Errorf("the tarball holds %v, want %v in this order", names, slices.Sorted(maps.Keys(want)))
	}
	for _, script := range []string{"bin/compile", "bin/detect", "bin/release"} {
		if src, _ := os.ReadFile(script); !bytes.Equal(files[script], src) {
			t.Errorf("the tarball's %s is not this folder's", script)
		}
	}
	if src, _ := os.ReadFile("../../LICENSE"); len(src) == 0 || !bytes.Equal(files["LICENSE"], src) {
		t.Errorf("the tarball's LICENSE is not the repository's")
	}
	if !bytes.Equal(files[binaryName], binary) {
		t.Errorf("the tarball's %s (%d bytes) is not the binary (%d bytes)", binaryName, len(files[binaryName]), len(binary))
	}
	if got, want := string(files[binaryName+".sha256"]), sha256hex(binary)+"  "+binaryName+"\n"; got != want {
		t.Errorf("%s.sha256 = %q, want %q", binaryName, got, want)
	}
	if got := string(files["VERSION"]); got != version+"\n" {
		t.Errorf("VERSION = %q, want %q", got, version+"\n")
	}
}

// heroku is a build as Heroku's build system runs one: the buildpack
// unpacked from its tarball with tar, a fresh build folder holding the app,
// an empty cache folder, and a folder of read-only files, one per config
// var. The paths hold spaces, to catch a missing quote. The scripts run with
// a PATH of only the commands a buildpack of scaler may use (coreutils and
// sha256sum): no curl, no wget, nothing that reaches the network. As root
// (CI runs as root) read-only modes do not stop a write, so the tests also
// check that the env and cache folders are unchanged.
type heroku struct {
	bp, build, cache, env string
	path                  string
	envFiles              map[string]string
}

// tools is what bin/detect, bin/compile and bin/release may run, besides
// sh's built-ins.
var tools = []string{"cat", "chmod", "cp", "dirname", "mkdir", "mv", "rm", "sha256sum"}

func newHeroku(t *testing.T, tgz []byte, app map[string]string) *heroku {
	t.Helper()
	root := filepath.Join(t.TempDir(), "a build")
	h := &heroku{
		bp: filepath.Join(root, "buildpacks", "scaler buildpack"), build: filepath.Join(root, "build 1"),
		cache: filepath.Join(root, "cache"), env: filepath.Join(root, "env"),
		envFiles: map[string]string{"HEROKU_API_KEY": "HRKU-buildpack-test-token", "HEROKU_APP_NAME": "my-app", "SCALER_SCHEDULE": "web default 1\nweb Mon 08:00-20:00 2\n"},
	}
	for _, d := range []string{h.bp, h.build, h.cache, h.env} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.path = toolsDir(t, tools...)

	// tar unpacks the buildpack, as Heroku does, and must not warn.
	archive := filepath.Join(root, "scaler-buildpack.tgz")
	if err := os.WriteFile(archive, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xzf", archive, "-C", h.bp).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("tar -xzf: %v\n%s", err, out)
	}
	for name, body := range app {
		writeFile(t, filepath.Join(h.build, name), body)
	}
	for name, value := range h.envFiles {
		if err := os.WriteFile(filepath.Join(h.env, name), []byte(value), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(h.env, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(h.env, 0o755) })
	return h
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// toolsDir returns a folder that holds links to the named commands of this
// machine, and nothing else: a PATH.
func toolsDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s is not installed: %v", name, err)
		}
		if err := os.Symlink(path, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs one of the buildpack's scripts as Heroku does: by its path, with
// the folders as arguments, from another folder, in a bare environment
// (config vars are in the env folder, not in the environment).
func (h *heroku) run(t *testing.T, script string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(h.bp, "bin", script), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + h.path, "STACK=heroku-24", "HOME=" + t.TempDir(), "SOURCE_VERSION=0123456789abcdef"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", script, err)
	}
	r := result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
	if strings.Contains(r.stdout+r.stderr, h.envFiles["HEROKU_API_KEY"]) {
		t.Errorf("bin/%s printed the app's token:\n%s", script, r)
	}
	return r
}

func (h *heroku) compile(t *testing.T) result {
	t.Helper()
	return h.run(t, "compile", h.build, h.cache, h.env)
}

// snapshot returns every file under dir with its mode and content, links
// with their targets.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			files[rel] = "-> " + target
			return err
		case d.IsDir():
			files[rel] = info.Mode().String()
		default:
			b, err := os.ReadFile(path)
			files[rel] = info.Mode().String() + " " + sha256hex(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// rubyApp is the app that the deployment guide builds, from nothing, in
// "A Ruby app, from nothing to a nightly job": the files it writes with
// cat > NAME <<'EOF'.
func rubyApp(t *testing.T) map[string]string {
	t.Helper()
	guide, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(guide), "### A Ruby app, from nothing to a nightly job")
	section, _, _ = strings.Cut(section, "\n## ")
	app := map[string]string{}
	for _, m := range regexp.MustCompile(`(?ms)^cat > (\S+) <<'EOF'\n(.*?)^EOF$`).FindAllStringSubmatch(section, -1) {
		app[m[1]] = m[2]
	}
	if app["Gemfile"] == "" || app["Rakefile"] == "" || !strings.Contains(app["Procfile"], "bin/scaler run -- ") {
		t.Fatalf("the guide's Ruby app has no Gemfile, Rakefile and Procfile that runs bin/scaler: %q", app)
	}
	return app
}

// The whole build, as Heroku runs it, with the buildpack that make release
// writes for the binary this test builds: detect names it, compile installs
// bin/scaler and touches nothing else, release declares nothing, and the
// installed bin/scaler runs.
func TestBuildpackOnHerokusTerms(t *testing.T) {
	t.Parallel()
	tgz, binary, version, answer := packed(t)
	checkTarball(t, tgz, binary, version)
	herokuBuild(t, tgz, binary, version, answer)
}

// herokuBuild runs a build of the guide's Ruby app with the buildpack tgz, which
// carries binary at version; answer is the binary's --version.
func herokuBuild(t *testing.T, tgz, binary []byte, version, answer string) {
	t.Helper()
	h := newHeroku(t, tgz, rubyApp(t))
	appBefore, envBefore, cacheBefore := snapshot(t, h.build), snapshot(t, h.env), snapshot(t, h.cache)

	if r := h.run(t, "detect", h.build); r.code != 0 || r.stdout != "scaler\n" || r.stderr != "" {
		t.Errorf("bin/detect: want exit 0 and the buildpack's name:\n%s", r)
	}
	r := h.compile(t)
	want := fmt.Sprintf("-----> Installing scaler %s (sha256 %s)\n       bin/scaler: %s", version, sha256hex(binary), answer)
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("bin/compile: want exit 0 and\n%s\ngot:\n%s", want, r)
	}
	installed := filepath.Join(h.build, "bin", "scaler")
	if b, err := os.ReadFile(installed); err != nil || !bytes.Equal(b, binary) {
		t.Errorf("bin/scaler is not the buildpack's binary (%v)", err)
	}
	if info, err := os.Stat(installed); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("bin/scaler: %v, %v; want mode -rwxr-xr-x", info.Mode(), err)
	}
	appAfter := snapshot(t, h.build)
	delete(appAfter, "bin")
	delete(appAfter, filepath.Join("bin", "scaler"))
	if !maps.Equal(appBefore, appAfter) {
		t.Errorf("bin/compile changed the app beyond bin/scaler:\nbefore %v\nafter  %v", appBefore, appAfter)
	}
	if after := snapshot(t, h.env); !maps.Equal(envBefore, after) {
		t.Errorf("bin/compile changed the env folder:\nbefore %v\nafter  %v", envBefore, after)
	}
	if after := snapshot(t, h.cache); !maps.Equal(cacheBefore, after) {
		t.Errorf("bin/compile wrote in the cache folder, which it does not use:\nbefore %v\nafter  %v", cacheBefore, after)
	}
	if r := h.run(t, "release", h.build); r.code != 0 || r.stdout != "---\naddons: []\ndefault_process_types: {}\n" || r.stderr != "" {
		t.Errorf("bin/release: want exit 0 and an empty YAML hash:\n%s", r)
	}

	// In a dyno, /app/bin is on PATH: bin/scaler is what runs.
	cmd := exec.Command(installed, "--version")
	cmd.Env = []string{"PATH=" + filepath.Join(h.build, "bin")}
	if out, err := cmd.Output(); err != nil || string(out) != answer {
		t.Errorf("the installed bin/scaler --version = %q (%v), want %q", out, err, answer)
	}
}

// The deployment guide shows what bin/compile prints: each line of its
// block, with the release's version for vX.Y.Z and where "…" stands for
// what varies (the sum, the commit).
func TestGuideShowsWhatCompilePrints(t *testing.T) {
	t.Parallel()
	tgz, _, version, _ := packed(t)
	guide, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(guide), "<!-- what bin/compile prints -->\n```text\n")
	if block, _, ok = strings.Cut(block, "```"); !ok || block == "" {
		t.Fatal("the guide has no text block after <!-- what bin/compile prints -->")
	}
	r := newHeroku(t, tgz, rubyApp(t)).compile(t)
	printed := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	shown := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	if len(shown) != len(printed) {
		t.Fatalf("the guide shows %d lines, bin/compile prints %d:\n%s", len(shown), len(printed), r)
	}
	for i, line := range shown {
		rest := printed[i]
		for j, part := range strings.Split(strings.ReplaceAll(line, "vX.Y.Z", version), "…") {
			k := strings.Index(rest, part)
			if k < 0 || (j == 0 && k != 0) {
				t.Errorf("the guide shows %q, bin/compile prints %q", line, printed[i])
				break
			}
			rest = rest[k+len(part):]
		}
	}
}

// An app that has its own bin/scaler gets the buildpack's, and a warning
// that says what was replaced and how to keep its own; a bin/scaler that
// is a folder, or a bin that is a file, fails the build untouched.
func TestCompileNeverReplacesTheAppsScalerSilently(t *testing.T) {
	t.Parallel()
	tgz, binary, version, _ := packed(t)
	theirs := "#!/bin/sh\necho the app's own\n"
	replaced := "replacing it with scaler " + version + " from this buildpack."
	advice := "Delete bin/scaler from the app's repository, or remove this buildpack to keep the app's own."
	for _, tc := range []struct {
		name   string
		app    func(t *testing.T, build string)
		code   int
		stderr []string // lines, each prefixed with " !     "
		stdout string   // a line compile prints besides the usual
	}{
		{"a file", func(t *testing.T, build string) { writeFile(t, filepath.Join(build, "bin", "scaler"), theirs) },
			0, []string{"The app has its own bin/scaler (sha256 " + sha256hex([]byte(theirs)) + "): " + replaced, advice}, ""},
		{"a link to a file", func(t *testing.T, build string) {
			writeFile(t, filepath.Join(build, "vendor", "scaler"), theirs)
			os.Mkdir(filepath.Join(build, "bin"), 0o755)
			os.Symlink("../vendor/scaler", filepath.Join(build, "bin", "scaler"))
		}, 0, []string{"The app's bin/scaler is a symbolic link: " + replaced, advice}, ""},
		{"a link to a folder", func(t *testing.T, build string) {
			writeFile(t, filepath.Join(build, "vendor", "README"), "tools\n")
			os.Mkdir(filepath.Join(build, "bin"), 0o755)
			os.Symlink("../vendor", filepath.Join(build, "bin", "scaler"))
		}, 0, []string{"The app's bin/scaler is a symbolic link: " + replaced, advice}, ""},
		{"the same binary", func(t *testing.T, build string) {
			writeFile(t, filepath.Join(build, "bin", "scaler"), string(binary))
		}, 0, nil, "       bin/scaler was already this binary\n"},
		{"a folder", func(t *testing.T, build string) {
			writeFile(t, filepath.Join(build, "bin", "scaler", "README"), "mine\n")
		},
			1, []string{"The app's bin/scaler is a directory: scaler cannot be installed there. Rename it."}, ""},
		{"bin is a file", func(t *testing.T, build string) { writeFile(t, filepath.Join(build, "bin"), theirs) },
			1, []string{"The app's bin is a file, not a directory: scaler cannot be installed as bin/scaler."}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHeroku(t, tgz, rubyApp(t))
			tc.app(t, h.build)
			before := snapshot(t, h.build)
			r := h.compile(t)
			var stderr strings.Builder
			for _, l := range tc.stderr {
				stderr.WriteString(" !     " + l + "\n")
			}
			if r.code != tc.code || r.stderr != stderr.String() || !strings.Contains(r.stdout, tc.stdout) {
				t.Fatalf("want exit %d, stderr\n%s\ngot:\n%s", tc.code, stderr.String(), r)
			}
			after := snapshot(t, h.build)
			if tc.code != 0 {
				if !maps.Equal(before, after) {
					t.Errorf("a failed build changed the app:\nbefore %v\nafter  %v", before, after)
				}
				return
			}
			if b, err := os.ReadFile(filepath.Join(h.build, "bin", "scaler")); err != nil || !bytes.Equal(b, binary) {
				t.Errorf("bin/scaler is not the buildpack's binary (%v)", err)
			}
			// What a link pointed to is left as it was: nothing is written
			// through it, nor moved into it.
			for name, v := range before {
				if strings.HasPrefix(name, "vendor") && after[name] != v {
					t.Errorf("%s: %s, was %s", name, after[name], v)
				}
			}
			if len(after) != len(before)+boolInt(before[filepath.Join("bin", "scaler")] == "") {
				t.Errorf("files before %v\nafter %v", before, after)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A binary that is not the one the buildpack was made with fails the build
// and installs nothing; so does a buildpack without its sum or version.
func TestCompileRefusesABinaryThatIsNotTheOne(t *testing.T) {
	t.Parallel()
	tgz, binary, version, _ := packed(t)
	damage := func(h *heroku, name string, f func([]byte) []byte) {
		path := filepath.Join(h.bp, name)
		b, err := os.ReadFile(path)
		if err == nil {
			err = os.WriteFile(path, f(b), 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	altered := slices.Clone(binary)
	altered[len(altered)/2] ^= 1
	damaged := "This buildpack's VERSION or " + binaryName + ".sha256 is not as it was made: it is damaged. Nothing was installed."
	for _, tc := range []struct {
		name   string
		damage func(h *heroku)
		stderr []string
	}{
		{"an altered binary", func(h *heroku) { damage(h, binaryName, func([]byte) []byte { return altered }) }, []string{
			"scaler's SHA-256 is not the one this buildpack was made with:",
			"  want " + sha256hex(binary),
			"  got  " + sha256hex(altered),
			"The buildpack is damaged or was altered. Nothing was installed.",
			"Compare scaler-buildpack.tgz with the SHA256SUMS of its release.",
		}},
		{"a truncated binary", func(h *heroku) { damage(h, binaryName, func(b []byte) []byte { return b[:len(b)/2] }) }, []string{
			"scaler's SHA-256 is not the one this buildpack was made with:",
			"  want " + sha256hex(binary),
			"  got  " + sha256hex(binary[:len(binary)/2]),
			"The buildpack is damaged or was altered. Nothing was installed.",
			"Compare scaler-buildpack.tgz with the SHA256SUMS of its release.",
		}},
		{"no sum", func(h *heroku) { os.Remove(filepath.Join(h.bp, binaryName+".sha256")) }, []string{
			"This buildpack has no " + binaryName + ".sha256: it is damaged. Nothing was installed.",
		}},
		{"a garbled sum", func(h *heroku) { damage(h, binaryName+".sha256", bytes.ToUpper) }, []string{damaged}},
		{"an empty version", func(h *heroku) { damage(h, "VERSION", func([]byte) []byte { return nil }) }, []string{damaged}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHeroku(t, tgz, rubyApp(t))
			writeFile(t, filepath.Join(h.build, "bin", "scaler"), "#!/bin/sh\necho the app's own\n")
			tc.damage(h)
			before := snapshot(t, h.build)
			r := h.compile(t)
			var stderr strings.Builder
			for _, l := range tc.stderr {
				stderr.WriteString(" !     " + l + "\n")
			}
			if r.code != 1 || r.stderr != stderr.String() {
				t.Errorf("want exit 1 and\n%s\ngot:\n%s", stderr.String(), r)
			}
			if strings.HasPrefix(tc.name, "an altered") && r.stdout != fmt.Sprintf("-----> Installing scaler %s (sha256 %s)\n", version, sha256hex(binary)) {
				t.Errorf("stdout:\n%s", r.stdout)
			}
			if after := snapshot(t, h.build); !maps.Equal(before, after) {
				t.Errorf("a failed build changed the app (the app's own bin/scaler must stay, and no temporary file):\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// Without sha256sum, compile checks the sum with shasum -a 256; without
// either, it fails, saying why, rather than install an unchecked binary.
func TestCompileChecksTheSumWithShasumOrNotAtAll(t *testing.T) {
	t.Parallel()
	tgz, binary, _, _ := packed(t)
	others := slices.DeleteFunc(slices.Clone(tools), func(s string) bool { return s == "sha256sum" })
	t.Run("shasum", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("shasum"); err != nil {
			t.Skip("shasum is not installed here")
		}
		h := newHeroku(t, tgz, rubyApp(t))
		h.path = toolsDir(t, append(others, "shasum")...)
		if r := h.compile(t); r.code != 0 || r.stderr != "" {
			t.Errorf("bin/compile with shasum:\n%s", r)
		}
		if b, _ := os.ReadFile(filepath.Join(h.build, "bin", "scaler")); !bytes.Equal(b, binary) {
			t.Error("bin/scaler is not the buildpack's binary")
		}
	})
	t.Run("neither", func(t *testing.T) {
		t.Parallel()
		h := newHeroku(t, tgz, rubyApp(t))
		h.path = toolsDir(t, others...)
		before := snapshot(t, h.build)
		r := h.compile(t)
		if want := " !     Neither sha256sum nor shasum is installed: scaler's SHA-256 cannot be checked.\n"; r.code != 1 || r.stderr != want {
			t.Errorf("want exit 1 and %q, got:\n%s", want, r)
		}
		if after := snapshot(t, h.build); !maps.Equal(before, after) {
			t.Errorf("a failed build changed the app:\nbefore %v\nafter  %v", before, after)
		}
	})
}

// The buildpack that make release wrote: under 10 MB, holding what it
// should, as it should (TestBuildpackOnHerokusTerms's checks), with the
// release's linux/amd64 binary and its sum as SHA256SUMS gives it; covered
// by SHA256SUMS; and a whole build with it. .ci/run runs make release, then
// this test on its output, and checks that a second build from another
// folder gives the same bytes.
func TestReleaseBuildpack(t *testing.T) {
	t.Parallel()
	if *releaseDir == "" {
		t.Skip("needs -release-dir: .ci/run runs make release, then this test")
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(*releaseDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tgz, binary, sums := read("scaler-buildpack.tgz"), read(binaryName), string(read("SHA256SUMS"))
	if len(tgz) >= maxTarball {
		t.Errorf("scaler-buildpack.tgz is %d bytes, want under %d", len(tgz), maxTarball)
	}
	for name, b := range map[string][]byte{"scaler-buildpack.tgz": tgz, binaryName: binary} {
		if !strings.Contains(sums, sha256hex(b)+"  "+name+"\n") {
			t.Errorf("SHA256SUMS has no right sum for %s:\n%s", name, sums)
		}
	}
	if runtime.GOOS+"/"+runtime.GOARCH != "linux/amd64" {
		t.Skipf("the release's %s does not run on %s/%s", binaryName, runtime.GOOS, runtime.GOARCH)
	}
	answer, version, err := versionOf(filepath.Join(*releaseDir, binaryName))
	if err != nil {
		t.Fatal(err)
	}
	checkTarball(t, tgz, binary, version)
	herokuBuild(t, tgz, binary, version, answer)
}

func TestPackRefusesAVersionThatIsNotOneWord(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "v1 2", "v1\n", "v1\t"} {
		if err := pack(io.Discard, []byte("binary"), v, []byte("MIT")); err == nil {
			t.Errorf("pack(version %q) = nil, want an error", v)
		}
	}
}

// make release must not carry, by mistake, a binary that cannot run in a
// dyno.
func TestBuildpackRefusesABinaryThatIsNotForLinuxAMD64(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "scaler")
	writeFile(t, script, "#!/bin/sh\necho scaler version v1\n")
	out := filepath.Join(t.TempDir(), "scaler-buildpack.tgz")
	err := run([]string{"-binary", script, "-version", "v1", "-license", "../../LICENSE", "-o", out})
	if err == nil || !strings.Contains(err.Error(), "not a Linux executable") {
		t.Errorf("buildpack -binary (a script) = %v, want an error saying it is not a Linux executable", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("it wrote %s anyway", out)
	}
}
