# cometstream: a CometBFT node with the Planetmint WebSocket Event Stream API.
#
#   make run    initialise ~/.cometstream on first run, start the node, stream on
#   make test   every test (installs what the tests need first), the local
#               testnet suite included (make test-testnet alone)
#   make proto  regenerate the Go code of proto/*.proto (committed)
#   make bench  benchmarks: writes docs/benchmarks.md and its plots (~15 min)

GO        ?= go
# The module's go.mod requires the oldest CometBFT line we support (v0.38),
# so that an app importing our packages keeps its own CometBFT. The node
# binary and the full suite use the newest line through -modfile; the
# library is tested again on every line (test-lines).
NODE_MOD  := -modfile=lines/cometbft-v0.40.mod
BIN       := bin/cometstream
NODE_HOME ?= $(HOME)/.cometstream
# Root needs no sudo (CI and these machines run as root).
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test test-testnet test-short test-lines mod-check tidy bench bench-smoke deps js-deps screenshot fmt-check vet fuzz clean proto proto-check proto-tools

all: build

build:
	$(GO) build $(NODE_MOD) -buildvcs=auto -o $(BIN) ./cmd/cometstream

run: build
	@if [ ! -f "$(NODE_HOME)/config/config.toml" ]; then \
		./$(BIN) init --home "$(NODE_HOME)" --stream.enable; \
	fi
	./$(BIN) start --home "$(NODE_HOME)" --stream.enable

# deps installs what the tests use outside Go: Debian's python3-websockets,
# the non-Go client of the end-to-end test (run with /usr/bin/python3),
# Debian's chromium, the browser the live page's tests drive headless, and
# the JavaScript driver of the interoperability test (js-deps).
deps: js-deps
	@/usr/bin/python3 -c 'import websockets' 2>/dev/null || { \
		echo "installing python3-websockets"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-websockets; }
	@command -v chromium >/dev/null || { \
		echo "installing chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# screenshot remakes docs/explorer.png, the live page as the browser test
# sees it (TestExplorerLivePage, which otherwise saves it to a temporary
# directory).
screenshot: deps
	UPDATE_SCREENSHOT=1 $(GO) test $(NODE_MOD) -count=1 -run '^TestExplorerLivePage$$' ./integration/

# js-deps installs bigchaindb-driver 4.3.0 and crypto-conditions 2.2.1, as
# pinned by integration/js/package-lock.json, into integration/js/node_modules
# (git-ignored), with Node.js and npm from Debian if they are missing. Install
# scripts are skipped: the only one builds an optional native ed25519 addon,
# and crypto-conditions falls back to tweetnacl without it.
JS_DIR := integration/js
js-deps: $(JS_DIR)/node_modules/.package-lock.json

$(JS_DIR)/node_modules/.package-lock.json: $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "installing nodejs and npm"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	cd $(JS_DIR) && npm ci --ignore-scripts --no-audit --no-fund

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# vet covers every package on the node's line and on go.mod's (v0.38):
# the node binary is built on v0.40, but nothing may stop building on the
# oldest supported line.
vet:
	$(GO) vet $(NODE_MOD) ./...
	$(GO) vet ./...

test: deps fmt-check mod-check vet lint proto-check test-lines test-cosmos test-testnet bench-smoke
	$(GO) test $(NODE_MOD) -race -count=1 -timeout 15m ./...

# The CometBFT lines an embedding app may be on: each has a go.mod of its
# own (the module's go.mod is v0.38's) pinned to the line's newest patch.
LINES     := lines/cometbft-v0.39.mod lines/cometbft-v0.40.mod
# The packages an app embeds (and their tests); the node, its ledger and
# the benchmarks run on v0.40 only.
LIB_PKGS  := . ./abci ./events ./streamsvc ./wire ./client/... ./tlsreload ./examples/...

# test-lines vets and tests the library against v0.38 (go.mod) and v0.39;
# v0.40 is the main run of make test.
test-lines:
	$(GO) vet $(LIB_PKGS)
	$(GO) test -race -count=1 -timeout 10m $(LIB_PKGS)
	$(GO) vet -modfile=lines/cometbft-v0.39.mod $(LIB_PKGS)
	$(GO) test -modfile=lines/cometbft-v0.39.mod -race -count=1 -timeout 10m $(LIB_PKGS)

# lint runs staticcheck and errcheck, pinned and installed into .tools/bin
# like protoc-gen-gocosmos, on the v0.40 line (scripts/lint.sh says how);
# errcheck skips tests and the fmt.Fprint* family (.errcheck-excludes),
# and every other dropped error is handled or discarded with `_ =` and a
# comment.
STATICCHECK_VERSION := v0.8.2
ERRCHECK_VERSION    := v1.30.0
lint:
	@$(GO) version -m $(TOOLS_BIN)/staticcheck 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+honnef.co/go/tools[[:space:]]+$(STATICCHECK_VERSION)[[:space:]]" || { \
		echo "installing staticcheck $(STATICCHECK_VERSION)"; \
		GOBIN=$(TOOLS_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); }
	@$(GO) version -m $(TOOLS_BIN)/errcheck 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/kisielk/errcheck[[:space:]]+$(ERRCHECK_VERSION)[[:space:]]" || { \
		echo "installing errcheck $(ERRCHECK_VERSION)"; \
		GOBIN=$(TOOLS_BIN) $(GO) install github.com/kisielk/errcheck@$(ERRCHECK_VERSION); }
	@STATICCHECK=$(TOOLS_BIN)/staticcheck ERRCHECK=$(TOOLS_BIN)/errcheck scripts/lint.sh

# test-cosmos vets and tests the Cosmos SDK adapter, a module of its own
# (cosmos/go.mod, the SDK's v0.53 line) that the main module's ./... leaves
# out; its go.mod must be tidy too, and it is linted like the main module. Its examples/chaind tests build that
# chain binary (without -race; the go build cache makes reruns a link) and
# run it as processes, kill -9 included (about 1 minute).
test-cosmos: lint
	cd cosmos && $(GO) mod tidy -diff
	cd cosmos && $(GO) vet ./...
	cd cosmos && $(TOOLS_BIN)/staticcheck ./...
	cd cosmos && $(TOOLS_BIN)/errcheck -ignoretests -exclude ../.errcheck-excludes ./...
	cd cosmos && $(GO) test -race -count=1 ./...

# mod-check fails when a go.mod (the module's or a line's) is not tidy.
mod-check:
	$(GO) mod tidy -diff
	@for m in $(LINES); do echo "$(GO) mod tidy -diff -modfile=$$m"; $(GO) mod tidy -diff -modfile=$$m || exit 1; done

# tidy tidies go.mod and every line's go.mod after a dependency change.
tidy:
	$(GO) mod tidy
	@for m in $(LINES); do $(GO) mod tidy -modfile=$$m || exit 1; done

# test-testnet runs the integration suite behind the testnet build tag: a
# local network of 4 validators and 1 full node as processes, under load and
# faults (a few minutes), and scripts/testnet.sh.
test-testnet:
	$(GO) vet $(NODE_MOD) -tags testnet ./integration/
	$(GO) test $(NODE_MOD) -tags testnet -count=1 -timeout 12m ./integration/ -run Testnet

test-short:
	$(GO) test $(NODE_MOD) -short -count=1 ./...

# bench runs the Go benchmarks, then the load driver (a node in its process,
# client processes, the raw-socket floor, CometBFT's /websocket, node
# processes for the CPU per transaction), and writes docs/benchmarks.md (from
# bench/driver/report.tmpl), docs/benchmarks-*.svg and bench/results.json.
bench: deps
	$(GO) build $(NODE_MOD) -o bin/benchrun ./bench/cmd/benchrun
	./bin/benchrun

# bench-smoke runs every Go benchmark once, so that none can rot (the
# driver's own smoke test, bench/driver, runs in go test ./...).
bench-smoke: deps
	$(GO) test $(NODE_MOD) -run '^$$' -bench . -benchtime 1x ./abci ./bench ./events ./streamsvc ./integration ./jetstream

# fuzz runs every fuzz target for FUZZTIME each (the seed corpora also run
# in make test).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
		done; \
	done

clean:
	rm -rf bin

# Code generation for proto/: protoc from Debian and protoc-gen-gocosmos from
# github.com/cosmos/gogoproto, pinned here. GOGOPROTO_VERSION must equal the
# version in go.mod (the runtime the generated code links against); the
# generated code was made with protoc PROTOC_VERSION (Debian bookworm's).
PROTOC_VERSION      := 3.21.12
GOGOPROTO_VERSION   := v1.7.2
TOOLS_BIN           := $(CURDIR)/.tools/bin
PROTOC_GEN_GOCOSMOS := $(TOOLS_BIN)/protoc-gen-gocosmos
PROTO_ENV           := GO="$(GO)" GOGOPROTO_VERSION=$(GOGOPROTO_VERSION) PROTOC_GEN_GOCOSMOS=$(PROTOC_GEN_GOCOSMOS)

proto-tools:
	@command -v protoc >/dev/null 2>&1 || { \
		echo "installing protobuf-compiler"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq protobuf-compiler; }
	@v=$$(protoc --version | awk '{print $$2}'); [ "$$v" = "$(PROTOC_VERSION)" ] || \
		echo "warning: protoc $$v, the committed code was generated with $(PROTOC_VERSION)"
	@$(GO) version -m $(PROTOC_GEN_GOCOSMOS) 2>/dev/null | \
		grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/cosmos/gogoproto[[:space:]]+$(GOGOPROTO_VERSION)[[:space:]]" || { \
		echo "installing protoc-gen-gocosmos $(GOGOPROTO_VERSION)"; \
		GOBIN=$(TOOLS_BIN) $(GO) install github.com/cosmos/gogoproto/protoc-gen-gocosmos@$(GOGOPROTO_VERSION); }

proto: proto-tools
	@$(PROTO_ENV) proto/generate.sh write

# proto-check regenerates into a temporary directory and fails when the
# committed code differs.
proto-check: proto-tools
	@$(PROTO_ENV) proto/generate.sh check
