#!/usr/bin/env bash
# Generates the Go code of every .proto file under proto/ with protoc and
# protoc-gen-gocosmos (gogoproto). Run through the Makefile, which installs
# the pinned tools and sets the variables below:
#
#   proto/generate.sh write   regenerate the committed *.pb.go files
#   proto/generate.sh check   fail if regenerating would change them
set -euo pipefail
cd "$(dirname "$0")/.."

: "${GO:=go}"
: "${GOGOPROTO_VERSION:?set by the Makefile}"
: "${PROTOC_GEN_GOCOSMOS:?set by the Makefile}"

mode=${1:-}
case "$mode" in
write | check) ;;
*)
	echo "usage: $0 write|check" >&2
	exit 2
	;;
esac

module=$("$GO" list -m)
# The generated code must match the gogoproto runtime the module builds with.
have=$("$GO" list -m -f '{{.Version}}' github.com/cosmos/gogoproto)
if [ "$have" != "$GOGOPROTO_VERSION" ]; then
	echo "proto: go.mod has github.com/cosmos/gogoproto $have, the Makefile pins $GOGOPROTO_VERSION" >&2
	exit 1
fi
# gogoproto/gogo.proto comes from that module.
"$GO" mod download github.com/cosmos/gogoproto
gogo_dir=$("$GO" list -m -f '{{.Dir}}' github.com/cosmos/gogoproto)
if [ ! -f "$gogo_dir/gogoproto/gogo.proto" ]; then
	echo "proto: gogoproto/gogo.proto not found in the module cache ($gogo_dir)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gen" "$tmp/committed"

mapfile -t files < <(find proto -name '*.proto' | LC_ALL=C sort)
protoc -I proto -I "$gogo_dir" \
	--plugin=protoc-gen-gocosmos="$PROTOC_GEN_GOCOSMOS" \
	--gocosmos_out="$tmp/gen" "${files[@]}"
# Output lands under the go_package import path; keep the part in proto/.
gen="$tmp/gen/$module/proto"
if [ ! -d "$gen" ]; then
	echo "proto: no code generated under proto/: every go_package must be in $module/proto/..." >&2
	exit 1
fi

if [ "$mode" = write ]; then
	find proto -name '*.pb.go' -delete
	cp -R "$gen/." proto/
	echo "proto: regenerated $(find "$gen" -name '*.pb.go' | wc -l) file(s)"
	exit 0
fi

mkdir -p "$tmp/committed/proto"
find proto -name '*.pb.go' -exec cp --parents {} "$tmp/committed/" \;
if ! diff -r "$tmp/committed/proto" "$gen" >"$tmp/diff"; then
	head -n 40 "$tmp/diff" >&2
	echo "proto-check: the generated code in proto/ differs from what the .proto files give;" >&2
	echo "proto-check: run 'make proto' and commit the result" >&2
	exit 1
fi
echo "proto-check: generated code is up to date"
