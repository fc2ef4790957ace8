# shellcheck shell=bash
# Temporal's development server (`temporal server start-dev`: frontend, history, matching and
# worker services in one process, SQLite in a file) built from the Go module
# github.com/temporalio/cli into the cache (Debian has no Temporal). Frontend gRPC on
# 127.0.0.1:7233, its HTTP API on 127.0.0.1:7243, metrics on 127.0.0.1:7244, no web UI; the
# internal services listen on loopback ports of their own choosing. Namespace `default`, no
# authentication.

TEMPORAL_CLI_VERSION=v1.5.1
TEMPORAL_BIN="$CACHE/temporal/$TEMPORAL_CLI_VERSION/bin"
declare_server temporal "7233" "$TEMPORAL_BIN/temporal server start-dev" 60

probe_temporal() {
  "$TEMPORAL_BIN/temporal" operator namespace describe --address 127.0.0.1:7233 -n default \
    --command-timeout 3s >/dev/null 2>&1
}

install_temporal() {
  [[ -x $TEMPORAL_BIN/temporal ]] && return 0
  command -v go >/dev/null || {
    fail "go is not installed; the temporal CLI is built from Go modules (install Go 1.25 or newer)"
    return 1
  }
  say "building the temporal CLI $TEMPORAL_CLI_VERSION into $TEMPORAL_BIN (several minutes) ..."
  # A throw-away module that requires the CLI at the pinned version. (v1.9.1, the newest, cannot
  # be built from the module proxy: it replaces its cliext module with a directory the module zip
  # leaves out.)
  local tmp="$TEMPORAL_BIN.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/module"
  if ! (
    cd "$tmp/module" &&
      export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" CGO_ENABLED=0 GOFLAGS=-mod=mod &&
      go mod init tidal.local/temporal-build &&
      go get "github.com/temporalio/cli@$TEMPORAL_CLI_VERSION" &&
      go build -trimpath -ldflags "-s -w" -o "$tmp/temporal" github.com/temporalio/cli/cmd/temporal
  ) >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not build the temporal CLI $TEMPORAL_CLI_VERSION (go output above)"
    return 1
  fi
  rm -rf "$tmp.log" "$tmp/module"
  rm -rf "$TEMPORAL_BIN"
  mv "$tmp" "$TEMPORAL_BIN"
}

prepare_temporal() { mkdir -p "$(dir_of temporal)"; }

launch_temporal() {
  spawn temporal temporal "$TEMPORAL_BIN/temporal" server start-dev --ip 127.0.0.1 --port 7233 \
    --http-port 7243 --metrics-port 7244 --headless --log-level warn \
    --db-filename "$(dir_of temporal)/temporal.db"
}

env_temporal() {
  export_line TIDAL_TEST_TEMPORAL_ENDPOINT "127.0.0.1:7233"
  export_line TIDAL_TEST_TEMPORAL_CLI "$TEMPORAL_BIN/temporal"
}
