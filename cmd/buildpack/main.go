// Command buildpack writes scaler's Heroku buildpack: a classic buildpack
// (bin/detect, bin/compile, bin/release, in this folder) that carries the
// linux/amd64 release binary, its SHA-256, its version and its LICENSE, as one tarball
// that any app adds with `heroku buildpacks:add --index 1 URL`. make release
// runs it:
//
//	go run ./cmd/buildpack -binary dist/release/scaler-linux-amd64 -version v1.2.0 -license LICENSE -o dist/release/scaler-buildpack.tgz
//
// The tarball is reproducible: its bytes depend only on the scripts, the
// binary, the version, the license and the Go release that compresses them (entries
// sorted by name, owned by 0:0 without names, all dated 2000-01-01, in a
// gzip stream that records no name and no time, as gzip -n writes). bin/compile runs with POSIX sh and coreutils only, and no network.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// scripts are the buildpack's executables, as bin/NAME.
//
//go:embed bin
var scripts embed.FS

// binaryName is the binary's name inside the buildpack, as in the release.
const binaryName = "scaler-linux-amd64"

// errUsage is a command line that cannot be run.
var errUsage = errors.New("usage: go run ./cmd/buildpack -binary FILE -version VERSION -license FILE -o FILE.tgz")

// epoch dates every entry of the tarball: a fixed time, so that the bytes do
// not depend on when or where the tarball was made, and a plausible one, so
// that tar does not warn about it when Heroku unpacks the buildpack.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// entry is one file of the tarball; a name ending in / is a folder.
type entry struct {
	name string
	mode int64
	body []byte
}

// contents returns the buildpack's entries, sorted by name.
func contents(binary []byte, version string, license []byte) ([]entry, error) {
	if version == "" || strings.ContainsFunc(version, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("version %q: want one word, e.g. v1.2.0", version)
	}
	sum := sha256.Sum256(binary)
	entries := []entry{
		{"bin/", 0o755, nil},
		{"LICENSE", 0o644, license},
		{"VERSION", 0o644, []byte(version + "\n")},
		{binaryName, 0o755, binary},
		{binaryName + ".sha256", 0o644, []byte(hex.EncodeToString(sum[:]) + "  " + binaryName + "\n")},
	}
	names, err := scripts.ReadDir("bin")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		body, err := scripts.ReadFile("bin/" + n.Name())
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{"bin/" + n.Name(), 0o755, body})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return entries, nil
}

// pack writes the buildpack that carries binary, as a gzipped tarball.
func pack(w io.Writer, binary []byte, version string, license []byte) error {
	entries, err := contents(binary, version, license)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{
			Name:     e.name,
			Mode:     e.mode,
			Size:     int64(len(e.body)),
			ModTime:  epoch,
			Typeflag: tar.TypeReg,
			Format:   tar.FormatUSTAR,
		}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// checkBinary refuses anything but a linux/amd64 executable: the one binary
// that runs in a Heroku dyno.
func checkBinary(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("%s: built for %v, want a linux/amd64 executable", path, f.Machine)
	}
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("buildpack", flag.ContinueOnError)
	binary := fs.String("binary", "", "the linux/amd64 release binary to carry (make release builds it)")
	version := fs.String("version", "", "the release's version, as the binary reports it")
	license := fs.String("license", "", "the license the binary is released under (the repository's LICENSE)")
	out := fs.String("o", "", "the tarball to write, e.g. dist/release/scaler-buildpack.tgz")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *binary == "" || *version == "" || *license == "" || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	if err := checkBinary(*binary); err != nil {
		return err
	}
	bin, err := os.ReadFile(*binary)
	if err != nil {
		return err
	}
	lic, err := os.ReadFile(*license)
	if err != nil {
		return err
	}
	var tgz bytes.Buffer
	if err := pack(&tgz, bin, *version, lic); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".buildpack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(tgz.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}

func main() {
	err := run(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "buildpack:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "buildpack:", err)
		os.Exit(1)
	}
}
