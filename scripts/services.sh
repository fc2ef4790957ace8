#!/usr/bin/env bash
# Real servers for Tidal's integration tests, each run as its own process on 127.0.0.1 only,
# with data, pid files and logs under .tidal/services/<name>/ (ignored by git).
#
#   scripts/services.sh start    install what is missing, start what is down, wait until ready
#   scripts/services.sh stop     stop what start started (by pid): gracefully, then forcefully
#   scripts/services.sh status   one line per server, "NAME up|down ADDRESS"; non-zero if any down
#   scripts/services.sh env      export lines with each server's address and test credentials
#
# Debian packages come from apt-get; the Kafka broker's jars come from Maven Central through
# test/kafka/pom.xml into ${TIDAL_CACHE_DIR:-$HOME/.cache/tidal}/kafka/<version>/. Nothing else is
# written outside the repo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.tidal/services"
CACHE="${TIDAL_CACHE_DIR:-$HOME/.cache/tidal}"
KAFKA_VERSION=4.1.1
KAFKA_LIBS="$CACHE/kafka/$KAFKA_VERSION/libs"
PG_BIN=/usr/lib/postgresql/15/bin
USER_NAME=tidal
PASSWORD=tidal

# shellcheck source=scripts/ports.sh
source "$ROOT/scripts/ports.sh"

SERVICES=(postgres mariadb redis rabbitmq nats mosquitto prometheus kafka)
PACKAGES=(postgresql-15 postgresql-client-15 mariadb-server mariadb-client redis-server redis-tools
  rabbitmq-server nats-server mosquitto prometheus openjdk-17-jre-headless maven openssl curl
  util-linux iproute2)

# Per server: the ports that must accept connections, the text its process's command line
# contains (so a stale pid file never makes us signal someone else's process), the signal that
# stops it gracefully, and how long start waits for it.
declare -A PORTS=([postgres]="5432" [mariadb]="3306" [redis]="6379 6380" [rabbitmq]="5672 15672"
  [nats]="4222 8222" [mosquitto]="1883" [prometheus]="9090" [kafka]="9092 9093" [epmd]="4369")
declare -A PROCESS=([postgres]="postgres" [mariadb]="mariadbd" [redis]="redis-server"
  [rabbitmq]="rabbitmq-server" [nats]="nats-server" [mosquitto]="mosquitto"
  [prometheus]="prometheus" [kafka]="kafka.Kafka" [epmd]="epmd")
declare -A STOP_SIGNAL=([postgres]=INT) # fast shutdown; SIGTERM would wait for clients
declare -A TIMEOUT=([postgres]=60 [mariadb]=90 [redis]=30 [rabbitmq]=180 [nats]=30
  [mosquitto]=30 [prometheus]=60 [kafka]=180)

usage() {
  cat <<EOF
Usage: scripts/services.sh start|stop|status|env

Real servers for the integration tests, on 127.0.0.1 only, data under .tidal/services/.

  start    install missing Debian packages and Kafka jars, start every server that is down
           and wait until each is ready (idempotent; seconds when all are up)
  stop     stop the servers that start started, by pid: gracefully, then forcefully
  status   print "NAME up|down ADDRESS" per server; exit non-zero if any is down
  env      print export lines with addresses and credentials (eval "\$(scripts/services.sh env)")
  -h, --help  print this help

Servers: ${SERVICES[*]}
EOF
}

say() { printf 'services: %s\n' "$*"; }
fail() {
  printf 'services: error: %s\n' "$*" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------
# Processes: spawn, pid files, liveness, stopping

dir_of() { printf '%s/%s' "$STATE" "$1"; }
pidfile_of() { printf '%s/%s/%s.pid' "$STATE" "${2:-$1}" "$1"; }
log_of() { printf '%s/%s/%s.log' "$STATE" "$1" "$1"; }

# Prints the pid recorded for $1 (pid file in the directory of $2, default $1) when that process
# is alive and is the expected program; fails otherwise.
live_pid() {
  local name=$1 file pid cmdline
  file=$(pidfile_of "$name" "${2:-$name}")
  [[ -r $file ]] || return 1
  read -r pid <"$file" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && running "$pid" || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"${PROCESS[$name]}"* ]] || return 1
  printf '%s\n' "$pid"
}

# spawn NAME DIRNAME COMMAND...: runs the command detached in its own session, stdio to the log,
# without the lock descriptor, and records its pid. Returns once the pid runs the program (until
# exec the child's command line is still bash's), or once it has died.
spawn() {
  local name=$1 dir=$2 pid i
  shift 2
  printf '\n=== services.sh: %s %s at %s\n' "$name" "$*" "$(date -u +%FT%TZ)" >>"$(log_of "$dir")"
  setsid "$@" </dev/null >>"$(log_of "$dir")" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pidfile_of "$name" "$dir")"
  for ((i = 0; i < 100; i++)); do
    if live_pid "$name" "$dir" >/dev/null || ! running "$pid"; then return 0; fi
    sleep 0.05
  done
}

# running PID: the process exists and is not a zombie.
running() {
  local state
  read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" || return 1
  [[ $state != Z ]]
}

# Sets AS_USER to the prefix that runs a program as $1 when we are root (postgres refuses root).
as_user() {
  AS_USER=()
  if [[ $EUID -eq 0 ]]; then AS_USER=(setpriv --reuid="$1" --regid="$1" --init-groups --); fi
}

# Where to look when a server fails: our log of its output, plus its own log if it keeps one.
logs_of() {
  case $1 in
    kafka) printf '%s and %s' "$(log_of kafka)" "$(dir_of kafka)/logs/server.log" ;;
    rabbitmq) printf '%s and %s' "$(log_of rabbitmq)" "$(dir_of rabbitmq)/log/" ;;
    *) log_of "$1" ;;
  esac
}

ports_open() {
  local port
  for port in ${PORTS[$1]}; do port_open "$port" || return 1; done
}

http_ok() { curl -fsS -o /dev/null --max-time 3 "$@" 2>/dev/null; }

# Protocol-level pings where a client is at hand; the other servers count as up when their
# ports accept connections and their process is alive. probe_NAME says the server is up and
# usable with the test credentials; ready_NAME, where bootstrap_NAME has work to do first, says
# it answers at all.
ready_postgres() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p 5432 -t 2; }
probe_postgres() {
  PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=2 "$PG_BIN/psql" -X -q -h 127.0.0.1 -p 5432 \
    -U "$USER_NAME" -d tidal -tAc 'SELECT 1' >/dev/null 2>&1
}
ready_mariadb() {
  # Over the project-local socket as the OS user that installed it (socket authentication).
  mariadb-admin --no-defaults --connect-timeout=2 --socket="$(dir_of mariadb)/mysqld.sock" \
    -u "$(id -un)" ping >/dev/null 2>&1
}
probe_mariadb() {
  mariadb --no-defaults --connect-timeout=2 -h 127.0.0.1 -P 3306 -u "$USER_NAME" \
    -p"$PASSWORD" -D tidal -e 'SELECT 1' >/dev/null 2>&1
}
probe_redis() { [[ $(timeout 3 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]; }
probe_rabbitmq() { http_ok -u "$USER_NAME:$PASSWORD" http://127.0.0.1:15672/api/overview; }
probe_nats() { http_ok http://127.0.0.1:8222/healthz; }
probe_prometheus() { http_ok http://127.0.0.1:9090/-/ready; }

# check NAME ready|probe: our process is alive, its ports accept connections, and the check
# function (ready_NAME falls back to probe_NAME) passes.
check() {
  local name=$1 fn="$2_$1"
  live_pid "$name" >/dev/null || return 1
  ports_open "$name" || return 1
  declare -F "$fn" >/dev/null || fn="probe_$name"
  if declare -F "$fn" >/dev/null; then "$fn" || return 1; fi
}

is_up() { check "$1" probe; }

# started NAME: the process start just spawned still runs. Only its pid counts here: while it
# execs, its command line can read as empty for a moment, which live_pid would take for death.
started() {
  local pid
  read -r pid 2>/dev/null <"$(pidfile_of "$1")" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && running "$pid"
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + TIMEOUT[$1]))
  until check "$name" ready; do
    if ! started "$name"; then
      tail -n 20 "$(log_of "$name")" >&2 || true
      fail "$name exited during startup; see $(logs_of "$name")"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$(log_of "$name")" >&2 || true
      fail "$name did not become ready within ${TIMEOUT[$name]}s; see $(logs_of "$name")"
      return 1
    fi
    sleep 0.5
  done
}

# stop_pid NAME [DIRNAME]: graceful signal, up to 60s, then SIGKILL to its process group.
stop_pid() {
  local name=$1 dir=${2:-$1} pid i
  if ! pid=$(live_pid "$name" "$dir"); then
    rm -f "$(pidfile_of "$name" "$dir")"
    return 0
  fi
  say "stopping $name (pid $pid) ..."
  kill -s "${STOP_SIGNAL[$name]:-TERM}" "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do
    live_pid "$name" "$dir" >/dev/null || break
    sleep 0.5
  done
  if live_pid "$name" "$dir" >/dev/null; then
    say "$name did not stop in 60s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pidfile_of "$name" "$dir")"
}

# ---------------------------------------------------------------------------------------------
# Installation

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null) || status=
    [[ $status == ii* ]] || printf '%s\n' "$pkg"
  done
}

SUDO=()
if [[ $EUID -ne 0 ]]; then SUDO=(sudo); fi
POLICY=/usr/sbin/policy-rc.d

remove_policy() { "${SUDO[@]}" rm -f "$POLICY"; }

apt_install() {
  local created_policy=0 rc=0
  # Keep the packages' own services from starting (we run the servers ourselves): invoke-rc.d
  # asks policy-rc.d, and exit code 101 means "no". Ours is removed again, even on interrupt.
  if [[ ! -e $POLICY ]]; then
    trap remove_policy EXIT
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    created_policy=1
  fi
  local install=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y
    --no-install-recommends "$@")
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    "${SUDO[@]}" apt-get update -q || rc=$?
  fi
  if [[ $rc -eq 0 ]] && ! "${install[@]}"; then
    say "apt-get install failed; running apt-get update and retrying ..."
    "${SUDO[@]}" apt-get update -q && "${install[@]}" || rc=$?
  fi
  if ((created_policy)); then
    remove_policy
    trap - EXIT
  fi
  return "$rc"
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) && return 0
  say "installing debian packages: ${missing[*]} ..."
  apt_install "${missing[@]}" || fail "apt-get install ${missing[*]} failed"
}

ensure_kafka_jars() {
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  say "downloading kafka $KAFKA_VERSION jars into $KAFKA_LIBS ..."
  local tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -B -q -f "$ROOT/test/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    -Dmaven.repo.local="$CACHE/kafka/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp"
    fail "could not resolve the kafka jars (mvn output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: initdb makes tidal the superuser (password tidal); the database tidal is created
# after start. Postgres refuses to run as root, so as root it runs as the postgres system user.

pg_owner() { if [[ $EUID -eq 0 ]]; then echo postgres; else id -un; fi; }

prepare_postgres() {
  local dir data pid
  dir=$(dir_of postgres)
  data="$dir/data"
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
    -c max_connections=200 -c synchronous_commit=off
}

bootstrap_postgres() {
  local psql=("$PG_BIN/psql" -X -q -h "$(dir_of postgres)" -p 5432 -U "$USER_NAME" -d postgres)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'tidal'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE tidal OWNER $USER_NAME"
  fi
}

# ---------------------------------------------------------------------------------------------
# MariaDB: --no-defaults keeps /etc/mysql out; the socket lives in the project folder.

prepare_mariadb() {
  local dir
  dir=$(dir_of mariadb)
  [[ -d $dir/data/mysql ]] && return 0
  say "initializing mariadb in $dir/data ..."
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  mariadb-install-db --no-defaults --basedir=/usr --datadir="$dir/data" --user="$(id -un)" \
    --auth-root-authentication-method=socket --skip-test-db >>"$(log_of mariadb)" 2>&1 ||
    fail "mariadb-install-db failed; see $(log_of mariadb)"
}

launch_mariadb() {
  local dir user=()
  dir=$(dir_of mariadb)
  [[ $EUID -ne 0 ]] || user=(--user=root)
  spawn mariadb mariadb /usr/sbin/mariadbd --no-defaults --basedir=/usr --datadir="$dir/data" \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mariadbd.server.pid" \
    --bind-address=127.0.0.1 --port=3306 --skip-name-resolve "${user[@]}" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --log-warnings=1 --max-connections=200 --innodb-buffer-pool-size=128M \
    --innodb-flush-log-at-trx-commit=2
}

bootstrap_mariadb() {
  mariadb --no-defaults --socket="$(dir_of mariadb)/mysqld.sock" -u "$(id -un)" <<SQL
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS tidal;
SQL
}

# ---------------------------------------------------------------------------------------------
# make_test_tls DIR LOG: a throw-away CA (ca.crt) and a server certificate for 127.0.0.1 and
# localhost signed by it (server.crt, server.key) in DIR, unless they are there already.

make_test_tls() {
  local tls=$1 log=$2
  [[ -f $tls/ca.crt && -f $tls/server.crt && -f $tls/server.key ]] && return 0
  say "generating test tls certificates in $tls ..."
  rm -rf "$tls"
  mkdir -p "$tls"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  (
    cd "$tls" &&
      openssl req -x509 "${ec[@]}" -days 3650 -subj "/CN=Tidal test CA" -keyout ca.key \
        -out ca.crt -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" &&
      openssl req "${ec[@]}" -subj "/CN=localhost" -keyout server.key -out server.csr &&
      printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature" >server.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile server.ext -out server.crt
  ) >>"$log" 2>&1 || {
    rm -rf "$tls"
    fail "openssl failed; see $log"
    return 1
  }
}

# ---------------------------------------------------------------------------------------------
# Redis

prepare_redis() {
  local dir
  dir=$(dir_of redis)
  make_test_tls "$dir/tls" "$(log_of redis)" || return 1
  cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port 6379
tls-port 6380
tls-cert-file $dir/tls/server.crt
tls-key-file $dir/tls/server.key
tls-ca-cert-file $dir/tls/ca.crt
tls-auth-clients optional
protected-mode yes
daemonize no
dir $dir
logfile ""
save ""
appendonly no
EOF
}

launch_redis() { spawn redis redis redis-server "$(dir_of redis)/redis.conf"; }

# ---------------------------------------------------------------------------------------------
# RabbitMQ with the management plugin. The tidal user is the default user the node creates
# when its database is new. Node name tidal@localhost; AMQP, management, the Erlang
# distribution port and epmd all on loopback. HOME holds the node's Erlang cookie.

rabbitmq_env() {
  local dir
  dir=$(dir_of rabbitmq)
  printf '%s\n' "HOME=$dir/home" "RABBITMQ_NODENAME=tidal@localhost" \
    "RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf" "RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" \
    "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins" "RABBITMQ_MNESIA_BASE=$dir/mnesia" \
    "RABBITMQ_LOG_BASE=$dir/log" "RABBITMQ_PID_FILE=$dir/rabbit.server.pid" \
    "RABBITMQ_FEATURE_FLAGS_FILE=$dir/feature_flags" \
    "RABBITMQ_PLUGINS_EXPAND_DIR=$dir/plugins-expand" "RABBITMQ_DIST_PORT=25672" \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}" \
    "ERL_EPMD_ADDRESS=127.0.0.1" "ERL_EPMD_PORT=4369"
}

prepare_rabbitmq() {
  local dir
  dir=$(dir_of rabbitmq)
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  : >"$dir/rabbitmq-env.conf"
  echo '[].' >"$dir/advanced.config"
  echo '[rabbitmq_management].' >"$dir/enabled_plugins"
  cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
default_vhost = /
default_user = $USER_NAME
default_pass = $PASSWORD
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = warning
EOF
}

launch_rabbitmq() {
  local dir envs
  dir=$(dir_of rabbitmq)
  mapfile -t envs < <(rabbitmq_env)
  # Our own epmd, on loopback, so it is not left behind as a daemon when RabbitMQ stops.
  if ! port_open 4369; then
    spawn epmd rabbitmq env ERL_EPMD_ADDRESS=127.0.0.1 epmd -address 127.0.0.1 -port 4369
  fi
  spawn rabbitmq rabbitmq env "${envs[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}

# ---------------------------------------------------------------------------------------------
# NATS with JetStream; client and monitoring listeners on loopback.

prepare_nats() {
  local dir
  dir=$(dir_of nats)
  mkdir -p "$dir/jetstream"
  cat >"$dir/nats.conf" <<EOF
server_name: tidal
listen: 127.0.0.1:4222
http: 127.0.0.1:8222
jetstream {
  store_dir: "$dir/jetstream"
  max_memory_store: 256MB
  max_file_store: 2GB
}
EOF
}

launch_nats() { spawn nats nats nats-server -c "$(dir_of nats)/nats.conf"; }

# ---------------------------------------------------------------------------------------------
# Mosquitto: anonymous MQTT on loopback; as root it would otherwise drop to the mosquitto user.

prepare_mosquitto() {
  cat >"$(dir_of mosquitto)/mosquitto.conf" <<EOF
user $(id -un)
listener 1883 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
EOF
}

launch_mosquitto() {
  spawn mosquitto mosquitto mosquitto -c "$(dir_of mosquitto)/mosquitto.conf"
}

# ---------------------------------------------------------------------------------------------
# Prometheus scraping itself, so queries always have data.

prepare_prometheus() {
  local dir
  dir=$(dir_of prometheus)
  mkdir -p "$dir/data"
  cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:9090"]
EOF
}

launch_prometheus() {
  local dir
  dir=$(dir_of prometheus)
  spawn prometheus prometheus prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" --web.listen-address=127.0.0.1:9090 \
    --web.enable-remote-write-receiver
}

# ---------------------------------------------------------------------------------------------
# Kafka in KRaft mode (one node, broker and controller) from the cached Maven Central jars.
# PLAINTEXT on 9092, SASL_SSL on 9093 (PLAIN and SCRAM-SHA-512, tidal/tidal), controller on
# 9094. The broker's certificate comes from a throw-away CA whose certificate `env` prints.

KAFKA_STORE_PASSWORD=tidal-test

kafka_tls() {
  local tls
  tls="$(dir_of kafka)/tls"
  make_test_tls "$tls" "$(log_of kafka)" || return 1
  [[ -f $tls/broker.p12 ]] && return 0
  openssl pkcs12 -export -in "$tls/server.crt" -inkey "$tls/server.key" -certfile "$tls/ca.crt" \
    -name broker -out "$tls/broker.p12" -passout "pass:$KAFKA_STORE_PASSWORD" >>"$(log_of kafka)" 2>&1 || {
    fail "openssl failed; see $(log_of kafka)"
    return 1
  }
}

prepare_kafka() {
  local dir cluster_id
  dir=$(dir_of kafka)
  ensure_kafka_jars
  kafka_tls
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9094
listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:9094
advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=\
org.apache.kafka.common.security.plain.PlainLoginModule required \
username="$USER_NAME" password="$PASSWORD" user_$USER_NAME="$PASSWORD";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/tls/broker.p12
ssl.keystore.password=$KAFKA_STORE_PASSWORD
ssl.key.password=$KAFKA_STORE_PASSWORD
ssl.client.auth=none
ssl.endpoint.identification.algorithm=
EOF
  cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
EOF
  [[ -f $dir/data/meta.properties ]] && return 0
  say "formatting kafka storage in $dir/data ..."
  # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
  cluster_id=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')
  kafka_java
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" \
    --config "$dir/server.properties" --ignore-formatted \
    --add-scram "SCRAM-SHA-512=[name=$USER_NAME,password=$PASSWORD]" \
    >>"$(log_of kafka)" 2>&1 || fail "kafka storage format failed; see $(log_of kafka)"
}

# Sets KAFKA_JAVA to the java command line for the Kafka classes: small heap, quiet logs.
kafka_java() {
  local dir
  dir=$(dir_of kafka)
  KAFKA_JAVA=(java -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties"
    -Dkafka.logs.dir="$dir/logs" -cp "$KAFKA_LIBS/*")
}

launch_kafka() {
  kafka_java
  spawn kafka kafka "${KAFKA_JAVA[@]}" kafka.Kafka "$(dir_of kafka)/server.properties"
}

# ---------------------------------------------------------------------------------------------
# Commands

# start_one NAME: prepare, launch, wait, bootstrap; run in a background subshell per server,
# where errexit ends it at the first failing step (each names its log).
start_one() {
  local name=$1
  mkdir -p "$(dir_of "$name")"
  if ! live_pid "$name" >/dev/null; then
    local taken
    # shellcheck disable=SC2086 # the port list splits into arguments
    if taken=$(taken_port ${PORTS[$name]}); then
      fail "$name cannot start: $taken. If another checkout's test servers hold it, run" \
        "scripts/services.sh stop there; otherwise stop that process. Then run start again."
      return 1
    fi
    "prepare_$name"
    say "starting $name ..."
    "launch_$name"
  else
    say "waiting for $name ..."
  fi
  wait_ready "$name" || return 1
  if declare -F "bootstrap_$name" >/dev/null; then
    "bootstrap_$name" >>"$(log_of "$name")" 2>&1 ||
      fail "$name bootstrap failed; see $(log_of "$name")" || return 1
  fi
  if ! is_up "$name"; then
    fail "$name answers but not with the test credentials; see $(logs_of "$name")"
    return 1
  fi
  say "$name is up on $(address_of "$name")"
}

address_of() {
  local port out=()
  for port in ${PORTS[$1]}; do out+=("127.0.0.1:$port"); done
  local IFS=,
  printf '%s' "${out[*]}"
}

lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock 9
}

cmd_start() {
  lock
  local name pids=() names=() i rc=0 began=$SECONDS
  local todo=()
  for name in "${SERVICES[@]}"; do is_up "$name" || todo+=("$name"); done
  if ((${#todo[@]} == 0)); then
    say "all ${#SERVICES[@]} servers are up"
    return 0
  fi
  ensure_packages
  for name in "${todo[@]}"; do
    start_one "$name" &
    pids+=("$!")
    names+=("$name")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || {
      rc=1
      say "${names[$i]} failed to start"
    }
  done
  ((rc == 0)) || return "$rc"
  say "started ${todo[*]} in $((SECONDS - began))s"
}

cmd_stop() {
  lock
  local name
  for name in "${SERVICES[@]}"; do stop_pid "$name" & done
  wait
  stop_pid epmd rabbitmq
}

cmd_status() {
  local name state rc=0
  for name in "${SERVICES[@]}"; do
    if is_up "$name"; then state=up; else
      state=down
      rc=1
    fi
    printf '%-10s %-4s %s\n' "$name" "$state" "$(address_of "$name")"
  done
  return "$rc"
}

# Prints NAME=VALUE as an export line, single-quoting the value when it needs quoting.
export_line() {
  local value=$2
  if [[ ! $value =~ ^[A-Za-z0-9_./:@,+=-]*$ ]]; then
    value="'${value//\'/\'\\\'\'}'"
  fi
  printf 'export %s=%s\n' "$1" "$value"
}

cmd_env() {
  local creds="$USER_NAME:$PASSWORD"
  export_line TIDAL_TEST_POSTGRES_URL "postgresql://$creds@127.0.0.1:5432/tidal"
  export_line TIDAL_TEST_MYSQL_URL "mysql://$creds@127.0.0.1:3306/tidal"
  export_line TIDAL_TEST_REDIS_URL "redis://127.0.0.1:6379"
  export_line TIDAL_TEST_REDIS_TLS_URL "rediss://127.0.0.1:6380"
  export_line TIDAL_TEST_REDIS_CA_FILE "$(dir_of redis)/tls/ca.crt"
  export_line TIDAL_TEST_RABBITMQ_URL "amqp://$creds@127.0.0.1:5672/"
  export_line TIDAL_TEST_RABBITMQ_MANAGEMENT_URL "http://$creds@127.0.0.1:15672"
  export_line TIDAL_TEST_NATS_URL "nats://127.0.0.1:4222"
  export_line TIDAL_TEST_NATS_MONITORING "127.0.0.1:8222"
  export_line TIDAL_TEST_MQTT_URL "mqtt://127.0.0.1:1883"
  export_line TIDAL_TEST_PROMETHEUS_URL "http://127.0.0.1:9090"
  export_line TIDAL_TEST_KAFKA_BROKERS "127.0.0.1:9092"
  export_line TIDAL_TEST_KAFKA_SASL_SSL_BROKERS "127.0.0.1:9093"
  export_line TIDAL_TEST_KAFKA_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_KAFKA_PASSWORD "$PASSWORD"
  export_line TIDAL_TEST_KAFKA_CA_FILE "$(dir_of kafka)/tls/ca.crt"
}

main() {
  case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    -h | --help) usage ;;
    "")
      usage >&2
      return 2
      ;;
    *)
      printf 'services: unknown command: %s\n\n' "$1" >&2
      usage >&2
      return 2
      ;;
  esac
}

main "$@"
