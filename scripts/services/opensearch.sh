# shellcheck shell=bash
# OpenSearch 2.19, one node, from the Maven Central jars (test/opensearch/pom.xml; Maven Central
# has no OpenSearch distribution): OpenSearch's Node with its Netty4 HTTP transport and Mustache
# search templates on the class path, run by test/opensearch/TidalOpenSearch.java (compiled into
# the cache). HTTP on 127.0.0.1:9201, transport on 127.0.0.1:9301. The security plugin is not on
# Maven Central, so a small REST wrapper in TidalOpenSearch.java requires basic authentication
# (tidal/tidal) on every request. Data under .tidal/services/opensearch/.

OPENSEARCH_VERSION=2.19.6
OPENSEARCH_DIR="$CACHE/opensearch/$OPENSEARCH_VERSION"
declare_server opensearch "9201 9301" "TidalOpenSearch" 120 openjdk-17-jdk-headless maven

probe_opensearch() {
  curl -fsS --max-time 3 -u "$USER_NAME:$PASSWORD" \
    "http://127.0.0.1:9201/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1
}

install_opensearch() {
  [[ -f $OPENSEARCH_DIR/.complete ]] && return 0
  say "downloading opensearch $OPENSEARCH_VERSION jars into $OPENSEARCH_DIR ..."
  local tmp="$OPENSEARCH_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/libs" "$tmp/classes"
  if ! mvn -B -q -f "$ROOT/test/opensearch/pom.xml" -Dopensearch.version="$OPENSEARCH_VERSION" \
    -Dmaven.repo.local="$CACHE/maven-m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp.log" 2>&1 ||
    ! javac -cp "$tmp/libs/*" -d "$tmp/classes" "$ROOT/test/opensearch/TidalOpenSearch.java" >>"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not resolve the opensearch jars or compile test/opensearch/TidalOpenSearch.java (output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$OPENSEARCH_DIR"
  mv "$tmp" "$OPENSEARCH_DIR"
}

prepare_opensearch() {
  local home
  home="$(dir_of opensearch)/home"
  mkdir -p "$home/config" "$home/data" "$home/logs" "$home/plugins" "$home/tmp"
  printf '%s:%s\n' "$USER_NAME" "$PASSWORD" >"$home/config/users"
  cat >"$home/config/opensearch.yml" <<YML
cluster.name: tidal
node.name: tidal
network.host: 127.0.0.1
http.port: 9201
transport.port: 9301
discovery.type: single-node
path.data: $home/data
path.logs: $home/logs
action.auto_create_index: true
cluster.routing.allocation.disk.threshold_enabled: false
YML
  cat >"$home/config/log4j2.properties" <<'PROPERTIES'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%c{1.}] %m%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
PROPERTIES
}

launch_opensearch() {
  local home
  home="$(dir_of opensearch)/home"
  spawn opensearch opensearch java -Xms256m -Xmx512m -Djava.io.tmpdir="$home/tmp" \
    -cp "$OPENSEARCH_DIR/classes:$OPENSEARCH_DIR/libs/*" TidalOpenSearch "$home"
}

env_opensearch() {
  export_line TIDAL_TEST_OPENSEARCH_URL "http://127.0.0.1:9201"
  export_line TIDAL_TEST_OPENSEARCH_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_OPENSEARCH_PASSWORD "$PASSWORD"
}
