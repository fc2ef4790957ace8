# shellcheck shell=bash
# Prometheus scraping itself, so queries always have data. Tests backfill days of history into
# its data folder (TIDAL_TEST_PROMETHEUS_DATA) with promtool's create-blocks-from openmetrics;
# Prometheus loads new blocks within a minute (test/support/prometheus-backfill.ts).

declare_server prometheus "9090" prometheus 60 prometheus

probe_prometheus() { http_ok http://127.0.0.1:9090/-/ready; }

prepare_prometheus() {
  local dir
  dir=$(dir_of prometheus)
  mkdir -p "$dir/data"
  cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:9090"]
EOF
}

launch_prometheus() {
  local dir
  dir=$(dir_of prometheus)
  spawn prometheus prometheus prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" --web.listen-address=127.0.0.1:9090 \
    --web.enable-remote-write-receiver
}

env_prometheus() {
  export_line TIDAL_TEST_PROMETHEUS_URL "http://127.0.0.1:9090"
  export_line TIDAL_TEST_PROMETHEUS_DATA "$(dir_of prometheus)/data"
}
