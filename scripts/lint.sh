#!/usr/bin/env bash
# Runs staticcheck and errcheck on every package, on the node's CometBFT
# line (v0.40: the node does not build on older lines). The tools load
# packages with go/packages, which also runs `go list` outside module mode,
# where a -modfile in GOFLAGS is an error: so they run in a copy of the
# tree whose go.mod is lines/cometbft-v0.40.mod. Called by make lint,
# which installs the pinned tools and sets STATICCHECK and ERRCHECK.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STATICCHECK:?set by the Makefile}"
: "${ERRCHECK:?set by the Makefile}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		if [ -f "$f" ]; then printf '%s\0' "$f"; fi
	done |
	xargs -0 cp --parents -t "$tmp"
cp lines/cometbft-v0.40.mod "$tmp/go.mod"
cp lines/cometbft-v0.40.sum "$tmp/go.sum"
cd "$tmp"
echo "staticcheck (CometBFT v0.40)"
"$STATICCHECK" -tags testnet ./...
echo "errcheck (CometBFT v0.40; tests and the fmt.Fprint family excluded)"
"$ERRCHECK" -ignoretests -exclude .errcheck-excludes ./...
