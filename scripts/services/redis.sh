# shellcheck shell=bash
# Redis

declare_server redis "6379 6380" redis-server 30 redis-server redis-tools

probe_redis() { [[ $(timeout 3 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]; }

prepare_redis() {
  local dir
  dir=$(dir_of redis)
  make_test_tls "$dir/tls" "$(log_of redis)" || return 1
  make_test_client_tls "$dir/tls" "$(log_of redis)" || return 1
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

env_redis() {
  export_line TIDAL_TEST_REDIS_URL "redis://127.0.0.1:6379"
  export_line TIDAL_TEST_REDIS_TLS_URL "rediss://127.0.0.1:6380"
  export_line TIDAL_TEST_REDIS_CA_FILE "$(dir_of redis)/tls/ca.crt"
  export_line TIDAL_TEST_REDIS_TLS_DIR "$(dir_of redis)/tls"
}
