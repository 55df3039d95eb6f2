# cometstream: a CometBFT node with the Planetmint WebSocket Event Stream API.
#
#   make run    initialise ~/.cometstream on first run, start the node, stream on
#   make test   every test (installs what the tests need first), the local
#               testnet suite included (make test-testnet alone)
#   make proto  regenerate the Go code of proto/*.proto (committed)
#   make bench  benchmarks: writes docs/benchmarks.md and its plots (~6 min)

GO        ?= go
BIN       := bin/cometstream
NODE_HOME ?= $(HOME)/.cometstream
# Root needs no sudo (CI and these machines run as root).
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test test-testnet test-short bench bench-smoke deps js-deps fmt-check vet fuzz clean proto proto-check proto-tools

all: build

build:
	$(GO) build -o $(BIN) ./cmd/cometstream

run: build
	@if [ ! -f "$(NODE_HOME)/config/config.toml" ]; then \
		./$(BIN) init --home "$(NODE_HOME)" --stream.enable; \
	fi
	./$(BIN) start --home "$(NODE_HOME)" --stream.enable

# deps installs what the tests use outside Go: Debian's python3-websockets,
# the non-Go client of the end-to-end test (run with /usr/bin/python3), and
# the JavaScript driver of the interoperability test (js-deps).
deps: js-deps
	@/usr/bin/python3 -c 'import websockets' 2>/dev/null || { \
		echo "installing python3-websockets"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-websockets; }

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

vet:
	$(GO) vet ./...

test: deps fmt-check vet proto-check test-testnet bench-smoke
	$(GO) test -race -count=1 -timeout 15m ./...

# test-testnet runs the integration suite behind the testnet build tag: a
# local network of 4 validators and 1 full node as processes, under load and
# faults (a few minutes), and scripts/testnet.sh.
test-testnet:
	$(GO) vet -tags testnet ./integration/
	$(GO) test -tags testnet -count=1 -timeout 12m ./integration/ -run Testnet

test-short:
	$(GO) test -short -count=1 ./...

# bench runs the Go benchmarks, then the load driver (a node in its process,
# client processes, the raw-socket floor, CometBFT's /websocket), and writes
# docs/benchmarks.md, docs/benchmarks-*.svg and bench/results.json.
bench:
	$(GO) build -o bin/benchrun ./bench/cmd/benchrun
	./bin/benchrun

# bench-smoke runs every Go benchmark once, so that none can rot (the
# driver's own smoke test, bench/driver, runs in go test ./...).
bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./abci ./bench ./events ./streamsvc

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
