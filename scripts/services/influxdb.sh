# shellcheck shell=bash
# InfluxDB 1.8 built from the Go module github.com/influxdata/influxdb into the cache, with its
# InfluxDB 2 compatible Flux API (/api/v2/query) on: KEDA's influxdb scaler asks that API through
# InfluxDB 2's client. (InfluxDB 2 cannot be built from the module proxy: its go.mod has replace
# directives and its Flux engine needs a Rust library built by InfluxData's own tooling; 1.9 and
# later need the same library.) HTTP on 127.0.0.1:8086, backup RPC on 127.0.0.1:8089.
# Authentication is on: user tidal/tidal, an administrator; the /api/v2 token is "tidal:tidal".
# Buckets are "<database>/<retention policy>", e.g. "jobs/autogen"; the organization is ignored.

INFLUXDB_VERSION=v1.8.3
INFLUXDB_BIN="$CACHE/influxdb/$INFLUXDB_VERSION/bin"
declare_server influxdb "8086" "$INFLUXDB_BIN/influxd run" 60

probe_influxdb() {
  curl -fsS --max-time 3 -XPOST -u "$USER_NAME:$PASSWORD" http://127.0.0.1:8086/query \
    --data-urlencode "q=SHOW DATABASES" >/dev/null 2>&1
}

ready_influxdb() { http_ok http://127.0.0.1:8086/ping; }

# The first user may be created without credentials; it is the administrator.
bootstrap_influxdb() {
  probe_influxdb && return 0
  curl -fsS --max-time 5 -XPOST http://127.0.0.1:8086/query \
    --data-urlencode "q=CREATE USER $USER_NAME WITH PASSWORD '$PASSWORD' WITH ALL PRIVILEGES" >/dev/null
}

install_influxdb() {
  [[ -x $INFLUXDB_BIN/influxd ]] && return 0
  command -v go >/dev/null || {
    fail "go is not installed; influxd is built from Go modules (install Go 1.22 or newer)"
    return 1
  }
  say "building influxd $INFLUXDB_VERSION into $INFLUXDB_BIN (minutes) ..."
  local tmp="$INFLUXDB_BIN.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/module"
  if ! (
    cd "$tmp/module" &&
      export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" CGO_ENABLED=0 GOFLAGS=-mod=mod &&
      go mod init tidal.local/influxdb-build &&
      go get "github.com/influxdata/influxdb@$INFLUXDB_VERSION" &&
      go build -trimpath -ldflags "-s -w" -o "$tmp/influxd" github.com/influxdata/influxdb/cmd/influxd
  ) >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not build influxd $INFLUXDB_VERSION (go output above)"
    return 1
  fi
  rm -rf "$tmp.log" "$tmp/module"
  rm -rf "$INFLUXDB_BIN"
  mv "$tmp" "$INFLUXDB_BIN"
}

prepare_influxdb() {
  local dir
  dir=$(dir_of influxdb)
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:8089"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:8086"
  auth-enabled = true
  flux-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CONF
}

launch_influxdb() {
  spawn influxdb influxdb "$INFLUXDB_BIN/influxd" run -config "$(dir_of influxdb)/influxdb.conf"
}

env_influxdb() {
  export_line TIDAL_TEST_INFLUXDB_URL "http://127.0.0.1:8086"
  export_line TIDAL_TEST_INFLUXDB_TOKEN "$USER_NAME:$PASSWORD"
}
