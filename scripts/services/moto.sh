# shellcheck shell=bash
# moto (PyPI) in server mode: AWS's APIs (SQS, DynamoDB and its streams, Kinesis, CloudWatch,
# STS, Secrets Manager, IAM) on one port, all data in memory. Any credentials are accepted.
# Installed with pip into a virtual environment in the cache (Python 3 from PATH).

MOTO_VERSION=5.2.5
MOTO_VENV="$CACHE/moto/$MOTO_VERSION/venv"
declare_server moto "5010" "moto_server -H 127.0.0.1 -p 5010" 60

probe_moto() { http_ok http://127.0.0.1:5010/moto-api/data.json; }

# The virtual environment with moto[server] at the pinned version; shared with moto-iam, whose
# install runs beside this one: a lock on the version makes the second wait and find it done.
install_moto() {
  [[ -f $MOTO_VENV/.complete ]] && return 0
  mkdir -p "$CACHE/moto"
  (
    exec 6>"$CACHE/moto/.lock-$MOTO_VERSION"
    flock 6
    [[ -f $MOTO_VENV/.complete ]] && exit 0
    say "installing moto[server] $MOTO_VERSION into $MOTO_VENV ..."
    local log="$CACHE/moto/$MOTO_VERSION/install.log"
    rm -rf "$MOTO_VENV"
    mkdir -p "$(dirname "$MOTO_VENV")"
    if ! { python3 -m venv "$MOTO_VENV" &&
      "$MOTO_VENV/bin/pip" install --disable-pip-version-check --no-input "moto[server]==$MOTO_VERSION"; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      rm -rf "$MOTO_VENV"
      fail "could not install moto $MOTO_VERSION (python3 -m venv and pip; output above, full log $log)"
      exit 1
    fi
    touch "$MOTO_VENV/.complete"
  )
}

# spawn_moto NAME PORT [VAR=VALUE...]: moto_server on 127.0.0.1:PORT with the given environment.
spawn_moto() {
  local name=$1 port=$2
  shift 2
  install_moto || return 1
  spawn "$name" "$name" env "$@" "$MOTO_VENV/bin/python" "$MOTO_VENV/bin/moto_server" \
    -H 127.0.0.1 -p "$port"
}

launch_moto() { spawn_moto moto 5010; }

env_moto() { export_line TIDAL_TEST_MOTO_URL "http://127.0.0.1:5010"; }
