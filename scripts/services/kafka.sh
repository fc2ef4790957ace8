# shellcheck shell=bash
# Kafka in KRaft mode (one node, broker and controller) from the cached Maven Central jars.
# PLAINTEXT on 9092, SASL_SSL on 9093 and SASL_PLAINTEXT on 9095 (each with PLAIN, SCRAM-SHA-256
# and SCRAM-SHA-512 for tidal/tidal, OAUTHBEARER and GSSAPI), SSL with a required client
# certificate on 9096, controller on 9094. The broker's certificate and the client certificate
# come from a throw-away CA whose certificate `env` prints. OAUTHBEARER tokens are RS256 JWTs
# checked against jwks.json (audience kafka), whose private key `env` names for the tests' token
# endpoint. GSSAPI: the broker is kafka/127.0.0.1 in the realm of scripts/services/kdc.sh (only
# its database and the broker's keytab are needed to start; clients need the KDC running).

KAFKA_VERSION=4.1.1
KAFKA_LIBS="$CACHE/kafka/$KAFKA_VERSION/libs"
declare_server kafka "9092 9093 9095 9096" kafka.Kafka 180 openjdk-17-jre-headless maven \
  krb5-kdc krb5-admin-server

logs_kafka() { printf '%s and %s' "$(log_of kafka)" "$(dir_of kafka)/logs/server.log"; }

KAFKA_STORE_PASSWORD=tidal-test

kafka_tls() {
  local tls
  tls="$(dir_of kafka)/tls"
  make_test_tls "$tls" "$(log_of kafka)" || return 1
  make_test_client_tls "$tls" "$(log_of kafka)" || return 1
  [[ -f $tls/broker.p12 ]] && return 0
  openssl pkcs12 -export -in "$tls/server.crt" -inkey "$tls/server.key" -certfile "$tls/ca.crt" \
    -name broker -out "$tls/broker.p12" -passout "pass:$KAFKA_STORE_PASSWORD" >>"$(log_of kafka)" 2>&1 || {
    fail "openssl failed; see $(log_of kafka)"
    return 1
  }
}

# The JAAS and callback settings of one SASL listener (sasl_ssl, sasl_plaintext): every mechanism.
kafka_sasl_listener() {
  local listener=$1 dir=$2
  cat <<EOF
listener.name.$listener.plain.sasl.jaas.config=\
org.apache.kafka.common.security.plain.PlainLoginModule required \
username="$USER_NAME" password="$PASSWORD" user_$USER_NAME="$PASSWORD";
listener.name.$listener.scram-sha-256.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.$listener.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.$listener.oauthbearer.sasl.jaas.config=\
org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.$listener.oauthbearer.sasl.server.callback.handler.class=\
org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
listener.name.$listener.gssapi.sasl.jaas.config=\
com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true isInitiator=false \
keyTab="$dir/kafka.keytab" principal="kafka/127.0.0.1@$KDC_REALM";
EOF
}

prepare_kafka() {
  local dir cluster_id
  dir=$(dir_of kafka)
  kafka_tls
  make_test_oauth_key "$dir/oauth" "$(log_of kafka)"
  kdc_keytab "kafka/127.0.0.1" "$dir/kafka.keytab"
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9094
listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:9094,\
SASL_PLAINTEXT://127.0.0.1:9095,SSL://127.0.0.1:9096
advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093,\
SASL_PLAINTEXT://127.0.0.1:9095,SSL://127.0.0.1:9096
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,\
SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER,GSSAPI
sasl.kerberos.service.name=kafka
sasl.oauthbearer.jwks.endpoint.url=file://$dir/oauth/jwks.json
sasl.oauthbearer.expected.audience=kafka
$(kafka_sasl_listener sasl_ssl "$dir")
$(kafka_sasl_listener sasl_plaintext "$dir")
listener.name.ssl.ssl.client.auth=required
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$dir/tls/ca.crt
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/tls/broker.p12
ssl.keystore.password=$KAFKA_STORE_PASSWORD
ssl.key.password=$KAFKA_STORE_PASSWORD
ssl.client.auth=none
ssl.endpoint.identification.algorithm=
EOF
  cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
EOF
  [[ -f $dir/data/meta.properties ]] && return 0
  say "formatting kafka storage in $dir/data ..."
  # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
  cluster_id=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')
  kafka_java
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" \
    --config "$dir/server.properties" --ignore-formatted \
    --add-scram "SCRAM-SHA-512=[name=$USER_NAME,password=$PASSWORD]" \
    --add-scram "SCRAM-SHA-256=[name=$USER_NAME,password=$PASSWORD]" \
    >>"$(log_of kafka)" 2>&1 || fail "kafka storage format failed; see $(log_of kafka)"
}

# Sets KAFKA_JAVA to the java command line for the Kafka classes: small heap, quiet logs.
kafka_java() {
  local dir
  dir=$(dir_of kafka)
  KAFKA_JAVA=(java -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties"
    -Djava.security.krb5.conf="$(dir_of kdc)/krb5.conf"
    -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls="file://$dir/oauth/jwks.json"
    -Dorg.apache.kafka.sasl.oauthbearer.allowed.files="$dir/oauth/jwks.json"
    -Dkafka.logs.dir="$dir/logs" -cp "$KAFKA_LIBS/*")
}

# Data formatted before SCRAM-SHA-256 was configured lacks that credential: add it (idempotent).
bootstrap_kafka() {
  kafka_java
  "${KAFKA_JAVA[@]}" kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:9092 --alter \
    --entity-type users --entity-name "$USER_NAME" \
    --add-config "SCRAM-SHA-256=[password=$PASSWORD]"
}

launch_kafka() {
  kafka_java
  spawn kafka kafka "${KAFKA_JAVA[@]}" kafka.Kafka "$(dir_of kafka)/server.properties"
}

# The broker's jars from Maven Central, through test/kafka/pom.xml, cached outside the repo.
install_kafka() {
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  say "downloading kafka $KAFKA_VERSION jars into $KAFKA_LIBS ..."
  local tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -B -q -f "$ROOT/test/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    -Dmaven.repo.local="$CACHE/kafka/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp"
    fail "could not resolve the kafka jars (mvn output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
}

env_kafka() {
  export_line TIDAL_TEST_KAFKA_BROKERS "127.0.0.1:9092"
  export_line TIDAL_TEST_KAFKA_SASL_SSL_BROKERS "127.0.0.1:9093"
  export_line TIDAL_TEST_KAFKA_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_KAFKA_PASSWORD "$PASSWORD"
  export_line TIDAL_TEST_KAFKA_SASL_PLAINTEXT_BROKERS "127.0.0.1:9095"
  export_line TIDAL_TEST_KAFKA_MTLS_BROKERS "127.0.0.1:9096"
  export_line TIDAL_TEST_KAFKA_CA_FILE "$(dir_of kafka)/tls/ca.crt"
  export_line TIDAL_TEST_KAFKA_CLIENT_CERT_FILE "$(dir_of kafka)/tls/client.crt"
  export_line TIDAL_TEST_KAFKA_CLIENT_KEY_FILE "$(dir_of kafka)/tls/client.key"
  export_line TIDAL_TEST_KAFKA_CLIENT_ENCRYPTED_KEY_FILE "$(dir_of kafka)/tls/client.enc.key"
  export_line TIDAL_TEST_KAFKA_OAUTH_KEY_FILE "$(dir_of kafka)/oauth/signing.key"
}
