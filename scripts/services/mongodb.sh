# shellcheck shell=bash
# MongoDB's wire protocol from FerretDB v1 (a Go module built into the cache) on 127.0.0.1:27017,
# storing its data in SQLite files under .tidal/services/mongodb/. Debian has no MongoDB server.
# Authentication is on (SCRAM): the user tidal (password tidal) is created on the first start.

FERRETDB_VERSION=v1.24.2
FERRETDB_BIN="$CACHE/ferretdb/$FERRETDB_VERSION/bin"
declare_server mongodb "27017" "$FERRETDB_BIN/ferretdb " 60

install_mongodb() {
  [[ -x $FERRETDB_BIN/ferretdb ]] && return 0
  command -v go >/dev/null || {
    fail "go is not installed; FerretDB is built from its Go module (install Go 1.22 or newer)"
    return 1
  }
  say "building ferretdb $FERRETDB_VERSION into $FERRETDB_BIN ..."
  # FerretDB's own module, built from a copy of its source: its version file (build/version/
  # version.txt, which the release process writes) is not in the module, and it refuses to start
  # without one.
  local tmp="$FERRETDB_BIN.tmp.$$" source
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! (
    export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" CGO_ENABLED=0 GOFLAGS=-mod=mod &&
      source=$(cd "$tmp" && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') &&
      [[ -n $source ]] &&
      cp -r "$source" "$tmp/src" &&
      chmod -R u+w "$tmp/src" &&
      printf '%s\n' "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt" &&
      cd "$tmp/src" &&
      go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$tmp/ferretdb" ./cmd/ferretdb
  ) >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not build ferretdb $FERRETDB_VERSION (go output above)"
    return 1
  fi
  rm -rf "$tmp.log" "$tmp/src"
  rm -rf "$FERRETDB_BIN"
  mv "$tmp" "$FERRETDB_BIN"
}

prepare_mongodb() { mkdir -p "$(dir_of mongodb)/data"; }

launch_mongodb() {
  local dir
  dir=$(dir_of mongodb)
  spawn mongodb mongodb "$FERRETDB_BIN/ferretdb" --handler=sqlite --sqlite-url="file:$dir/data/" \
    --listen-addr=127.0.0.1:27017 --debug-addr=127.0.0.1:27018 --state-dir="$dir" \
    --telemetry=disable --log-level=warn --test-enable-new-auth \
    --setup-database=tidal --setup-username="$USER_NAME" --setup-password="$PASSWORD"
}

env_mongodb() { export_line TIDAL_TEST_MONGODB_URL "mongodb://$USER_NAME:$PASSWORD@127.0.0.1:27017/tidal"; }
