# shellcheck shell=bash
# A Redis Cluster of three masters on 127.0.0.1:7000-7002 (cluster bus 17000-17002), no
# replicas, no authentication. Each node keeps its cluster state in its own folder, so a restart
# rejoins the same cluster; bootstrap creates the cluster once (redis-cli --cluster create).

REDIS_CLUSTER_PORTS=(7000 7001 7002)
declare_server redis-cluster "7000 7001 7002 17000 17001 17002" redis-server 30 redis-server redis-tools
# Nodes 7001 and 7002 run as their own processes, with their pid files in redis-cluster's folder.
PROCESS[redis-cluster-7001]=redis-server
PROCESS[redis-cluster-7002]=redis-server

stop_also_redis_cluster() { stop_pid redis-cluster-7001 redis-cluster & stop_pid redis-cluster-7002 redis-cluster & wait; }

redis_cluster_cli() { timeout 3 redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }

# Every node answers.
ready_redis_cluster() {
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do [[ $(redis_cluster_cli "$port" ping) == PONG ]] || return 1; done
}

# Every node sees the cluster as complete: all slots served, three masters known.
probe_redis_cluster() {
  local port info
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    info=$(redis_cluster_cli "$port" cluster info) || return 1
    [[ $info == *cluster_state:ok* && $info == *cluster_known_nodes:3* ]] || return 1
  done
}

prepare_redis_cluster() {
  local port dir
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    dir="$(dir_of redis-cluster)/$port"
    mkdir -p "$dir"
    cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
cluster-enabled yes
cluster-config-file $dir/nodes.conf
cluster-node-timeout 5000
protected-mode yes
daemonize no
dir $dir
logfile ""
save ""
appendonly no
CONF
  done
}

launch_redis_cluster() {
  local dir port
  dir=$(dir_of redis-cluster)
  for port in 7001 7002; do
    live_pid "redis-cluster-$port" redis-cluster >/dev/null ||
      spawn "redis-cluster-$port" redis-cluster redis-server "$dir/$port/redis.conf"
  done
  spawn redis-cluster redis-cluster redis-server "$dir/7000/redis.conf"
}

# Creates the cluster when the nodes do not know each other yet; then waits until every node
# agrees that it is complete.
bootstrap_redis_cluster() {
  local i
  if [[ $(redis_cluster_cli 7000 cluster info) != *cluster_known_nodes:3* ]]; then
    redis-cli --cluster create 127.0.0.1:7000 127.0.0.1:7001 127.0.0.1:7002 \
      --cluster-replicas 0 --cluster-yes || return 1
  fi
  for ((i = 0; i < 100; i++)); do
    probe_redis_cluster && return 0
    sleep 0.2
  done
  return 1
}

env_redis_cluster() { export_line TIDAL_TEST_REDIS_CLUSTER_NODES "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002"; }
