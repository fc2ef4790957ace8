# shellcheck shell=bash
# ActiveMQ Classic from its Maven Central distribution (org.apache.activemq:apache-activemq, bin
# tar.gz) on loopback: OpenWire on 127.0.0.1:61616 only (the distribution's AMQP, STOMP, MQTT and
# WebSocket connectors would take RabbitMQ's and Mosquitto's ports), the web console with Jolokia
# on 127.0.0.1:8161. Broker name localhost (ActiveMQ's default); web user tidal (password tidal).
# Jolokia allows exec too, so tests create queues and send messages through it (addQueue,
# sendTextMessage).

ACTIVEMQ_VERSION=5.18.3
ACTIVEMQ_HOME="$CACHE/activemq/$ACTIVEMQ_VERSION/apache-activemq-$ACTIVEMQ_VERSION"
declare_server activemq "61616 8161" "-Dactivemq.base=$STATE/activemq " 120 openjdk-17-jre-headless maven

logs_activemq() { printf '%s and %s' "$(log_of activemq)" "$(dir_of activemq)/data/activemq.log"; }

probe_activemq() {
  curl -fsS --max-time 3 -u "$USER_NAME:$PASSWORD" -H "Origin: http://127.0.0.1:8161" \
    "http://127.0.0.1:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=localhost/BrokerName" \
    2>/dev/null | grep -q '"status":200'
}

# The distribution's tar.gz through `mvn dependency:copy`, unpacked in the cache.
install_activemq() {
  [[ -f $ACTIVEMQ_HOME/bin/activemq.jar ]] && return 0
  maven_distribution activemq "org.apache.activemq:apache-activemq:$ACTIVEMQ_VERSION:tar.gz:bin" \
    "$CACHE/activemq/$ACTIVEMQ_VERSION"
}

prepare_activemq() {
  local dir
  dir=$(dir_of activemq)
  mkdir -p "$dir/conf" "$dir/data" "$dir/tmp"
  cp "$ACTIVEMQ_HOME"/conf/{jetty.xml,login.config,groups.properties,log4j2.properties,java.security,credentials.properties} "$dir/conf/"
  printf '%s: %s, admin\n' "$USER_NAME" "$PASSWORD" >"$dir/conf/jetty-realm.properties"
  printf '%s=%s\n' "$USER_NAME" "$PASSWORD" >"$dir/conf/users.properties"
  cat >"$dir/conf/jolokia-access.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<restrict>
  <cors>
    <strict-checking/>
  </cors>
  <commands>
    <command>read</command>
    <command>list</command>
    <command>version</command>
    <command>search</command>
    <command>exec</command>
  </commands>
</restrict>
XML
  cat >"$dir/conf/activemq.xml" <<XML
<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="localhost" dataDirectory="$dir/data"
          useJmx="true" schedulePeriodForDestinationPurge="0">
    <managementContext><managementContext createConnector="false"/></managementContext>
    <persistenceAdapter><kahaDB directory="$dir/data/kahadb"/></persistenceAdapter>
    <systemUsage><systemUsage>
      <memoryUsage><memoryUsage percentOfJvmHeap="70"/></memoryUsage>
      <storeUsage><storeUsage limit="1 gb"/></storeUsage>
      <tempUsage><tempUsage limit="1 gb"/></tempUsage>
    </systemUsage></systemUsage>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:61616"/>
    </transportConnectors>
  </broker>
  <import resource="jetty.xml"/>
</beans>
XML
}

launch_activemq() {
  local dir
  dir=$(dir_of activemq)
  spawn activemq activemq java -Xms64m -Xmx256m -Djava.awt.headless=true \
    -Djava.util.logging.config.file=logging.properties \
    -Djava.security.auth.login.config="$dir/conf/login.config" \
    --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED \
    --add-opens java.base/java.util.concurrent=ALL-UNNAMED \
    --add-opens java.naming/javax.naming.spi=ALL-UNNAMED \
    -Djetty.host=127.0.0.1 -Djetty.port=8161 -Djava.io.tmpdir="$dir/tmp" \
    -Dactivemq.classpath="$dir/conf" -Dactivemq.home="$ACTIVEMQ_HOME" -Dactivemq.base="$dir" \
    -Dactivemq.conf="$dir/conf" -Dactivemq.data="$dir/data" \
    -Djolokia.conf="file:$dir/conf/jolokia-access.xml" \
    -jar "$ACTIVEMQ_HOME/bin/activemq.jar" start
}

env_activemq() {
  export_line TIDAL_TEST_ACTIVEMQ_MANAGEMENT "127.0.0.1:8161"
  export_line TIDAL_TEST_ACTIVEMQ_BROKER "localhost"
  export_line TIDAL_TEST_ACTIVEMQ_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_ACTIVEMQ_PASSWORD "$PASSWORD"
}
