# shellcheck shell=bash
# NATS with JetStream; client and monitoring listeners on loopback.

declare_server nats "4222 8222" nats-server 30 nats-server

probe_nats() { http_ok http://127.0.0.1:8222/healthz; }

prepare_nats() {
  local dir
  dir=$(dir_of nats)
  mkdir -p "$dir/jetstream"
  cat >"$dir/nats.conf" <<EOF
server_name: tidal
listen: 127.0.0.1:4222
http: 127.0.0.1:8222
jetstream {
  store_dir: "$dir/jetstream"
  max_memory_store: 256MB
  max_file_store: 2GB
}
EOF
}

launch_nats() { spawn nats nats nats-server -c "$(dir_of nats)/nats.conf"; }

env_nats() {
  export_line TIDAL_TEST_NATS_URL "nats://127.0.0.1:4222"
  export_line TIDAL_TEST_NATS_MONITORING "127.0.0.1:8222"
}
