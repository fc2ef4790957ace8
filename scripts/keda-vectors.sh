#!/usr/bin/env bash
# Refreshes test/conformance/keda/ from the table-driven unit tests of KEDA's scalers.
#
#   scripts/keda-vectors.sh [VERSION]     default v2.20.2
#
# Downloads github.com/kedacore/keda/v2@VERSION with `go mod download -json` (into Go's module
# cache), builds scripts/keda-vectors/ (cached under ${TIDAL_CACHE_DIR:-$HOME/.cache/tidal}/
# keda-vectors/), and rewrites test/conformance/keda/: one JSON file per KEDA test file with
# tables, and SOURCE.json naming the module, version and upstream commit. When the module proxy
# does not report the commit, set KEDA_GIT_DIR to a clone of KEDA to read it from the tag there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="${TIDAL_CACHE_DIR:-$HOME/.cache/tidal}/keda-vectors"
MODULE=github.com/kedacore/keda/v2
DEFAULT_VERSION=v2.20.2
OUT="$ROOT/test/conformance/keda"

usage() {
  cat <<USAGE
Usage: scripts/keda-vectors.sh [VERSION]

Rewrites test/conformance/keda/ from the scaler unit tests of $MODULE@VERSION
(default $DEFAULT_VERSION). Needs Go. KEDA_GIT_DIR: a local KEDA clone, used for the commit
when the module proxy does not report it.
USAGE
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
if [[ $# -gt 1 || ! ${1:-$DEFAULT_VERSION} =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  usage >&2
  exit 2
fi
VERSION=${1:-$DEFAULT_VERSION}
command -v go >/dev/null || {
  echo "keda-vectors: needs Go on PATH" >&2
  exit 1
}
mkdir -p "$CACHE/bin"

echo "==> go mod download $MODULE@$VERSION"
# Outside any module, so no go.mod of this repository is consulted or changed.
(cd "$CACHE" && go mod download -json "$MODULE@$VERSION") >"$CACHE/download.json" || {
  cat "$CACHE/download.json" >&2
  exit 1
}

SRC="$ROOT/scripts/keda-vectors"
STAMP=$(cat "$SRC/go.mod" "$SRC"/*.go | sha256sum | cut -c1-16)
BIN="$CACHE/bin/keda-vectors-$STAMP"
if [[ ! -x $BIN ]]; then
  echo "==> building scripts/keda-vectors"
  find "$CACHE/bin" -name 'keda-vectors-*' -delete
  (cd "$SRC" && go build -o "$BIN.tmp" . && mv "$BIN.tmp" "$BIN")
fi

echo "==> extracting tables into test/conformance/keda/"
TMP=$(mktemp -d "$ROOT/test/conformance/.keda.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"
"$BIN" -download "$CACHE/download.json" -out "$TMP" ${KEDA_GIT_DIR:+-git-dir "$KEDA_GIT_DIR"}
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "==> done: $(find "$OUT" -name '*.json' | wc -l) files, $(du -sh "$OUT" | cut -f1)"
