# shellcheck shell=bash
# A second NATS with JetStream whose monitoring endpoint speaks HTTPS (a throw-away CA's
# certificate for 127.0.0.1 and localhost), for KEDA's useHttps. nats-server serves monitoring
# over either HTTP or HTTPS, never both, hence a server of its own; its client port offers TLS and
# still takes plain text (allow_non_tls), so tests create streams as they do on nats.

declare_server nats-tls "4223 8223" nats-tls/nats.conf 30 nats-server

probe_nats_tls() { http_ok --cacert "$(dir_of nats-tls)/tls/ca.crt" https://127.0.0.1:8223/healthz; }

prepare_nats_tls() {
  local dir
  dir=$(dir_of nats-tls)
  mkdir -p "$dir/jetstream"
  make_test_tls "$dir/tls" "$(log_of nats-tls)" || return 1
  cat >"$dir/nats.conf" <<CONF
server_name: tidal-tls
listen: 127.0.0.1:4223
https: 127.0.0.1:8223
allow_non_tls: true
tls {
  cert_file: "$dir/tls/server.crt"
  key_file: "$dir/tls/server.key"
}
jetstream {
  store_dir: "$dir/jetstream"
  max_memory_store: 64MB
  max_file_store: 256MB
}
CONF
}

launch_nats_tls() { spawn nats-tls nats-tls nats-server -c "$(dir_of nats-tls)/nats.conf"; }

env_nats_tls() {
  export_line TIDAL_TEST_NATS_TLS_URL "nats://127.0.0.1:4223"
  export_line TIDAL_TEST_NATS_TLS_MONITORING "127.0.0.1:8223"
  export_line TIDAL_TEST_NATS_TLS_CA_FILE "$(dir_of nats-tls)/tls/ca.crt"
}
