# shellcheck shell=bash
# NSQ: nsqlookupd (TCP 4160, HTTP 4161) and one nsqd registered with it (TCP 4150, HTTP 4151),
# both advertising 127.0.0.1. Debian has no nsq package: nsqd and nsqlookupd are built from the
# Go module github.com/nsqio/nsq into the cache.

NSQ_VERSION=v1.3.0
NSQ_BIN="$CACHE/nsq/$NSQ_VERSION/bin"
declare_server nsq "4150 4151 4160 4161" "$NSQ_BIN/nsqd " 30
PORTS[nsqlookupd]="4160 4161"
PROCESS[nsqlookupd]="$NSQ_BIN/nsqlookupd "

# nsqlookupd runs as its own process with its pid file in nsq's folder.
stop_also_nsq() { stop_pid nsqlookupd nsq; }

# Ready when nsqd answers and has registered with nsqlookupd (it lists nsqd as a producer).
probe_nsq() {
  http_ok http://127.0.0.1:4151/ping &&
    curl -fsS --max-time 3 http://127.0.0.1:4161/nodes 2>/dev/null | grep -q '"tcp_port":4150'
}

install_nsq() {
  [[ -x $NSQ_BIN/nsqd && -x $NSQ_BIN/nsqlookupd ]] && return 0
  command -v go >/dev/null || {
    fail "go is not installed; nsqd and nsqlookupd are built from Go modules (install Go 1.22 or newer)"
    return 1
  }
  say "building nsqd and nsqlookupd $NSQ_VERSION into $NSQ_BIN ..."
  # A throw-away module that requires nsq at the pinned version (go install pkg@version would ask
  # the proxy for the module's version list, which it may refuse, and would ignore nsq's replaces).
  local tmp="$NSQ_BIN.tmp.$$" app
  rm -rf "$tmp"
  mkdir -p "$tmp/module"
  if ! (
    cd "$tmp/module" &&
      export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" CGO_ENABLED=0 GOFLAGS=-mod=mod &&
      go mod init tidal.local/nsq-build &&
      go get "github.com/nsqio/nsq@$NSQ_VERSION" &&
      # nsq's own replace directives (a fork of go-svc) apply only in its module: copy them.
      grep '^replace ' "$(go list -m -f '{{.Dir}}' github.com/nsqio/nsq)/go.mod" >>go.mod &&
      for app in nsqd nsqlookupd; do
        go build -trimpath -ldflags "-s -w" -o "$tmp/$app" "github.com/nsqio/nsq/apps/$app" || exit 1
      done
  ) >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not build nsqd and nsqlookupd $NSQ_VERSION (go output above)"
    return 1
  fi
  rm -rf "$tmp.log" "$tmp/module"
  rm -rf "$NSQ_BIN"
  mv "$tmp" "$NSQ_BIN"
}

prepare_nsq() { mkdir -p "$(dir_of nsq)/data"; }

launch_nsq() {
  if ! live_pid nsqlookupd nsq >/dev/null; then
    spawn nsqlookupd nsq "$NSQ_BIN/nsqlookupd" -tcp-address=127.0.0.1:4160 \
      -http-address=127.0.0.1:4161 -broadcast-address=127.0.0.1
  fi
  spawn nsq nsq "$NSQ_BIN/nsqd" -tcp-address=127.0.0.1:4150 -http-address=127.0.0.1:4151 \
    -broadcast-address=127.0.0.1 -lookupd-tcp-address=127.0.0.1:4160 -data-path="$(dir_of nsq)/data"
}

env_nsq() {
  export_line TIDAL_TEST_NSQ_LOOKUPD_HTTP "127.0.0.1:4161"
  export_line TIDAL_TEST_NSQD_HTTP "127.0.0.1:4151"
  export_line TIDAL_TEST_NSQD_TCP "127.0.0.1:4150"
}
