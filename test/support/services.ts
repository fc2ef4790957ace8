/**
 * The integration test servers: `useServices` starts those a test file uses, and `services` gives
 * their addresses and credentials, as `scripts/services.sh env` prints them and
 * test/support/services-setup.ts puts them into process.env. Each is read when used, so importing
 * this module never fails; a missing variable throws an error that says what to run.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/services.sh", import.meta.url));

/**
 * Starts the named servers of scripts/services.sh unless they are up (seconds when they are).
 * Call it in a test file's `beforeAll`, so that a run starts only the servers its files use.
 */
export async function useServices(...names: string[]): Promise<void> {
  const child = spawn("bash", [script, "start", ...names], { stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0)
    throw new Error(
      `scripts/services.sh start ${names.join(" ")} failed (exit ${code}); see its output above`,
    );
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(
      `${name} is not set: start the test servers with \`scripts/services.sh start\` and run the test ` +
        `through vitest's integration project (or \`eval "$(scripts/services.sh env)"\`)`,
    );
  }
  return value;
}

export const services = {
  /** postgresql://tidal:tidal@127.0.0.1:5432/tidal */
  get postgresUrl(): string {
    return required("TIDAL_TEST_POSTGRES_URL");
  },
  /** PostgreSQL's ca.crt, client.crt, client.key and client.enc.key (passphrase tidal-test); role tidal_cert logs in with the certificate */
  get postgresTlsDir(): string {
    return required("TIDAL_TEST_POSTGRES_TLS_DIR");
  },
  /** mysql://tidal:tidal@127.0.0.1:3306/tidal (MariaDB) */
  get mysqlUrl(): string {
    return required("TIDAL_TEST_MYSQL_URL");
  },
  /** The CA (PEM) of MariaDB's TLS certificate */
  get mysqlCaFile(): string {
    return required("TIDAL_TEST_MYSQL_CA_FILE");
  },
  /** redis://127.0.0.1:6379, no auth */
  get redisUrl(): string {
    return required("TIDAL_TEST_REDIS_URL");
  },
  /** amqp://tidal:tidal@127.0.0.1:5672/ */
  get rabbitmqUrl(): string {
    return required("TIDAL_TEST_RABBITMQ_URL");
  },
  /** http://tidal:tidal@127.0.0.1:15672 */
  get rabbitmqManagementUrl(): string {
    return required("TIDAL_TEST_RABBITMQ_MANAGEMENT_URL");
  },
  /** amqps://tidal:tidal@localhost:5671/ (a client certificate is required) */
  get rabbitmqAmqpsUrl(): string {
    return required("TIDAL_TEST_RABBITMQ_AMQPS_URL");
  },
  /** https://tidal:tidal@localhost:15671 (a client certificate is accepted, not required) */
  get rabbitmqManagementHttpsUrl(): string {
    return required("TIDAL_TEST_RABBITMQ_MANAGEMENT_HTTPS_URL");
  },
  /** RabbitMQ's ca.crt, client.crt, client.key and client.enc.key (passphrase tidal-test) */
  get rabbitmqTlsDir(): string {
    return required("TIDAL_TEST_RABBITMQ_TLS_DIR");
  },
  /** The RSA key (PEM) RabbitMQ's OAuth 2.0 backend trusts (key id tidal-test, audience rabbitmq) */
  get rabbitmqOAuthKeyFile(): string {
    return required("TIDAL_TEST_RABBITMQ_OAUTH_KEY_FILE");
  },
  /** nats://127.0.0.1:4222 */
  get natsUrl(): string {
    return required("TIDAL_TEST_NATS_URL");
  },
  /** 127.0.0.1:8222, the monitoring endpoint (host:port, as KEDA's natsServerMonitoringEndpoint) */
  get natsMonitoring(): string {
    return required("TIDAL_TEST_NATS_MONITORING");
  },
  /** nats://127.0.0.1:4223, the NATS whose monitoring speaks HTTPS (its client port takes plain text too) */
  get natsTlsUrl(): string {
    return required("TIDAL_TEST_NATS_TLS_URL");
  },
  /** 127.0.0.1:8223, that NATS's HTTPS monitoring endpoint */
  get natsTlsMonitoring(): string {
    return required("TIDAL_TEST_NATS_TLS_MONITORING");
  },
  /** The CA (PEM) of that monitoring endpoint's certificate */
  get natsTlsCaFile(): string {
    return required("TIDAL_TEST_NATS_TLS_CA_FILE");
  },
  /** mqtt://127.0.0.1:1883, anonymous */
  get mqttUrl(): string {
    return required("TIDAL_TEST_MQTT_URL");
  },
  /** http://127.0.0.1:9090 */
  get prometheusUrl(): string {
    return required("TIDAL_TEST_PROMETHEUS_URL");
  },
  /** Prometheus's TSDB folder, where backfilled blocks go (test/support/prometheus-backfill.ts) */
  get prometheusDataDir(): string {
    return required("TIDAL_TEST_PROMETHEUS_DATA");
  },
  /** Redis's TLS port (same server and data as redisUrl), e.g. rediss://127.0.0.1:6380 */
  get redisTlsUrl(): string {
    return required("TIDAL_TEST_REDIS_TLS_URL");
  },
  /** Absolute path of the PEM CA certificate that signed Redis's TLS certificate */
  get redisCaFile(): string {
    return required("TIDAL_TEST_REDIS_CA_FILE");
  },
  /** Redis's ca.crt, client.crt, client.key and client.enc.key (passphrase tidal-test); clients may present a certificate */
  get redisTlsDir(): string {
    return required("TIDAL_TEST_REDIS_TLS_DIR");
  },
  /** PLAINTEXT brokers, e.g. ["127.0.0.1:9092"] */
  get kafkaBrokers(): string[] {
    return required("TIDAL_TEST_KAFKA_BROKERS").split(",");
  },
  /** SASL_SSL brokers (SASL PLAIN and SCRAM-SHA-512), e.g. ["127.0.0.1:9093"] */
  get kafkaSaslSslBrokers(): string[] {
    return required("TIDAL_TEST_KAFKA_SASL_SSL_BROKERS").split(",");
  },
  /** SASL_PLAINTEXT brokers (the SASL_SSL listener's mechanisms without TLS), e.g. ["127.0.0.1:9095"] */
  get kafkaSaslPlaintextBrokers(): string[] {
    return required("TIDAL_TEST_KAFKA_SASL_PLAINTEXT_BROKERS").split(",");
  },
  /** SSL brokers that require a client certificate signed by the CA, e.g. ["127.0.0.1:9096"] */
  get kafkaMtlsBrokers(): string[] {
    return required("TIDAL_TEST_KAFKA_MTLS_BROKERS").split(",");
  },
  /** PEM client certificate, key, and the key encrypted (PKCS#8, passphrase tidal-test), signed by the Kafka CA */
  get kafkaClientCertFile(): string {
    return required("TIDAL_TEST_KAFKA_CLIENT_CERT_FILE");
  },
  get kafkaClientKeyFile(): string {
    return required("TIDAL_TEST_KAFKA_CLIENT_KEY_FILE");
  },
  get kafkaClientEncryptedKeyFile(): string {
    return required("TIDAL_TEST_KAFKA_CLIENT_ENCRYPTED_KEY_FILE");
  },
  /** The RSA key (PEM) whose JWKS the broker's OAUTHBEARER validator trusts (key id tidal-test, audience kafka) */
  get kafkaOAuthKeyFile(): string {
    return required("TIDAL_TEST_KAFKA_OAUTH_KEY_FILE");
  },
  /** The test KDC's realm (TIDAL.TEST), its krb5.conf, and a principal's password and keytab */
  get kerberosRealm(): string {
    return required("TIDAL_TEST_KERBEROS_REALM");
  },
  get kerberosConfigFile(): string {
    return required("TIDAL_TEST_KERBEROS_CONFIG_FILE");
  },
  get kerberosUsername(): string {
    return required("TIDAL_TEST_KERBEROS_USERNAME");
  },
  get kerberosPassword(): string {
    return required("TIDAL_TEST_KERBEROS_PASSWORD");
  },
  get kerberosKeytabFile(): string {
    return required("TIDAL_TEST_KERBEROS_KEYTAB_FILE");
  },
  get kafkaUsername(): string {
    return required("TIDAL_TEST_KAFKA_USERNAME");
  },
  get kafkaPassword(): string {
    return required("TIDAL_TEST_KAFKA_PASSWORD");
  },
  /** fake-gcs-server's JSON API, plain HTTP: http://127.0.0.1:4443 (no authentication) */
  get gcsEndpoint(): string {
    return required("TIDAL_TEST_GCS_ENDPOINT");
  },
  /** Absolute path of the PEM CA certificate that signed the SASL_SSL listener's certificate */
  get kafkaCaFile(): string {
    return required("TIDAL_TEST_KAFKA_CA_FILE");
  },
  /**
   * Azurite's development account: DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;
   * AccountKey=…;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;
   */
  get azureStorageConnectionString(): string {
    return required("TIDAL_TEST_AZURE_STORAGE_CONNECTION_STRING");
  },
  /** http://127.0.0.1:5010: moto, AWS's APIs (any credentials are accepted) */
  get motoUrl(): string {
    return required("TIDAL_TEST_MOTO_URL");
  },
  /** http://127.0.0.1:5011: a second moto, for the test that turns its IAM enforcement on */
  get motoIamUrl(): string {
    return required("TIDAL_TEST_MOTO_IAM_URL");
  },
  /** Redis Cluster nodes (three masters), e.g. ["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"] */
  get redisClusterNodes(): string[] {
    return required("TIDAL_TEST_REDIS_CLUSTER_NODES").split(",");
  },
  /** The Redis Sentinel, e.g. 127.0.0.1:26379 (password redisSentinelPassword, user default) */
  get redisSentinel(): string {
    return required("TIDAL_TEST_REDIS_SENTINEL");
  },
  /** The master name the sentinel monitors: mymaster */
  get redisSentinelMaster(): string {
    return required("TIDAL_TEST_REDIS_SENTINEL_MASTER");
  },
  get redisSentinelPassword(): string {
    return required("TIDAL_TEST_REDIS_SENTINEL_PASSWORD");
  },
  /** beanstalkd, host:port, e.g. 127.0.0.1:11300 */
  get beanstalkd(): string {
    return required("TIDAL_TEST_BEANSTALKD");
  },
  /** http://127.0.0.1:2479 (authentication on: etcdUsername/etcdPassword may read and write every key) */
  get etcdEndpoint(): string {
    return required("TIDAL_TEST_ETCD_ENDPOINT");
  },
  get etcdUsername(): string {
    return required("TIDAL_TEST_ETCD_USERNAME");
  },
  get etcdPassword(): string {
    return required("TIDAL_TEST_ETCD_PASSWORD");
  },
  /** nsqlookupd's HTTP address, host:port, e.g. 127.0.0.1:4161 */
  get nsqLookupdHttp(): string {
    return required("TIDAL_TEST_NSQ_LOOKUPD_HTTP");
  },
  /** nsqd's HTTP address, host:port, e.g. 127.0.0.1:4151 */
  get nsqdHttp(): string {
    return required("TIDAL_TEST_NSQD_HTTP");
  },
  /** mongodb://tidal:tidal@127.0.0.1:27017/tidal (FerretDB; SCRAM authentication) */
  get mongodbUrl(): string {
    return required("TIDAL_TEST_MONGODB_URL");
  },
  /** http://tidal:tidal@127.0.0.1:8123 (ClickHouse's HTTP interface; user tidal, database default) */
  get clickhouseUrl(): string {
    return required("TIDAL_TEST_CLICKHOUSE_URL");
  },
  /** http://tidal:tidal@127.0.0.1:5984 (pouchdb-server; admin tidal) */
  get couchdbUrl(): string {
    return required("TIDAL_TEST_COUCHDB_URL");
  },
  /** ActiveMQ Classic's web console (Jolokia at /api/jolokia), host:port, e.g. 127.0.0.1:8161 */
  get activemqManagement(): string {
    return required("TIDAL_TEST_ACTIVEMQ_MANAGEMENT");
  },
  /** ActiveMQ Classic's brokerName */
  get activemqBroker(): string {
    return required("TIDAL_TEST_ACTIVEMQ_BROKER");
  },
  get activemqUsername(): string {
    return required("TIDAL_TEST_ACTIVEMQ_USERNAME");
  },
  get activemqPassword(): string {
    return required("TIDAL_TEST_ACTIVEMQ_PASSWORD");
  },
  /** ActiveMQ Artemis' web console (Jolokia at /console/jolokia), host:port, e.g. 127.0.0.1:8162 */
  get artemisManagement(): string {
    return required("TIDAL_TEST_ARTEMIS_MANAGEMENT");
  },
  /** ActiveMQ Artemis' broker name */
  get artemisBroker(): string {
    return required("TIDAL_TEST_ARTEMIS_BROKER");
  },
  get artemisUsername(): string {
    return required("TIDAL_TEST_ARTEMIS_USERNAME");
  },
  get artemisPassword(): string {
    return required("TIDAL_TEST_ARTEMIS_PASSWORD");
  },
  /** http://127.0.0.1:4444, a Selenium Grid hub without nodes (GraphQL at /graphql) */
  get seleniumGridUrl(): string {
    return required("TIDAL_TEST_SELENIUM_GRID_URL");
  },
  /** http://127.0.0.1:8085, graphite-web's render API */
  get graphiteUrl(): string {
    return required("TIDAL_TEST_GRAPHITE_URL");
  },
  /** 127.0.0.1:2003, carbon's plaintext protocol */
  get carbonAddress(): string {
    return required("TIDAL_TEST_CARBON_ADDRESS");
  },
  /** 127.0.0.1:9042, Cassandra's CQL port */
  get cassandraAddress(): string {
    return required("TIDAL_TEST_CASSANDRA_ADDRESS");
  },
  get cassandraUsername(): string {
    return required("TIDAL_TEST_CASSANDRA_USERNAME");
  },
  get cassandraPassword(): string {
    return required("TIDAL_TEST_CASSANDRA_PASSWORD");
  },
  /** http://127.0.0.1:8983 (Solr, context /solr; basic authentication) */
  get solrUrl(): string {
    return required("TIDAL_TEST_SOLR_URL");
  },
  get solrUsername(): string {
    return required("TIDAL_TEST_SOLR_USERNAME");
  },
  get solrPassword(): string {
    return required("TIDAL_TEST_SOLR_PASSWORD");
  },
  /** http://127.0.0.1:8075, Pulsar's web service and admin API (authentication on) */
  get pulsarAdminUrl(): string {
    return required("TIDAL_TEST_PULSAR_ADMIN_URL");
  },
  /** https://127.0.0.1:8076, the same API over TLS (client certificates of role tidal accepted) */
  get pulsarAdminTlsUrl(): string {
    return required("TIDAL_TEST_PULSAR_ADMIN_TLS_URL");
  },
  /** PEM files: the CA that signed Pulsar's certificate, and a client certificate and key of role tidal */
  get pulsarCaFile(): string {
    return required("TIDAL_TEST_PULSAR_CA_FILE");
  },
  get pulsarClientCertFile(): string {
    return required("TIDAL_TEST_PULSAR_CLIENT_CERT_FILE");
  },
  get pulsarClientKeyFile(): string {
    return required("TIDAL_TEST_PULSAR_CLIENT_KEY_FILE");
  },
  /** A JWT of role tidal, accepted as a bearer token */
  get pulsarToken(): string {
    // Made when the server first starts, which may be after the environment was read.
    return readFileSync(required("TIDAL_TEST_PULSAR_TOKEN_FILE"), "utf8").trim();
  },
  /** The HS256 key Pulsar checks tokens with (a file of raw bytes) */
  get pulsarTokenSecretFile(): string {
    return required("TIDAL_TEST_PULSAR_TOKEN_SECRET_FILE");
  },
  get pulsarUsername(): string {
    return required("TIDAL_TEST_PULSAR_USERNAME");
  },
  get pulsarPassword(): string {
    return required("TIDAL_TEST_PULSAR_PASSWORD");
  },
  /** 127.0.0.1:7233, the Temporal dev server's frontend (namespace default, no authentication) */
  get temporalEndpoint(): string {
    return required("TIDAL_TEST_TEMPORAL_ENDPOINT");
  },
  /** http://127.0.0.1:9201, OpenSearch (basic authentication) */
  get opensearchUrl(): string {
    return required("TIDAL_TEST_OPENSEARCH_URL");
  },
  get opensearchUsername(): string {
    return required("TIDAL_TEST_OPENSEARCH_USERNAME");
  },
  get opensearchPassword(): string {
    return required("TIDAL_TEST_OPENSEARCH_PASSWORD");
  },
  /** http://127.0.0.1:8086, InfluxDB 1.8 with its Flux API /api/v2/query (authentication on) */
  get influxdbUrl(): string {
    return required("TIDAL_TEST_INFLUXDB_URL");
  },
  /** The API token InfluxDB 1.8 accepts on /api/v2: username:password */
  get influxdbToken(): string {
    return required("TIDAL_TEST_INFLUXDB_TOKEN");
  },
};
