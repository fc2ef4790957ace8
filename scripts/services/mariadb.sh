# shellcheck shell=bash
# MariaDB: --no-defaults keeps /etc/mysql out; the socket lives in the project folder. TLS is
# offered (optional) with a certificate for 127.0.0.1 and localhost from a throw-away CA.

declare_server mariadb "3306" mariadbd 90 mariadb-server mariadb-client

ready_mariadb() {
  # Over the project-local socket as the OS user that installed it (socket authentication).
  mariadb-admin --no-defaults --connect-timeout=2 --socket="$(dir_of mariadb)/mysqld.sock" \
    -u "$(id -un)" ping >/dev/null 2>&1
}
probe_mariadb() {
  mariadb --no-defaults --connect-timeout=2 -h 127.0.0.1 -P 3306 -u "$USER_NAME" \
    -p"$PASSWORD" -D tidal -e 'SELECT 1' >/dev/null 2>&1
}

prepare_mariadb() {
  local dir
  dir=$(dir_of mariadb)
  make_test_tls "$dir/tls" "$(log_of mariadb)" || return 1
  [[ -d $dir/data/mysql ]] && return 0
  say "initializing mariadb in $dir/data ..."
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  mariadb-install-db --no-defaults --basedir=/usr --datadir="$dir/data" --user="$(id -un)" \
    --auth-root-authentication-method=socket --skip-test-db >>"$(log_of mariadb)" 2>&1 ||
    fail "mariadb-install-db failed; see $(log_of mariadb)"
}

launch_mariadb() {
  local dir user=()
  dir=$(dir_of mariadb)
  [[ $EUID -ne 0 ]] || user=(--user=root)
  spawn mariadb mariadb /usr/sbin/mariadbd --no-defaults --basedir=/usr --datadir="$dir/data" \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mariadbd.server.pid" \
    --bind-address=127.0.0.1 --port=3306 --skip-name-resolve "${user[@]}" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --log-warnings=1 --max-connections=200 --innodb-buffer-pool-size=128M \
    --innodb-flush-log-at-trx-commit=2 --ssl-ca="$dir/tls/ca.crt" \
    --ssl-cert="$dir/tls/server.crt" --ssl-key="$dir/tls/server.key"
}

bootstrap_mariadb() {
  mariadb --no-defaults --socket="$(dir_of mariadb)/mysqld.sock" -u "$(id -un)" <<SQL
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS tidal;
SQL
}

env_mariadb() {
  export_line TIDAL_TEST_MYSQL_URL "mysql://$USER_NAME:$PASSWORD@127.0.0.1:3306/tidal"
  export_line TIDAL_TEST_MYSQL_CA_FILE "$(dir_of mariadb)/tls/ca.crt"
}
