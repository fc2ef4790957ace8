# shellcheck shell=bash
# Apache Pulsar standalone (broker, BookKeeper and a RocksDB metadata store in one JVM) from the
# Maven Central jars (test/pulsar/pom.xml; Maven Central has no Pulsar distribution to run):
# broker on 127.0.0.1:6650, web service and admin API on 127.0.0.1:8075 and over TLS on
# 127.0.0.1:8076; the bookie listens on the loopback interface on a port of its own choosing.
# Functions worker and stream storage are off. Authentication is on (no authorization): JWT
# tokens signed with a secret key (the token of role `tidal` and the key's path are printed by
# `env`), basic authentication (tidal/tidal), and client certificates on the TLS port (a client
# certificate for role `tidal`, its key and the CA, all from a throw-away CA, printed by `env`).

PULSAR_VERSION=4.2.4
PULSAR_LIBS="$CACHE/pulsar/$PULSAR_VERSION/libs"
declare_server pulsar "6650 8075 8076" "org.apache.pulsar.PulsarStandaloneStarter" 180 openjdk-17-jre-headless maven

logs_pulsar() { log_of pulsar; }

# Ready when the admin API answers with the token and the default namespace exists.
probe_pulsar() {
  local token
  token=$(cat "$(dir_of pulsar)/auth/tidal.jwt" 2>/dev/null) || return 1
  curl -fsS --max-time 3 -H "Authorization: Bearer $token" \
    http://127.0.0.1:8075/admin/v2/namespaces/public 2>/dev/null | grep -q '"public/default"'
}

install_pulsar() {
  [[ -f $PULSAR_LIBS/.complete ]] && return 0
  say "downloading pulsar $PULSAR_VERSION jars into $PULSAR_LIBS ..."
  local tmp="$PULSAR_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -B -q -f "$ROOT/test/pulsar/pom.xml" -Dpulsar.version="$PULSAR_VERSION" \
    -Dmaven.repo.local="$CACHE/maven-m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not resolve the pulsar jars (maven output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$PULSAR_LIBS"
  mv "$tmp" "$PULSAR_LIBS"
}

# The HS256 secret, the token of role tidal signed with it, and the htpasswd-style (apr1) line of
# user tidal, made once.
pulsar_auth() {
  local auth
  auth="$(dir_of pulsar)/auth"
  [[ -f $auth/tidal.jwt && -f $auth/secret.key && -f $auth/basic.conf ]] && return 0
  mkdir -p "$auth"
  openssl rand 32 >"$auth/secret.key"
  node -e '
    const { createHmac } = require("node:crypto");
    const { readFileSync } = require("node:fs");
    const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const body = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: process.argv[2] })}`;
    const signature = createHmac("sha256", readFileSync(process.argv[1])).update(body).digest("base64url");
    process.stdout.write(`${body}.${signature}`);
  ' "$auth/secret.key" "$USER_NAME" >"$auth/tidal.jwt"
  printf '%s:%s\n' "$USER_NAME" "$(openssl passwd -apr1 "$PASSWORD")" >"$auth/basic.conf"
}

# The server certificate (make_test_tls) and a client certificate of role tidal signed by the same CA.
pulsar_tls() {
  local tls
  tls="$(dir_of pulsar)/tls"
  make_test_tls "$tls" "$(log_of pulsar)" || return 1
  [[ -f $tls/client.crt && -f $tls/client.key ]] && return 0
  (
    cd "$tls" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$USER_NAME" \
        -keyout client.key -out client.csr &&
      printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature" >client.ext &&
      openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile client.ext -out client.crt
  ) >>"$(log_of pulsar)" 2>&1 || {
    fail "openssl failed; see $(log_of pulsar)"
    return 1
  }
}

prepare_pulsar() {
  local dir auth tls
  dir=$(dir_of pulsar)
  auth="$dir/auth"
  tls="$dir/tls"
  pulsar_auth
  pulsar_tls || return 1
  # BookKeeper's cookie holds the journal's absolute path: data made by a checkout elsewhere (or
  # before the path was recorded) is test data, started afresh.
  if [[ -d "$dir/data" && "$(cat "$dir/data/.path" 2>/dev/null)" != "$dir" ]]; then rm -rf "$dir/data"; fi
  mkdir -p "$dir/data" "$dir/tmp"
  printf '%s' "$dir" >"$dir/data/.path"
  cat >"$dir/standalone.conf" <<CONF
clusterName=standalone
bindAddress=127.0.0.1
advertisedAddress=127.0.0.1
brokerServicePort=6650
webServicePort=8075
webServicePortTls=8076
tlsCertificateFilePath=$tls/server.crt
tlsKeyFilePath=$tls/server.key
tlsTrustCertsFilePath=$tls/ca.crt
tlsAllowInsecureConnection=false
tlsRequireTrustedClientCertOnConnect=false
listeningInterface=lo
managedLedgerDefaultEnsembleSize=1
managedLedgerDefaultWriteQuorum=1
managedLedgerDefaultAckQuorum=1
functionsWorkerEnabled=false
authenticationEnabled=true
authorizationEnabled=false
authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken,org.apache.pulsar.broker.authentication.AuthenticationProviderBasic,org.apache.pulsar.broker.authentication.AuthenticationProviderTls
tokenSecretKey=file://$auth/secret.key
basicAuthConf=file://$auth/basic.conf
superUserRoles=$USER_NAME
brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken
brokerClientAuthenticationParameters=file://$auth/tidal.jwt
CONF
}

launch_pulsar() {
  local dir
  dir=$(dir_of pulsar)
  spawn pulsar pulsar java -Xms128m -Xmx512m -XX:MaxDirectMemorySize=256m -Djava.io.tmpdir="$dir/tmp" \
    -Dlog4j2.level=WARN -Dpulsar.log.level=warn -cp "$PULSAR_LIBS/*" \
    org.apache.pulsar.PulsarStandaloneStarter --config "$dir/standalone.conf" \
    --no-functions-worker --no-stream-storage --bookkeeper-dir "$dir/data/bookkeeper" \
    --metadata-dir "$dir/data/metadata"
}

env_pulsar() {
  local auth
  auth="$(dir_of pulsar)/auth"
  export_line TIDAL_TEST_PULSAR_ADMIN_URL "http://127.0.0.1:8075"
  export_line TIDAL_TEST_PULSAR_ADMIN_TLS_URL "https://127.0.0.1:8076"
  export_line TIDAL_TEST_PULSAR_CA_FILE "$(dir_of pulsar)/tls/ca.crt"
  export_line TIDAL_TEST_PULSAR_CLIENT_CERT_FILE "$(dir_of pulsar)/tls/client.crt"
  export_line TIDAL_TEST_PULSAR_CLIENT_KEY_FILE "$(dir_of pulsar)/tls/client.key"
  export_line TIDAL_TEST_PULSAR_TOKEN_FILE "$auth/tidal.jwt"
  export_line TIDAL_TEST_PULSAR_TOKEN_SECRET_FILE "$auth/secret.key"
  export_line TIDAL_TEST_PULSAR_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_PULSAR_PASSWORD "$PASSWORD"
}
