# The one place that says how scaler binaries are built.
#
#   make build     the binary for this machine, as released, in ./scaler
#   make release   static, trimmed, reproducible binaries and SHA-256 sums in dist/
#   make bench     the whole-process benchmark, written to bench/RESULTS.md
#   make test      the test suite (the same command as the README and CI)

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# -trimpath and an empty build id make the build reproducible; -s -w drop
# the symbol tables; urfave_cli_no_docs leaves out urfave/cli's man-page
# generator (and its markdown parser), which scaler never uses.
FLAGS   := -trimpath -tags urfave_cli_no_docs -ldflags "-s -w -buildid= -X main.version=$(VERSION)"

.PHONY: build test bench

build:
	CGO_ENABLED=0 $(GO) build $(FLAGS) -o scaler ./cmd/scaler

test:
	$(GO) test -race ./...

bench:
	CGO_ENABLED=0 $(GO) build $(FLAGS) -o dist/bench/scaler ./cmd/scaler
	$(GO) run ./bench -bin dist/bench/scaler
