# shellcheck shell=bash
# Apache Cassandra 5.0, one node, from the Maven Central jars (cassandra-all and its runtime
# dependencies, through test/cassandra/pom.xml; Maven Central has no Cassandra distribution that
# runs on Java 17). CQL on 127.0.0.1:9042, the storage port on 127.0.0.1:7010 (7000-7002 are Redis
# Cluster's), no JMX, a small heap. PasswordAuthenticator is on: the superuser tidal (password
# tidal) is created after the first start, with the driver the tests use. Cassandra takes tens of
# seconds to start: `start` starts it in parallel with the others.

CASSANDRA_VERSION=5.0.9
CASSANDRA_LIBS="$CACHE/cassandra/$CASSANDRA_VERSION/libs"
declare_server cassandra "9042" "org.apache.cassandra.service.CassandraDaemon" 240 \
  openjdk-17-jre-headless maven

logs_cassandra() { printf '%s and %s' "$(log_of cassandra)" "$(dir_of cassandra)/logs/system.log"; }

install_cassandra() {
  [[ -f $CASSANDRA_LIBS/.complete ]] && return 0
  say "downloading cassandra $CASSANDRA_VERSION jars into $CASSANDRA_LIBS ..."
  local tmp="$CASSANDRA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -B -q -f "$ROOT/test/cassandra/pom.xml" -Dcassandra.version="$CASSANDRA_VERSION" \
    -Dmaven.repo.local="$CACHE/maven-m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not resolve the cassandra jars (mvn output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$CASSANDRA_LIBS"
  mv "$tmp" "$CASSANDRA_LIBS"
}

prepare_cassandra() {
  local dir
  dir=$(dir_of cassandra)
  mkdir -p "$dir"/{data,commitlog,saved_caches,hints,cdc_raw,logs,tmp}
  cat >"$dir/cassandra.yaml" <<YAML
cluster_name: tidal
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
authenticator: PasswordAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
data_file_directories: [$dir/data]
commitlog_directory: $dir/commitlog
saved_caches_directory: $dir/saved_caches
hints_directory: $dir/hints
cdc_raw_directory: $dir/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:7010"
listen_address: 127.0.0.1
storage_port: 7010
ssl_storage_port: 7011
rpc_address: 127.0.0.1
start_native_transport: true
native_transport_port: 9042
endpoint_snitch: SimpleSnitch
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 4
memtable_allocation_type: heap_buffers
YAML
  cat >"$dir/logback.xml" <<XML
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$dir/logs/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
XML
}

# The JVM options of Cassandra's jvm17-server.options that a node needs on Java 17.
CASSANDRA_JAVA17=(
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.math=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens java.base/java.net=ALL-UNNAMED
)

launch_cassandra() {
  local dir
  dir=$(dir_of cassandra)
  spawn cassandra cassandra java -Xms256m -Xmx512m -Xss512k -XX:+UseG1GC \
    -Djava.io.tmpdir="$dir/tmp" -Djava.net.preferIPv4Stack=true -Djdk.attach.allowAttachSelf=true \
    -Dcassandra.config="file://$dir/cassandra.yaml" -Dcassandra.storagedir="$dir" \
    -Dcassandra-foreground=yes -Dlogback.configurationFile="$dir/logback.xml" \
    -Dcassandra.logdir="$dir/logs" -Dcassandra.superuser_setup_delay_ms=0 \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=1000 \
    -Dcassandra.load_ring_state=false "${CASSANDRA_JAVA17[@]}" \
    -cp "$CASSANDRA_LIBS/*" org.apache.cassandra.service.CassandraDaemon
}

# Ready once CQL answers at all (the bootstrap then makes the user).
ready_cassandra() { (cd "$ROOT" && node scripts/services/cassandra-bootstrap.mjs --ready); }

bootstrap_cassandra() { (cd "$ROOT" && node scripts/services/cassandra-bootstrap.mjs "$USER_NAME" "$PASSWORD"); }

probe_cassandra() {
  (cd "$ROOT" && node scripts/services/cassandra-bootstrap.mjs --check "$USER_NAME" "$PASSWORD")
}

env_cassandra() {
  export_line TIDAL_TEST_CASSANDRA_ADDRESS "127.0.0.1:9042"
  export_line TIDAL_TEST_CASSANDRA_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_CASSANDRA_PASSWORD "$PASSWORD"
}
