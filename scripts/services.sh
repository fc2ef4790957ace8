#!/usr/bin/env bash
# Real servers for Tidal's integration tests, each run as its own process on 127.0.0.1 only,
# with data, pid files and logs under .tidal/services/<name>/ (ignored by git). Each server is
# declared in its own file, scripts/services/<name>.sh (see "Declaring a server" below).
#
#   scripts/services.sh install [NAME...] install packages, downloads and builds; start nothing
#   scripts/services.sh start [NAME...]   install what is missing, start what is down, wait until ready
#   scripts/services.sh stop [NAME...]    stop what start started (by pid): gracefully, then forcefully
#   scripts/services.sh status [NAME...]  "NAME up|down ADDRESS" per server; non-zero if any is down
#   scripts/services.sh env               export lines with each server's address and test credentials
#
# A tool (a program tests run themselves, such as a browser) is declared the same way with
# `declare_tool`: `install` and `start` install its packages, `status` says whether it is there.
#
# Debian packages come from apt-get; other downloads and builds (jars from Maven Central, Go
# module builds, npm and PyPI packages) go to ${TIDAL_CACHE_DIR:-$HOME/.cache/tidal}/. Nothing
# else is written outside the repo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.tidal/services"
CACHE="${TIDAL_CACHE_DIR:-$HOME/.cache/tidal}"
USER_NAME=tidal
PASSWORD=tidal

# shellcheck source=scripts/ports.sh
source "$ROOT/scripts/ports.sh"

# Declaring a server: scripts/services/NAME.sh calls `declare_server` and defines functions named
# after the server, of which launch_NAME is required:
#   install_NAME    fetch or build what it runs (idempotent; cache outside the repo), after its packages
#   prepare_NAME    make config and data (idempotent), before each launch
#   launch_NAME     start the process with `spawn NAME DIR COMMAND...`
#   ready_NAME      it answers at all (default: probe_NAME)
#   bootstrap_NAME  after ready: users, databases (idempotent)
#   probe_NAME      it is up and usable with the test credentials (default: its ports accept connections)
#   env_NAME        `export_line VAR VALUE` lines for `env`
#   stop_also_NAME  stops helper processes it started, after the server itself
#   logs_NAME       where to look when it fails (default: its log of output)
# A NAME with dashes (fake-gcs) names its functions with underscores (install_fake_gcs).
SERVICES=()
TOOLS=()

# fn_of STEP NAME: the function of server NAME for STEP (dashes in NAME become underscores).
fn_of() { printf '%s_%s' "$1" "${2//-/_}"; }

declare -A PORTS=() PROCESS=() STOP_SIGNAL=() TIMEOUT=() SERVER_PACKAGES=()

# declare_server NAME PORTS PROCESS TIMEOUT [PACKAGE...]: the ports that must accept connections
# ("5672 15672"), text its process's command line contains (so a stale pid file never makes us
# signal someone else's process), how many seconds start waits for it, and the Debian packages
# it needs. STOP_SIGNAL[NAME] may name the signal that stops it gracefully (default TERM).
declare_server() {
  local name=$1
  SERVICES+=("$name")
  PORTS[$name]=$2
  PROCESS[$name]=$3
  TIMEOUT[$name]=$4
  shift 4
  SERVER_PACKAGES[$name]="$*"
}

# declare_tool NAME [PACKAGE...]: a program the tests run themselves (no process to start or
# stop), installed from Debian packages and, when defined, install_NAME; probe_NAME tells
# whether it is usable, and env_NAME may export its path.
declare_tool() {
  local name=$1
  TOOLS+=("$name")
  shift
  SERVER_PACKAGES[$name]="$*"
}

is_tool() { [[ " ${TOOLS[*]} " == *" $1 "* ]]; }

# Tools start itself uses, whatever servers are asked for.
BASE_PACKAGES=(openssl curl util-linux iproute2)

for server_file in "$ROOT"/scripts/services/*.sh; do
  # shellcheck source=/dev/null
  source "$server_file"
done
unset server_file

usage() {
  cat <<EOF
Usage: scripts/services.sh install|start|stop|status [NAME...] | env

Real servers for the integration tests, on 127.0.0.1 only, data under .tidal/services/.

  install [NAME...] install the Debian packages, downloads and builds the named servers need
                    (every server when none is named); nothing is started
  start [NAME...]   install what is missing, start each named server that is
                    down (every server when none is named) in parallel, and wait until each
                    is ready (idempotent; seconds when all are up)
  stop [NAME...]    stop the named servers (all when none is named) that start started, by
                    pid: gracefully, then forcefully
  status [NAME...]  print "NAME up|down ADDRESS" per server; exit non-zero if any is down
  env               print export lines with addresses and credentials
                    (eval "\$(scripts/services.sh env)")
  -h, --help        print this help

Servers: ${SERVICES[*]}
Tools (installed, never started): ${TOOLS[*]}
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
# without the lock descriptors, and records its pid. Returns once the pid runs the program (until
# exec the child's command line is still bash's), or once it has died.
spawn() {
  local name=$1 dir=$2 pid i
  shift 2
  printf '\n=== services.sh: %s %s at %s\n' "$name" "$*" "$(date -u +%FT%TZ)" >>"$(log_of "$dir")"
  setsid "$@" </dev/null >>"$(log_of "$dir")" 2>&1 7>&- 8>&- 9>&- &
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
  local fn
  fn=$(fn_of logs "$1")
  if declare -F "$fn" >/dev/null; then "$fn"; else log_of "$1"; fi
}

ports_open() {
  local port
  for port in ${PORTS[$1]}; do port_open "$port" || return 1; done
}

http_ok() { curl -fsS -o /dev/null --max-time 3 "$@" 2>/dev/null; }

# check NAME ready|probe: our process is alive, its ports accept connections, and the check
# function (ready_NAME falls back to probe_NAME) passes.
check() {
  local name=$1 fn
  fn=$(fn_of "$2" "$1")
  live_pid "$name" >/dev/null || return 1
  ports_open "$name" || return 1
  declare -F "$fn" >/dev/null || fn=$(fn_of probe "$name")
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
# Test certificates

# maven_distribution NAME ARTIFACT DIR: downloads a tar.gz distribution from Maven Central into
# the cache's local repository and unpacks it into DIR.
maven_distribution() {
  local name=$1 artifact=$2 dir=$3 tmp
  tmp="$dir.tmp.$$"
  say "downloading $artifact into $dir ..."
  rm -rf "$tmp"
  mkdir -p "$tmp/download"
  if ! mvn -B -q -Dmaven.repo.local="$CACHE/maven-m2" dependency:copy -Dartifact="$artifact" \
    -DoutputDirectory="$tmp/download" >"$tmp.log" 2>&1 ||
    ! tar -xzf "$tmp"/download/*.tar.gz -C "$tmp" >>"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not download and unpack $artifact (output above)"
    return 1
  fi
  rm -rf "$tmp/download" "$tmp.log"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  say "unpacked $name into $dir"
}

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

# make_test_client_tls DIR LOG: a client certificate (CN tidal) signed by the CA of
# make_test_tls in DIR: client.crt, client.key, and client.enc.key (the same key as encrypted
# PKCS#8, passphrase tidal-test), unless they are there already.
make_test_client_tls() {
  local tls=$1 log=$2
  [[ -f $tls/client.crt && -f $tls/client.key && -f $tls/client.enc.key ]] && return 0
  say "generating a test client certificate in $tls ..."
  (
    cd "$tls" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=tidal" \
        -keyout client.key.tmp -out client.csr &&
      printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature" >client.ext &&
      openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile client.ext -out client.crt.tmp &&
      openssl pkcs8 -topk8 -in client.key.tmp -v2 aes-256-cbc -passout pass:tidal-test \
        -out client.enc.key.tmp &&
      mv client.key.tmp client.key && mv client.enc.key.tmp client.enc.key &&
      mv client.crt.tmp client.crt
  ) >>"$log" 2>&1 || {
    rm -f "$tls"/client.*
    fail "openssl failed; see $log"
    return 1
  }
}

# make_test_oauth_key DIR LOG: an RSA key that test token endpoints sign JWTs with
# (signing.key, PKCS#8), its public key (signing.pub) and a JWKS holding it (jwks.json, key id
# tidal-test), unless they are there already.
make_test_oauth_key() {
  local dir=$1 log=$2
  [[ -f $dir/signing.key && -f $dir/signing.pub && -f $dir/jwks.json ]] && return 0
  say "generating a test token signing key in $dir ..."
  mkdir -p "$dir"
  (
    cd "$dir" &&
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out signing.key.tmp &&
      openssl pkey -in signing.key.tmp -pubout -out signing.pub.tmp &&
      node -e '
        const { createPublicKey } = require("node:crypto");
        const { readFileSync, writeFileSync } = require("node:fs");
        const jwk = createPublicKey(readFileSync("signing.pub.tmp")).export({ format: "jwk" });
        writeFileSync("jwks.json.tmp", JSON.stringify({ keys: [{ ...jwk, kid: "tidal-test", alg: "RS256", use: "sig" }] }));
      ' &&
      mv signing.pub.tmp signing.pub && mv jwks.json.tmp jwks.json && mv signing.key.tmp signing.key
  ) >>"$log" 2>&1 || {
    rm -f "$dir"/signing.* "$dir"/jwks.json*
    fail "generating the signing key failed; see $log"
    return 1
  }
}

# ---------------------------------------------------------------------------------------------
# Installation

# missing_packages PACKAGE...: those not installed.
missing_packages() {
  local pkg status
  for pkg in "$@"; do
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

# ensure_packages NAME...: the Debian packages the named servers need; one apt run at a time.
ensure_packages() {
  local name wanted=("${BASE_PACKAGES[@]}") missing rc=0
  for name in "$@"; do
    # shellcheck disable=SC2206 # the package list splits into words
    wanted+=(${SERVER_PACKAGES[$name]})
  done
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  ((${#missing[@]} == 0)) && return 0
  exec 7>"$STATE/.lock-apt"
  flock 7
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  if ((${#missing[@]} > 0)); then
    say "installing debian packages: ${missing[*]} ..."
    apt_install "${missing[@]}" || rc=$?
  fi
  exec 7>&-
  ((rc == 0)) || fail "apt-get install ${missing[*]} failed"
}

# ---------------------------------------------------------------------------------------------
# Commands

# start_one NAME: prepare, launch, wait, bootstrap, holding NAME's lock so that two start runs
# never launch it twice; run in a background subshell per server, where errexit ends it at the
# first failing step (each names its log).
start_one() {
  local name=$1
  mkdir -p "$(dir_of "$name")"
  exec 8>"$STATE/.lock-$name"
  flock 8
  if is_up "$name"; then
    say "$name is up on $(address_of "$name")"
    return 0
  fi
  if ! live_pid "$name" >/dev/null; then
    local taken
    # shellcheck disable=SC2086 # the port list splits into arguments
    if taken=$(taken_port ${PORTS[$name]}); then
      fail "$name cannot start: $taken. If another checkout's test servers hold it, run" \
        "scripts/services.sh stop there; otherwise stop that process. Then run start again."
      return 1
    fi
    if declare -F "$(fn_of prepare "$name")" >/dev/null; then "$(fn_of prepare "$name")"; fi
    say "starting $name ..."
    "$(fn_of launch "$name")"
  else
    say "waiting for $name ..."
  fi
  wait_ready "$name" || return 1
  if declare -F "$(fn_of bootstrap "$name")" >/dev/null; then
    "$(fn_of bootstrap "$name")" >>"$(log_of "$name")" 2>&1 ||
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

# selected NAME...: sets NAMES to the named servers (every server when none is named); fails on
# a name that is not a server.
selected() {
  NAMES=()
  if (($# == 0)); then
    NAMES=("${SERVICES[@]}")
    return 0
  fi
  local name
  for name in "$@"; do
    if [[ " ${SERVICES[*]} ${TOOLS[*]} " != *" $name "* ]]; then
      fail "unknown server \"$name\"; servers: ${SERVICES[*]}; tools: ${TOOLS[*]}"
      return 2
    fi
    NAMES+=("$name")
  done
}

# install_all NAME...: packages, then each server's own downloads and builds, in parallel.
install_all() {
  local name pids=() rc=0
  ensure_packages "$@"
  for name in "$@"; do
    if declare -F "$(fn_of install "$name")" >/dev/null; then
      (
        exec 8>"$STATE/.lock-install-$name"
        flock 8
        "$(fn_of install "$name")"
      ) &
      pids+=("$!")
    fi
  done
  for name in "${pids[@]}"; do wait "$name" || rc=1; done
  return "$rc"
}

cmd_install() {
  selected "$@" || return
  (($# > 0)) || NAMES+=("${TOOLS[@]}")
  mkdir -p "$STATE"
  install_all "${NAMES[@]}"
}

# split_tools: moves the tools out of NAMES into TOOL_NAMES.
split_tools() {
  local name servers=()
  TOOL_NAMES=()
  for name in "${NAMES[@]}"; do
    if is_tool "$name"; then TOOL_NAMES+=("$name"); else servers+=("$name"); fi
  done
  NAMES=("${servers[@]}")
}

# install_tools NAME...: installs the tools and checks each one works.
install_tools() {
  (($# > 0)) || return 0
  install_all "$@"
  local name
  for name in "$@"; do
    if declare -F "$(fn_of probe "$name")" >/dev/null && ! "$(fn_of probe "$name")"; then
      fail "$name is installed but does not run; see the output above"
      return 1
    fi
  done
}

cmd_start() {
  selected "$@" || return
  mkdir -p "$STATE"
  split_tools
  install_tools "${TOOL_NAMES[@]}" || return
  ((${#NAMES[@]} > 0)) || return 0
  local name pids=() names=() i rc=0 began=$SECONDS todo=()
  for name in "${NAMES[@]}"; do is_up "$name" || todo+=("$name"); done
  if ((${#todo[@]} == 0)); then
    if ((${#NAMES[@]} == 1)); then say "${NAMES[0]} is up"; else say "all ${#NAMES[@]} servers are up"; fi
    return 0
  fi
  install_all "${todo[@]}"
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

stop_one() {
  mkdir -p "$(dir_of "$1")"
  exec 8>"$STATE/.lock-$1"
  flock 8
  stop_pid "$1"
  if declare -F "$(fn_of stop_also "$1")" >/dev/null; then "$(fn_of stop_also "$1")"; fi
}

cmd_stop() {
  selected "$@" || return
  split_tools
  local name
  for name in "${NAMES[@]}"; do stop_one "$name" & done
  wait
}

cmd_status() {
  selected "$@" || return
  split_tools
  local name state rc=0
  for name in "${TOOL_NAMES[@]}"; do
    if [[ -z $(missing_packages ${SERVER_PACKAGES[$name]}) ]]; then state=installed; else
      state=missing
      rc=1
    fi
    printf '%-10s %s\n' "$name" "$state"
  done
  for name in "${NAMES[@]}"; do
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
  local name
  for name in "${SERVICES[@]}" "${TOOLS[@]}"; do
    if declare -F "$(fn_of env "$name")" >/dev/null; then "$(fn_of env "$name")"; fi
  done
}

main() {
  local command=${1:-}
  (($# == 0)) || shift
  case "$command" in
    install) cmd_install "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env ;;
    -h | --help) usage ;;
    "")
      usage >&2
      return 2
      ;;
    *)
      printf 'services: unknown command: %s\n\n' "$command" >&2
      usage >&2
      return 2
      ;;
  esac
}

main "$@"
