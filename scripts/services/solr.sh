# shellcheck shell=bash
# Apache Solr 9, one standalone node, from the Maven Central jars: Maven Central has no Solr
# distribution, so Solr's own embedded Jetty runner (JettySolrRunner, in solr-test-framework,
# resolved through test/solr/pom.xml) runs it through test/solr/TidalSolr.java, compiled into the
# cache. On 127.0.0.1:8983 with context /solr, the Solr home under .tidal/services/solr/home/.
# Basic authentication is on (user tidal, password tidal). Tests create their cores with the
# CoreAdmin API from the configset `tidal`: an `id` key and `*_s` string fields, soft commits
# within 200 ms.

SOLR_VERSION=9.10.1
SOLR_DIR="$CACHE/solr/$SOLR_VERSION"
declare_server solr "8983" "TidalSolr" 120 openjdk-17-jdk-headless maven

probe_solr() { http_ok -u "$USER_NAME:$PASSWORD" "http://127.0.0.1:8983/solr/admin/cores?action=STATUS"; }

install_solr() {
  [[ -f $SOLR_DIR/.complete ]] && return 0
  say "downloading solr $SOLR_VERSION jars into $SOLR_DIR ..."
  local tmp="$SOLR_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/libs" "$tmp/classes"
  if ! mvn -B -q -f "$ROOT/test/solr/pom.xml" -Dsolr.version="$SOLR_VERSION" \
    -Dmaven.repo.local="$CACHE/maven-m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp.log" 2>&1 ||
    ! javac -cp "$tmp/libs/*" -d "$tmp/classes" "$ROOT/test/solr/TidalSolr.java" >>"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not resolve the solr jars or compile test/solr/TidalSolr.java (output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$SOLR_DIR"
  mv "$tmp" "$SOLR_DIR"
}

# Solr's BasicAuthPlugin credential: base64(sha256(sha256(salt + password))) and base64(salt).
solr_credential() {
  node -e '
    const { createHash, randomBytes } = require("node:crypto");
    const salt = randomBytes(32);
    const once = createHash("sha256").update(salt).update(process.argv[1]).digest();
    const twice = createHash("sha256").update(once).digest();
    console.log(`${twice.toString("base64")} ${salt.toString("base64")}`);
  ' "$1"
}

prepare_solr() {
  local dir home conf
  dir=$(dir_of solr)
  home="$dir/home"
  conf="$home/configsets/tidal/conf"
  mkdir -p "$conf" "$dir/logs" "$dir/tmp"
  echo '<solr/>' >"$home/solr.xml"
  if [[ ! -f $home/security.json ]]; then
    cat >"$home/security.json" <<JSON
{
  "authentication": {
    "class": "solr.BasicAuthPlugin",
    "blockUnknown": true,
    "credentials": { "$USER_NAME": "$(solr_credential "$PASSWORD")" }
  }
}
JSON
  fi
  cat >"$conf/solrconfig.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<config>
  <luceneMatchVersion>9.10</luceneMatchVersion>
  <dataDir>${solr.data.dir:}</dataDir>
  <schemaFactory class="ClassicIndexSchemaFactory"/>
  <updateHandler class="solr.DirectUpdateHandler2">
    <autoSoftCommit><maxTime>200</maxTime></autoSoftCommit>
  </updateHandler>
  <requestHandler name="/select" class="solr.SearchHandler"/>
</config>
XML
  cat >"$conf/schema.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<schema name="tidal" version="1.6">
  <uniqueKey>id</uniqueKey>
  <fieldType name="string" class="solr.StrField" sortMissingLast="true"/>
  <fieldType name="plong" class="solr.LongPointField" docValues="true"/>
  <field name="id" type="string" indexed="true" stored="true" required="true"/>
  <field name="_version_" type="plong" indexed="false" stored="false"/>
  <dynamicField name="*_s" type="string" indexed="true" stored="true"/>
</schema>
XML
}

launch_solr() {
  local dir
  dir=$(dir_of solr)
  spawn solr solr java -Xms64m -Xmx384m -Djava.io.tmpdir="$dir/tmp" -Dsolr.log.dir="$dir/logs" \
    -Dsolr.install.dir="$SOLR_DIR" -Dlog4j2.level=WARN -cp "$SOLR_DIR/classes:$SOLR_DIR/libs/*" \
    TidalSolr "$dir/home" 8983
}

env_solr() {
  export_line TIDAL_TEST_SOLR_URL "http://127.0.0.1:8983"
  export_line TIDAL_TEST_SOLR_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_SOLR_PASSWORD "$PASSWORD"
}
