# shellcheck shell=bash
# etcd for the etcd scaler (client 2479, peer 2480), apart from the control plane's own etcd
# (scripts/kube.sh, 12379/12380). The binary is the one scripts/kube-build.sh builds into the
# cache for the control plane; install builds it only when that cache is empty. Authentication
# is on: user tidal (password tidal) may read and write every key; root has a random password.

declare_server etcd "2479 2480" "etcd --name tidal-services" 30

etcd_binary() { printf '%s/etcd' "$("$ROOT/scripts/kube-build.sh" --print-dir)"; }

ready_etcd() { curl -fsS --max-time 3 http://127.0.0.1:2479/health 2>/dev/null | grep -q '"health":"true"'; }

# Usable with the test credentials: tidal gets a token.
probe_etcd() {
  etcd_call auth/authenticate "{\"name\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}" | grep -q '"token"'
}

# etcd_call PATH JSON: a request to etcd's JSON gateway (/v3/PATH).
etcd_call() { curl -fsS --max-time 3 -X POST -d "$2" "http://127.0.0.1:2479/v3/$1" 2>/dev/null; }

# Users, a role for every key ("\0" to the end, base64 AA==) and authentication, once per data dir.
bootstrap_etcd() {
  local marker
  marker="$(dir_of etcd)/data/.tidal-auth"
  [[ -f $marker ]] && return 0
  etcd_call auth/role/add '{"name":"root"}' &&
    etcd_call auth/user/add "{\"name\":\"root\",\"password\":\"$(openssl rand -hex 16)\"}" &&
    etcd_call auth/user/grant '{"user":"root","role":"root"}' &&
    etcd_call auth/role/add '{"name":"readwrite"}' &&
    etcd_call auth/role/grant '{"name":"readwrite","perm":{"permType":"READWRITE","key":"AA==","range_end":"AA=="}}' &&
    etcd_call auth/user/add "{\"name\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}" &&
    etcd_call auth/user/grant "{\"user\":\"$USER_NAME\",\"role\":\"readwrite\"}" &&
    etcd_call auth/enable '{}' &&
    touch "$marker"
}

install_etcd() {
  [[ -x $(etcd_binary) ]] && return 0
  say "etcd is not built yet: building the control plane's binaries (scripts/kube-build.sh) ..."
  "$ROOT/scripts/kube-build.sh" >/dev/null
}

prepare_etcd() { mkdir -p "$(dir_of etcd)/data"; }

launch_etcd() {
  spawn etcd etcd "$(etcd_binary)" --name tidal-services --data-dir "$(dir_of etcd)/data" \
    --listen-client-urls http://127.0.0.1:2479 --advertise-client-urls http://127.0.0.1:2479 \
    --listen-peer-urls http://127.0.0.1:2480 --initial-advertise-peer-urls http://127.0.0.1:2480 \
    --initial-cluster tidal-services=http://127.0.0.1:2480 --listen-metrics-urls "" \
    --unsafe-no-fsync=true --log-level=warn
}

env_etcd() {
  export_line TIDAL_TEST_ETCD_ENDPOINT "http://127.0.0.1:2479"
  export_line TIDAL_TEST_ETCD_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_ETCD_PASSWORD "$PASSWORD"
}
