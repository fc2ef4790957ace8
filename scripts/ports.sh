# shellcheck shell=bash
# Sourced by services.sh and kube.sh: whether a loopback port is taken, and by whom.

# port_open PORT: something accepts connections on 127.0.0.1:PORT.
port_open() { timeout 2 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# port_owner PORT: "PROGRAM (pid N)" of the listener on PORT when ss can tell, else nothing.
port_owner() {
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null |
    sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1
}

# taken_port PORT...: prints "127.0.0.1:PORT is already in use[ by PROGRAM (pid N)]" for the
# first port that is taken and succeeds; fails when all are free.
taken_port() {
  local port owner
  for port in "$@"; do
    port_open "$port" || continue
    owner=$(port_owner "$port")
    printf '127.0.0.1:%s is already in use%s' "$port" "${owner:+ by $owner}"
    return 0
  done
  return 1
}
