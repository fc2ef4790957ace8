#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for Tidal's e2e tests: etcd, kube-apiserver (with
# the aggregation layer), kube-controller-manager, kube-scheduler and kwok (one fake Node), built
# from Go modules by scripts/kube-build.sh and cached outside the repository.
#
# Usage: scripts/kube.sh up|down|status|env|help
#   up      build the binaries if needed, start everything, wait until healthy (no-op when up)
#   down    stop what `up` started (by pid) and remove its state
#   status  one line per component: NAME up|down ADDRESS; exits 1 if any is down
#   env     print `export KUBECONFIG=...` and put the built kubectl first on PATH
#
# Settings (environment): TIDAL_KUBE_HPA_SYNC_PERIOD (default 2s), TIDAL_KUBE_APISERVER_PORT
# (default 16443; the controller manager, scheduler and kwok's kubelet API take the next three),
# TIDAL_KUBE_ETCD_PORT (default 12379), TIDAL_CACHE_DIR (binary cache).
#
# kwok also serves the fake Node's kubelet API on 127.0.0.1 (the Node's InternalIP), so the
# apiserver's pods/portforward works: a kwok.x-k8s.io PortForward object maps a fake Pod's port to
# a process on this machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.tidal/kube"
pki="$state/pki"
logs="$state/logs"
pids="$state/pids"
kubeconfig="$state/admin.kubeconfig"
apiserver_port=${TIDAL_KUBE_APISERVER_PORT:-16443}
etcd_port=${TIDAL_KUBE_ETCD_PORT:-12379}
etcd_peer_port=$((etcd_port + 1))
controller_manager_port=$((apiserver_port + 1))
scheduler_port=$((apiserver_port + 2))
kubelet_port=$((apiserver_port + 3))
hpa_sync_period=${TIDAL_KUBE_HPA_SYNC_PERIOD:-2s}
node_name=kwok-node-0
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# shellcheck source=scripts/ports.sh
source "$root/scripts/ports.sh"

usage() { awk '/^# Usage:/ {on = 1} on && !/^#/ {exit} on {sub(/^# ?/, ""); print}' "$0"; }
log() { echo "kube: $*" >&2; }
die() { echo "kube: $*" >&2; exit 1; }

bin_dir() { "$root/scripts/kube-build.sh" --print-dir; }

address_of() {
  case "$1" in
    etcd) echo "http://127.0.0.1:$etcd_port" ;;
    kube-apiserver) echo "https://127.0.0.1:$apiserver_port" ;;
    kube-controller-manager) echo "https://127.0.0.1:$controller_manager_port" ;;
    kube-scheduler) echo "https://127.0.0.1:$scheduler_port" ;;
    kwok) echo "node/$node_name" ;;
  esac
}

ports_of() {
  case $1 in
    etcd) echo "$etcd_port $etcd_peer_port" ;;
    kube-apiserver) echo "$apiserver_port" ;;
    kube-controller-manager) echo "$controller_manager_port" ;;
    kube-scheduler) echo "$scheduler_port" ;;
    kwok) echo "$kubelet_port" ;;
  esac
}

pid_alive() { [ -f "$pids/$1" ] && kill -0 "$(cat "$pids/$1")" 2>/dev/null; }

healthy() {
  case "$1" in
    etcd) curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"' ;;
    kube-apiserver) curl -sf --max-time 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
      "https://127.0.0.1:$apiserver_port/readyz" | grep -qx ok ;;
    kube-controller-manager) curl -skf --max-time 2 "https://127.0.0.1:$controller_manager_port/healthz" | grep -qx ok ;;
    kube-scheduler) curl -skf --max-time 2 "https://127.0.0.1:$scheduler_port/healthz" | grep -qx ok ;;
    kwok) "$(bin_dir)/kubectl" --kubeconfig "$kubeconfig" get node "$node_name" \
      -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True ;;
  esac
}

component_up() { pid_alive "$1" && healthy "$1"; }

wait_for() { # NAME TIMEOUT_SECONDS
  local deadline=$((SECONDS + $2))
  until healthy "$1"; do
    pid_alive "$1" || die "$1 exited during start-up; see $logs/$1.log"
    [ $SECONDS -lt "$deadline" ] || die "$1 not healthy after $2 s; see $logs/$1.log"
    sleep 0.5
  done
}

start_process() { # NAME COMMAND...
  local name=$1; shift
  # setsid: the component gets its own process group, so `down` stops it and its children only.
  setsid "$@" >>"$logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$pids/$name"
}

# ---- certificates ------------------------------------------------------------------------------

issue_cert() { # NAME CA SUBJECT EXTENSIONS
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -subj "$3" -out "$pki/$1.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.crt" -CAkey "$pki/$2.key" -CAcreateserial -days 7 \
    -extfile <(printf '%s\n' "$4") -out "$pki/$1.crt" 2>/dev/null
  rm -f "$pki/$1.csr"
}

make_ca() { # NAME CN
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -subj "/CN=$2" -days 7 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$pki/$1.crt" 2>/dev/null
}

generate_pki() {
  [ -f "$pki/.complete" ] && return 0
  log "generating throw-away certificates and keys"
  mkdir -p "$pki"
  make_ca ca tidal-kube-ca
  make_ca front-proxy-ca tidal-front-proxy-ca
  issue_cert apiserver ca "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  issue_cert admin ca "/O=system:masters/CN=tidal-admin" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  issue_cert front-proxy-client front-proxy-ca "/CN=front-proxy-client" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  touch "$pki/.complete"
}

write_kubeconfig() {
  local ca cert key
  ca=$(base64 -w0 < "$pki/ca.crt"); cert=$(base64 -w0 < "$pki/admin.crt"); key=$(base64 -w0 < "$pki/admin.key")
  cat > "$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tidal-local
  cluster:
    server: https://127.0.0.1:$apiserver_port
    certificate-authority-data: $ca
users:
- name: tidal-admin
  user:
    client-certificate-data: $cert
    client-key-data: $key
contexts:
- name: tidal-local
  context: {cluster: tidal-local, user: tidal-admin, namespace: default}
current-context: tidal-local
EOF
  chmod 600 "$kubeconfig"
}

# ---- components --------------------------------------------------------------------------------

start_etcd() {
  mkdir -p "$state/etcd"
  start_process etcd "$1/etcd" --name tidal --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "tidal=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync=true --log-level=warn
}

start_apiserver() {
  # The advertise address is never dialled (the endpoint reconciler is off); it only has to be a
  # non-loopback IP, which machines without a default route cannot derive on their own.
  start_process kube-apiserver "$1/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 --secure-port "$apiserver_port" \
    --advertise-address 192.0.2.10 --endpoint-reconciler-type none \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --disable-admission-plugins ServiceAccount,TaintNodesByCondition \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --allow-privileged=true --enable-priority-and-fairness=false --profiling=false --v=1
}

start_controller_manager() {
  start_process kube-controller-manager "$1/kube-controller-manager" --kubeconfig "$kubeconfig" \
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$controller_manager_port" \
    --controllers deployment-controller,replicaset-controller,statefulset-controller,job-controller,horizontal-pod-autoscaler-controller,namespace-controller,garbage-collector-controller,disruption-controller \
    --horizontal-pod-autoscaler-sync-period "$hpa_sync_period" \
    --leader-elect=false --use-service-account-credentials=false --kube-api-qps 100 --kube-api-burst 200 --v=1
}

start_scheduler() {
  start_process kube-scheduler "$1/kube-scheduler" --kubeconfig "$kubeconfig" \
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$scheduler_port" --leader-elect=false --v=1
}

kwok_dir() { # the pinned kwok module's source in the Go module cache
  local dir
  dir=$(cd "$root/test/kube" && go mod download -json sigs.k8s.io/kwok | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || die "cannot find the kwok module in the Go module cache"
  echo "$dir"
}

kwok_stages() { # the fast node and pod stages shipped inside the pinned kwok module
  local dir file
  dir=$(kwok_dir)
  for file in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cat "$dir/kustomize/stage/$file"; echo "---"
  done > "$state/kwok-stages.yaml"
}

start_kwok() {
  kwok_stages
  # The PortForward resource kwok reads: which fake Pod port goes to which address here.
  "$1/kubectl" --kubeconfig "$kubeconfig" apply -f "$(kwok_dir)/kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml" >/dev/null
  # HOME is pointed at the state dir so no ~/.kwok/kwok.yaml from the machine leaks in. The kubelet
  # API (port-forward) listens on loopback with a self-signed certificate; the apiserver dials the
  # Node's InternalIP, 127.0.0.1, and does not verify kubelets' certificates here.
  HOME="$state" start_process kwok "$1/kwok" --kubeconfig "$kubeconfig" --config "$state/kwok-stages.yaml" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --cidr 10.244.0.0/16 --node-ip 127.0.0.1 \
    --node-port "$kubelet_port" --server-address "127.0.0.1:$kubelet_port" --enable-crds PortForward
  "$1/kubectl" --kubeconfig "$kubeconfig" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node_name
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: $node_name, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "500"}
  capacity: {cpu: "64", memory: 256Gi, pods: "500"}
EOF
}

# ---- commands ----------------------------------------------------------------------------------

cmd_up() {
  local all_up=1 name
  for name in "${components[@]}"; do component_up "$name" || all_up=0; done
  if [ $all_up = 1 ]; then log "already up (KUBECONFIG=$kubeconfig)"; return 0; fi
  local started=$SECONDS bin taken
  for name in "${components[@]}"; do
    pid_alive "$name" && continue
    # shellcheck disable=SC2046 # the port list splits into arguments
    if taken=$(taken_port $(ports_of "$name")); then
      die "$name cannot start: $taken. If another checkout's control plane holds it, run" \
        "scripts/kube.sh down there; otherwise stop that process or choose other ports" \
        "(TIDAL_KUBE_APISERVER_PORT, TIDAL_KUBE_ETCD_PORT). Then run up again."
    fi
  done
  command -v openssl >/dev/null || die "openssl is required"
  bin=$("$root/scripts/kube-build.sh")
  mkdir -p "$logs" "$pids"
  generate_pki
  write_kubeconfig
  if ! component_up etcd; then log "starting etcd"; start_etcd "$bin"; wait_for etcd 60; fi
  if ! component_up kube-apiserver; then log "starting kube-apiserver"; start_apiserver "$bin"; wait_for kube-apiserver 180; fi
  if ! component_up kube-controller-manager; then
    log "starting kube-controller-manager (HPA sync period $hpa_sync_period)"; start_controller_manager "$bin"
  fi
  if ! component_up kube-scheduler; then log "starting kube-scheduler"; start_scheduler "$bin"; fi
  wait_for kube-controller-manager 120
  wait_for kube-scheduler 120
  if ! component_up kwok; then log "starting kwok with node $node_name"; pid_alive kwok || start_kwok "$bin"; wait_for kwok 120; fi
  log "up in $((SECONDS - started)) s; run: eval \"\$(scripts/kube.sh env)\""
}

stop_pid() { # NAME
  local pid
  pid_alive "$1" || { rm -f "$pids/$1"; return 0; }
  pid=$(cat "$pids/$1")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pids/$1"
}

cmd_down() {
  local index
  for ((index = ${#components[@]} - 1; index >= 0; index--)); do
    if pid_alive "${components[$index]}"; then log "stopping ${components[$index]}"; fi
    stop_pid "${components[$index]}"
  done
  rm -rf "$state"
  log "down"
}

cmd_status() {
  local name down=0
  for name in "${components[@]}"; do
    if component_up "$name"; then echo "$name up $(address_of "$name")"; else echo "$name down $(address_of "$name")"; down=1; fi
  done
  return $down
}

cmd_env() {
  echo "export KUBECONFIG=$kubeconfig"
  echo "export PATH=$(bin_dir):\$PATH"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h|--help|help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "kube: unknown command: $1" >&2; usage >&2; exit 2 ;;
esac
