# The one place that says how scaler binaries are built.
#
#   make build     the binary for this machine, as released, in bin/scaler
#                  (ignored by git; ./scaler is a source folder, the domain package)
#   make release   static, trimmed, reproducible binaries, the Heroku buildpack
#                  scaler-buildpack.tgz, and SHA-256 sums, in dist/release/
#   make bench     the whole-process benchmark: prints its report, and writes it
#                  to dist/bench/RESULTS.md (ignored by git); it compares the
#                  official CLI when heroku is on PATH or HEROKU_CLI=/path/to/heroku
#   make bench-report  the same, written to the tracked docs/bench-results.md
#   make test      the test suite (the same command as the README and CI)

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The commit, which --version reports; given to a build from a copy without
# .git (CI's reproducibility check) so that both builds say the same.
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# -trimpath and an empty build id make the build reproducible; -s -w drop
# the symbol tables. The tags leave out what scaler never uses:
# urfave_cli_no_docs, urfave/cli's man-page generator and its markdown
# parser; nethttpomithttp2, net/http's HTTP/2 client (scaler sends a handful
# of requests over HTTP/1.1, which the Platform API speaks). Together they
# take 0.9 MB off the binary. -gcflags=all=-l turns inlining off, which
# takes another 0.9 MB off and keeps every release binary under 10 MB,
# except in the runtime, its maps and internal/abi (the later -gcflags
# patterns, which win for their packages): without inlining there, the
# runtime's allocator, maps and type lookups cost scaler up worker=1 a
# third more instructions (3.5 million, from 2.7, counted by valgrind
# --tool=callgrind), for 37 KB of binary.
TAGS    := urfave_cli_no_docs,nethttpomithttp2
GCFLAGS := -gcflags=all=-l -gcflags=runtime= -gcflags=internal/runtime/maps= -gcflags=internal/abi=
FLAGS   := -trimpath -tags $(TAGS) $(GCFLAGS) -ldflags "-s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)"

# Release targets: static (no cgo), so that the binary runs in any dyno and
# on any Linux without a C library.
PLATFORMS := linux/amd64 linux/arm64 darwin/arm64
DIST      ?= dist/release

.PHONY: build test bench bench-report release

build:
	CGO_ENABLED=0 $(GO) build $(FLAGS) -o bin/scaler ./cmd/scaler

test:
	$(GO) test -race ./...

BENCH_OUT ?= dist/bench/RESULTS.md

bench:
	CGO_ENABLED=0 $(GO) build $(FLAGS) -o dist/bench/scaler ./cmd/scaler
	$(GO) run ./cmd/bench -bin dist/bench/scaler -out $(BENCH_OUT)

bench-report:
	$(MAKE) bench BENCH_OUT=docs/bench-results.md

# One binary per platform, named scaler-OS-ARCH; the Heroku buildpack that
# carries the linux/amd64 one (cmd/buildpack/main.go says how it is made
# reproducible); and the SHA-256 sums of them all.
release:
	rm -rf $(DIST) && mkdir -p $(DIST)
	for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(FLAGS) -o $(DIST)/scaler-$$os-$$arch ./cmd/scaler || exit 1; \
	done
	if [ -f $(DIST)/scaler-linux-amd64 ]; then \
	  $(GO) run ./cmd/buildpack -binary $(DIST)/scaler-linux-amd64 -version "$(VERSION)" -license LICENSE -o $(DIST)/scaler-buildpack.tgz; \
	fi
	cd $(DIST) && if command -v sha256sum >/dev/null; then sha256sum scaler-* > SHA256SUMS; else shasum -a 256 scaler-* > SHA256SUMS; fi
	ls -l $(DIST)
