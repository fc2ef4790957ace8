# shellcheck shell=bash
# RabbitMQ with the management plugin. The tidal user is the default user the node creates
# when its database is new. Node name tidal@localhost; AMQP, management, the Erlang
# distribution port and epmd all on loopback. HOME holds the node's Erlang cookie.
# TLS: AMQPS on 5671 requires a client certificate, the management API over HTTPS on 15671
# accepts one; both from a throw-away CA whose files `env` names. OAuth 2.0: the
# rabbitmq_auth_backend_oauth2 plugin accepts RS256 JWTs signed with the key `env` names (key id
# tidal-test, audience rabbitmq, scopes such as rabbitmq.tag:monitoring rabbitmq.read:*/*), after
# the internal users.

declare_server rabbitmq "5672 15672 5671 15671" rabbitmq-server 180 rabbitmq-server
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
  make_test_tls "$dir/tls" "$(log_of rabbitmq)"
  make_test_client_tls "$dir/tls" "$(log_of rabbitmq)"
  make_test_oauth_key "$dir/oauth" "$(log_of rabbitmq)"
  : >"$dir/rabbitmq-env.conf"
  echo '[].' >"$dir/advanced.config"
  echo '[rabbitmq_management,rabbitmq_auth_backend_oauth2].' >"$dir/enabled_plugins"
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
listeners.ssl.1 = 127.0.0.1:5671
ssl_options.cacertfile = $dir/tls/ca.crt
ssl_options.certfile = $dir/tls/server.crt
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
management.ssl.ip = 127.0.0.1
management.ssl.port = 15671
management.ssl.cacertfile = $dir/tls/ca.crt
management.ssl.certfile = $dir/tls/server.crt
management.ssl.keyfile = $dir/tls/server.key
management.ssl.verify = verify_peer
management.ssl.fail_if_no_peer_cert = false
auth_backends.1 = internal
auth_backends.2 = rabbit_auth_backend_oauth2
auth_oauth2.resource_server_id = rabbitmq
auth_oauth2.default_key = tidal-test
auth_oauth2.signing_keys.tidal-test = $dir/oauth/signing.pub
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
  export_line TIDAL_TEST_RABBITMQ_AMQPS_URL "amqps://$USER_NAME:$PASSWORD@localhost:5671/"
  export_line TIDAL_TEST_RABBITMQ_MANAGEMENT_HTTPS_URL "https://$USER_NAME:$PASSWORD@localhost:15671"
  export_line TIDAL_TEST_RABBITMQ_TLS_DIR "$(dir_of rabbitmq)/tls"
  export_line TIDAL_TEST_RABBITMQ_OAUTH_KEY_FILE "$(dir_of rabbitmq)/oauth/signing.key"
}
