# shellcheck shell=bash
# Redis Sentinel: a master on 127.0.0.1:6390, its replica on 6391, and one sentinel on 26379
# that monitors them as "mymaster". The data nodes need no password; the sentinel asks for
# password tidal (user default), so sentinelPassword is exercised.

declare_server redis-sentinel "6390 6391 26379" redis-server 30 redis-server redis-tools
# The master and the replica run as their own processes, with their pid files in redis-sentinel's folder.
PROCESS[redis-sentinel-master]=redis-server
PROCESS[redis-sentinel-replica]=redis-server

stop_also_redis_sentinel() {
  stop_pid redis-sentinel-replica redis-sentinel & stop_pid redis-sentinel-master redis-sentinel & wait
}

redis_sentinel_cli() { timeout 3 redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }

ready_redis_sentinel() {
  [[ $(redis_sentinel_cli 6390 ping) == PONG && $(redis_sentinel_cli 6391 ping) == PONG &&
    $(redis_sentinel_cli 26379 --user default --pass "$PASSWORD" --no-auth-warning ping) == PONG ]]
}

# The sentinel names the master, and the master has its replica in sync.
probe_redis_sentinel() {
  ready_redis_sentinel || return 1
  [[ $(redis_sentinel_cli 26379 --user default --pass "$PASSWORD" --no-auth-warning \
    sentinel get-master-addr-by-name mymaster | head -n 1) == 127.0.0.1 ]] || return 1
  [[ $(redis_sentinel_cli 6390 info replication) == *connected_slaves:1* ]]
}

redis_sentinel_node_conf() { # PORT DIR [EXTRA LINE]
  cat <<CONF
bind 127.0.0.1
port $1
protected-mode yes
daemonize no
dir $2
logfile ""
save ""
appendonly no
${3:-}
CONF
}

# Fresh config files at each launch: the sentinel rewrites its own file as it learns, and a
# restart starts again from master 6390 and replica 6391.
prepare_redis_sentinel() {
  local dir
  dir=$(dir_of redis-sentinel)
  mkdir -p "$dir/master" "$dir/replica" "$dir/sentinel"
  redis_sentinel_node_conf 6390 "$dir/master" >"$dir/master/redis.conf"
  redis_sentinel_node_conf 6391 "$dir/replica" "replicaof 127.0.0.1 6390" >"$dir/replica/redis.conf"
  cat >"$dir/sentinel/sentinel.conf" <<CONF
bind 127.0.0.1
port 26379
daemonize no
dir $dir/sentinel
logfile ""
requirepass $PASSWORD
sentinel monitor mymaster 127.0.0.1 6390 1
sentinel down-after-milliseconds mymaster 5000
sentinel failover-timeout mymaster 60000
CONF
}

launch_redis_sentinel() {
  local dir
  dir=$(dir_of redis-sentinel)
  live_pid redis-sentinel-master redis-sentinel >/dev/null ||
    spawn redis-sentinel-master redis-sentinel redis-server "$dir/master/redis.conf"
  live_pid redis-sentinel-replica redis-sentinel >/dev/null ||
    spawn redis-sentinel-replica redis-sentinel redis-server "$dir/replica/redis.conf"
  spawn redis-sentinel redis-sentinel redis-server "$dir/sentinel/sentinel.conf" --sentinel
}

env_redis_sentinel() {
  export_line TIDAL_TEST_REDIS_SENTINEL "127.0.0.1:26379"
  export_line TIDAL_TEST_REDIS_SENTINEL_MASTER mymaster
  export_line TIDAL_TEST_REDIS_SENTINEL_PASSWORD "$PASSWORD"
}
