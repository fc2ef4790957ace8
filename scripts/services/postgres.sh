# shellcheck shell=bash
# PostgreSQL: initdb makes tidal the superuser (password tidal); the database tidal is created
# after start. Postgres refuses to run as root, so as root it runs as the postgres system user.
# TLS is on (a throw-away CA's certificate for 127.0.0.1 and localhost) and optional; the role
# tidal_cert logs in over TLS with the client certificate (CN tidal) only.

PG_BIN=/usr/lib/postgresql/15/bin
declare_server postgres "5432" postgres 60 postgresql-15 postgresql-client-15
STOP_SIGNAL[postgres]=INT # fast shutdown; SIGTERM would wait for clients

ready_postgres() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p 5432 -t 2; }
probe_postgres() {
  PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=2 "$PG_BIN/psql" -X -q -h 127.0.0.1 -p 5432 \
    -U "$USER_NAME" -d tidal -tAc 'SELECT 1' >/dev/null 2>&1
}

pg_owner() { if [[ $EUID -eq 0 ]]; then echo postgres; else id -un; fi; }

# The TLS files and the authentication rules, rewritten before each start.
postgres_auth_files() {
  local dir=$1
  make_test_tls "$dir/tls" "$(log_of postgres)" || return 1
  make_test_client_tls "$dir/tls" "$(log_of postgres)" || return 1
  cp "$dir/tls/server.key" "$dir/tls/postgres-server.key"
  chown "$(pg_owner):" "$dir/tls/postgres-server.key"
  chmod 600 "$dir/tls/postgres-server.key"
  chmod o+rx "$dir/tls"
  cat >"$dir/pg_hba.conf" <<EOF
local all all trust
hostssl all tidal_cert 127.0.0.1/32 cert map=tidal
hostnossl all tidal_cert 127.0.0.1/32 reject
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
EOF
  printf '%s\n' "tidal $USER_NAME tidal_cert" >"$dir/pg_ident.conf"
  chown "$(pg_owner):" "$dir/pg_hba.conf" "$dir/pg_ident.conf"
}

prepare_postgres() {
  local dir data pid
  dir=$(dir_of postgres)
  data="$dir/data"
  postgres_auth_files "$dir" || return 1
  if [[ -f $data/PG_VERSION ]]; then
    # After a crash the lock file may name a pid that is gone or a zombie, which postgres
    # would take for a running postmaster.
    if [[ -f $data/postmaster.pid ]] && read -r pid <"$data/postmaster.pid"; then
      if ! running "$pid" || ! grep -q postgres 2>/dev/null "/proc/$pid/cmdline"; then
        rm -f "$data/postmaster.pid"
      fi
    fi
    return 0
  fi
  say "initializing postgres in $data ..."
  rm -rf "$data"
  mkdir -p "$data"
  printf '%s\n' "$PASSWORD" >"$dir/pwfile"
  chown -R "$(pg_owner):" "$dir"
  chmod 700 "$data"
  as_user "$(pg_owner)"
  if ! "${AS_USER[@]}" test -w "$data"; then
    fail "user $(pg_owner) cannot reach $data: every parent directory needs o+x"
    return 1
  fi
  if ! "${AS_USER[@]}" "$PG_BIN/initdb" -D "$data" -U "$USER_NAME" --pwfile="$dir/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-locale \
    >>"$(log_of postgres)" 2>&1; then
    rm -f "$dir/pwfile"
    fail "postgres initdb failed; see $(log_of postgres)"
    return 1
  fi
  rm -f "$dir/pwfile"
}

launch_postgres() {
  local dir
  dir=$(dir_of postgres)
  as_user "$(pg_owner)"
  spawn postgres postgres "${AS_USER[@]}" "$PG_BIN/postgres" -D "$dir/data" \
    -c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories="$dir" \
    -c max_connections=200 -c synchronous_commit=off \
    -c hba_file="$dir/pg_hba.conf" -c ident_file="$dir/pg_ident.conf" -c ssl=on \
    -c ssl_cert_file="$dir/tls/server.crt" -c ssl_key_file="$dir/tls/postgres-server.key" \
    -c ssl_ca_file="$dir/tls/ca.crt"
}

bootstrap_postgres() {
  local psql=("$PG_BIN/psql" -X -q -h "$(dir_of postgres)" -p 5432 -U "$USER_NAME" -d postgres)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'tidal'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE tidal OWNER $USER_NAME"
  fi
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'tidal_cert'") ]]; then
    "${psql[@]}" -c "CREATE ROLE tidal_cert LOGIN"
  fi
}

env_postgres() {
  export_line TIDAL_TEST_POSTGRES_URL "postgresql://$USER_NAME:$PASSWORD@127.0.0.1:5432/tidal"
  export_line TIDAL_TEST_POSTGRES_TLS_DIR "$(dir_of postgres)/tls"
}
