# shellcheck shell=bash
# The CouchDB HTTP API from pouchdb-server (an npm package installed into the cache, never a
# project dependency) on 127.0.0.1:5984, with its databases in memory: it serves Mango's _find,
# basic authentication and CouchDB's error answers. Debian has no CouchDB package. The admin tidal
# (password tidal) is created after each start.

POUCHDB_SERVER_VERSION=4.2.0
POUCHDB_SERVER_DIR="$CACHE/pouchdb-server/$POUCHDB_SERVER_VERSION"
declare_server couchdb "5984" "$POUCHDB_SERVER_DIR/node_modules/.bin/pouchdb-server" 60

install_couchdb() {
  [[ -x $POUCHDB_SERVER_DIR/node_modules/.bin/pouchdb-server ]] && return 0
  command -v npm >/dev/null || {
    fail "npm is not installed; pouchdb-server comes from the npm registry"
    return 1
  }
  say "installing pouchdb-server $POUCHDB_SERVER_VERSION into $POUCHDB_SERVER_DIR ..."
  local tmp="$POUCHDB_SERVER_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # In-memory databases need none of the native modules whose install scripts npm does not run.
  if ! npm install --prefix "$tmp" --no-save --no-audit --no-fund \
    "pouchdb-server@$POUCHDB_SERVER_VERSION" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not install pouchdb-server $POUCHDB_SERVER_VERSION (npm output above)"
    return 1
  fi
  rm -f "$tmp.log"
  rm -rf "$POUCHDB_SERVER_DIR"
  mv "$tmp" "$POUCHDB_SERVER_DIR"
}

prepare_couchdb() { mkdir -p "$(dir_of couchdb)"; }

launch_couchdb() {
  local dir
  dir=$(dir_of couchdb)
  # A fresh configuration each start: the admin is added by bootstrap_couchdb.
  rm -f "$dir/config.json"
  spawn couchdb couchdb env -C "$dir" node "$POUCHDB_SERVER_DIR/node_modules/.bin/pouchdb-server" \
    --in-memory --host 127.0.0.1 --port 5984 --config "$dir/config.json" --no-color --level warn
}

ready_couchdb() { http_ok http://127.0.0.1:5984/; }

bootstrap_couchdb() {
  curl -fsS -o /dev/null --max-time 5 -X PUT "http://127.0.0.1:5984/_config/admins/$USER_NAME" \
    -d "\"$PASSWORD\"" 2>/dev/null ||
    curl -fsS -o /dev/null --max-time 5 -u "$USER_NAME:$PASSWORD" http://127.0.0.1:5984/_session
}

probe_couchdb() { http_ok -u "$USER_NAME:$PASSWORD" http://127.0.0.1:5984/_session; }

env_couchdb() { export_line TIDAL_TEST_COUCHDB_URL "http://$USER_NAME:$PASSWORD@127.0.0.1:5984"; }
