# cometstream: a CometBFT node with the Planetmint WebSocket Event Stream API.
#
#   make run    initialise ~/.cometstream on first run, start the node, stream on
#   make test   every test (installs what the tests need first)

GO        ?= go
BIN       := bin/cometstream
NODE_HOME ?= $(HOME)/.cometstream
# Root needs no sudo (CI and these machines run as root).
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test test-short deps fmt-check vet fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/cometstream

run: build
	@if [ ! -f "$(NODE_HOME)/config/config.toml" ]; then \
		./$(BIN) init --home "$(NODE_HOME)" --stream.enable; \
	fi
	./$(BIN) start --home "$(NODE_HOME)" --stream.enable

# deps installs what the tests use outside Go: Debian's python3-websockets,
# the non-Go client of the end-to-end test (run with /usr/bin/python3).
deps:
	@/usr/bin/python3 -c 'import websockets' 2>/dev/null || { \
		echo "installing python3-websockets"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-websockets; }

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: deps fmt-check vet
	$(GO) test -race -count=1 -timeout 15m ./...

test-short:
	$(GO) test -short -count=1 ./...

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
