# shellcheck shell=bash
# ActiveMQ Artemis from its Maven Central distribution (org.apache.activemq:apache-artemis, bin
# tar.gz) on loopback: one acceptor (CORE, AMQP and OpenWire) on 127.0.0.1:61626 and the web
# console with Jolokia on 127.0.0.1:8162, so it runs beside ActiveMQ Classic (61616, 8161). Broker
# name broker; user tidal (password tidal), login required. The broker instance is created with
# `artemis create` under .tidal/services/artemis/instance on the first start.

ARTEMIS_VERSION=2.40.0
ARTEMIS_HOME="$CACHE/artemis/$ARTEMIS_VERSION/apache-artemis-$ARTEMIS_VERSION"
declare_server artemis "61626 8162" "org.apache.activemq.artemis.boot.Artemis run" 120 \
  openjdk-17-jre-headless maven

logs_artemis() { printf '%s and %s' "$(log_of artemis)" "$(dir_of artemis)/instance/log/artemis.log"; }

probe_artemis() {
  curl -fsS --max-time 3 -u "$USER_NAME:$PASSWORD" -H "Origin: http://127.0.0.1:8162" \
    'http://127.0.0.1:8162/console/jolokia/read/org.apache.activemq.artemis:broker=%22broker%22/Started' \
    2>/dev/null | grep -q '"value":true'
}

install_artemis() {
  [[ -x $ARTEMIS_HOME/bin/artemis ]] && return 0
  maven_distribution artemis "org.apache.activemq:apache-artemis:$ARTEMIS_VERSION:tar.gz:bin" \
    "$CACHE/artemis/$ARTEMIS_VERSION"
}

prepare_artemis() {
  local dir
  dir=$(dir_of artemis)
  if [[ ! -f $dir/instance/etc/broker.xml ]]; then
    artemis_create "$dir" || return 1
  fi
  # A small heap: the profile's initial heap is 512M.
  sed -i 's/-Xms512M/-Xms64M/' "$dir/instance/etc/artemis.profile"
}

artemis_create() {
  local dir=$1
  say "creating the artemis broker instance in $dir/instance ..."
  mkdir -p "$dir"
  "$ARTEMIS_HOME/bin/artemis" create "$dir/instance" --silent --force --name broker \
    --user "$USER_NAME" --password "$PASSWORD" --require-login \
    --host 127.0.0.1 --default-port 61626 --http-host 127.0.0.1 --http-port 8162 \
    --no-mqtt-acceptor --no-stomp-acceptor --no-hornetq-acceptor --no-amqp-acceptor \
    --java-memory 256M --nio --no-fsync >>"$(log_of artemis)" 2>&1 ||
    fail "artemis create failed; see $(log_of artemis)"
}

launch_artemis() { spawn artemis artemis "$(dir_of artemis)/instance/bin/artemis" run; }

env_artemis() {
  export_line TIDAL_TEST_ARTEMIS_MANAGEMENT "127.0.0.1:8162"
  export_line TIDAL_TEST_ARTEMIS_BROKER "broker"
  export_line TIDAL_TEST_ARTEMIS_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_ARTEMIS_PASSWORD "$PASSWORD"
}
