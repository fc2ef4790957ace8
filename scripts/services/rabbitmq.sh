# shellcheck shell=bash
# RabbitMQ with the management plugin. The tidal user is the default user the node creates
# when its database is new. Node name tidal@localhost; AMQP, management, the Erlang
# distribution port and epmd all on loopback. HOME holds the node's Erlang cookie.

declare_server rabbitmq "5672 15672" rabbitmq-server 180 rabbitmq-server
PORTS[epmd]=4369
PROCESS[epmd]=epmd

probe_rabbitmq() { http_ok -u "$USER_NAME:$PASSWORD" http://127.0.0.1:15672/api/overview; }
logs_rabbitmq() { printf '%s and %s' "$(log_of rabbitmq)" "$(dir_of rabbitmq)/log/"; }
# epmd, which rabbitmq-server needs, runs as its own process with its pid file in rabbitmq's folder.
stop_also_rabbitmq() { stop_pid epmd rabbitmq; }

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
    "ERL_EPMD_ADDRESS=127.0.0.1" "ERL_EPMD_PORT=4369" "ERL_CRASH_DUMP=$dir/erl_crash.dump"
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

env_rabbitmq() {
  export_line TIDAL_TEST_RABBITMQ_URL "amqp://$USER_NAME:$PASSWORD@127.0.0.1:5672/"
  export_line TIDAL_TEST_RABBITMQ_MANAGEMENT_URL "http://$USER_NAME:$PASSWORD@127.0.0.1:15672"
}
