# shellcheck shell=bash
# fake-gcs-server: a local Google Cloud Storage server (the JSON API the storage SDKs speak),
# built from its Go module into the cache, plain HTTP on 127.0.0.1:4443, objects kept on disk.

FAKE_GCS_VERSION=v1.56.1
FAKE_GCS_BIN="$CACHE/fake-gcs/$FAKE_GCS_VERSION/bin"
declare_server fake-gcs "4443" fake-gcs-server 60

install_fake_gcs() {
  [[ -x $FAKE_GCS_BIN/fake-gcs-server ]] && return 0
  command -v go >/dev/null || {
    fail "go is not installed; fake-gcs-server is built from its Go module (install Go 1.24 or newer)"
    return 1
  }
  local started=$SECONDS log
  log="$STATE/fake-gcs-install.log"
  mkdir -p "$STATE" "$FAKE_GCS_BIN" "$CACHE/go/mod" "$CACHE/go/build"
  say "building fake-gcs-server $FAKE_GCS_VERSION from the Go module proxy (a few minutes when cold) ..."
  GOBIN="$FAKE_GCS_BIN" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-buildvcs=false \
    CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION" >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    fail "building fake-gcs-server failed; see $log"
    return 1
  }
  say "built fake-gcs-server in $((SECONDS - started))s"
}

probe_fake_gcs() { http_ok http://127.0.0.1:4443/storage/v1/b; }

prepare_fake_gcs() { mkdir -p "$(dir_of fake-gcs)/data"; }

launch_fake_gcs() {
  spawn fake-gcs fake-gcs "$FAKE_GCS_BIN/fake-gcs-server" -scheme http -host 127.0.0.1 -port 4443 \
    -public-host 127.0.0.1:4443 -external-url http://127.0.0.1:4443 \
    -backend filesystem -filesystem-root "$(dir_of fake-gcs)/data" -log-level warn
}

env_fake_gcs() { export_line TIDAL_TEST_GCS_ENDPOINT "http://127.0.0.1:4443"; }
