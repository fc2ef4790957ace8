# shellcheck shell=bash
# ClickHouse from Debian's clickhouse-server package (18.16) on loopback: the HTTP interface on
# 127.0.0.1:8123 (what Tidal's clickhouse scaler speaks) and the native protocol on 9000. One user,
# tidal (password tidal), whose default database is default; data under .tidal/services/clickhouse/.

declare_server clickhouse "8123 9000" clickhouse-server 60 clickhouse-server

prepare_clickhouse() {
  local dir
  dir=$(dir_of clickhouse)
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files"
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>8123</http_port>
  <tcp_port>9000</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
</yandex>
XML
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users>
    <$USER_NAME>
      <password>$PASSWORD</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </$USER_NAME>
  </users>
  <quotas><default/></quotas>
</yandex>
XML
}

launch_clickhouse() {
  local dir
  dir=$(dir_of clickhouse)
  spawn clickhouse clickhouse /usr/sbin/clickhouse-server --config-file="$dir/config.xml"
}

ready_clickhouse() { http_ok http://127.0.0.1:8123/ping; }

probe_clickhouse() {
  [[ $(curl -fsS --max-time 3 -u "$USER_NAME:$PASSWORD" --data-binary 'SELECT 1' http://127.0.0.1:8123/ 2>/dev/null) == 1 ]]
}

env_clickhouse() { export_line TIDAL_TEST_CLICKHOUSE_URL "http://$USER_NAME:$PASSWORD@127.0.0.1:8123"; }
