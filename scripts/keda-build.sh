#!/usr/bin/env bash
# Builds KEDA's operator and metrics adapter (cmd/operator, cmd/adapter of the release pinned in
# bench/keda/versions.env) from the Go module proxy into a cache outside the repository, for the
# side-by-side bench (bench/keda.ts). Prints the bin directory. A cold build takes about 15
# CPU-minutes and ~3 GB of Go build cache; run it niced, one Go build at a time.
# Usage: scripts/keda-build.sh [--print-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mod="$root/bench/keda"
# shellcheck source=../bench/keda/versions.env
. "$mod/versions.env"
cache_root=${TIDAL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tidal}
bin="$cache_root/keda/$KEDA_VERSION/bin"
# The binaries are current when they were built from this go.sum (same versions of everything).
stamp="$KEDA_VERSION $KEDA_COMMIT $(sha256sum "$mod/go.sum" | cut -c1-12)"

case "${1:-}" in
  --print-dir) echo "$bin"; exit 0 ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "keda-build: unknown argument: $1" >&2; echo "Usage: scripts/keda-build.sh [--print-dir]" >&2; exit 2 ;;
esac

if [ -f "$bin/.complete" ] && [ "$(cat "$bin/.complete")" = "$stamp" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "keda-build: go is not installed; install Go 1.26 or newer" >&2; exit 1; }
rm -f "$bin/.complete"
mkdir -p "$bin"
start=$(date +%s)
elapsed() { awk -v s=$(( $(date +%s) - start )) 'BEGIN { printf "%.1f min", s / 60 }'; }
version_flags="-X github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v} -X github.com/kedacore/keda/v2/version.GitCommit=${KEDA_COMMIT}"

build() { # NAME PACKAGE
  local total compiled=0 line
  total=$(cd "$mod" && go list -deps "$2" | wc -l)
  echo "keda-build: building $1 ($total packages, $(elapsed) elapsed)" >&2
  rm -f "$bin/$1"
  # `go build -v` names each package as it compiles it (cached ones are not named): a progress
  # line every 100 of them.
  if ! (cd "$mod" && CGO_ENABLED=0 go build -v -trimpath -ldflags "-s -w $version_flags" -o "$bin/$1" "$2" 2>&1) |
    while IFS= read -r line; do
      case "$line" in
        *" "* | "#"*) echo "$line" >&2 ;; # errors and warnings
        *) compiled=$((compiled + 1))
           [ $((compiled % 100)) -ne 0 ] || echo "keda-build: $1: compiled $compiled of at most $total packages ($(elapsed))" >&2 ;;
      esac
    done || [ ! -x "$bin/$1" ]; then
    echo "keda-build: building $1 failed" >&2
    exit 1
  fi
}

echo "keda-build: cold build of KEDA ${KEDA_VERSION} into $bin (about 15 CPU-minutes on a cold machine)" >&2
build keda-operator github.com/kedacore/keda/v2/cmd/operator
build keda-adapter github.com/kedacore/keda/v2/cmd/adapter
echo "$stamp" > "$bin/.complete"
echo "keda-build: done in $(elapsed)" >&2
echo "$bin"
