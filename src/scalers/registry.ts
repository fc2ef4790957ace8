import { apacheKafkaScaler } from "./apache-kafka/apache-kafka.ts";
import { arangoDbScaler } from "./arangodb/arangodb.ts";
import { beanstalkdScaler } from "./beanstalkd/beanstalkd.ts";
import { awsCloudwatchScaler } from "./aws/cloudwatch.ts";
import { awsDynamoDbScaler } from "./aws/dynamodb.ts";
import { awsDynamoDbStreamsScaler } from "./aws/dynamodb-streams.ts";
import { awsKinesisStreamScaler } from "./aws/kinesis.ts";
import { awsSqsQueueScaler } from "./aws/sqs.ts";
import { azureAppInsightsScaler } from "./azure/app-insights.ts";
import { azureBlobScaler } from "./azure/blob.ts";
import { azureDataExplorerScaler } from "./azure/data-explorer.ts";
import { azureEventHubScaler } from "./azure/eventhub.ts";
import { azureLogAnalyticsScaler } from "./azure/log-analytics.ts";
import { azureMonitorScaler } from "./azure/monitor.ts";
import { azurePipelinesScaler } from "./azure/pipelines.ts";
import { azureQueueScaler } from "./azure/queue.ts";
import { azureServiceBusScaler } from "./azure/servicebus.ts";
import { activeMqScaler } from "./activemq/activemq.ts";
import { artemisScaler } from "./artemis/artemis.ts";
import { cassandraScaler } from "./cassandra/cassandra.ts";
import { clickHouseScaler } from "./clickhouse/clickhouse.ts";
import { couchDbScaler } from "./couchdb/couchdb.ts";
import { githubRunnerScaler } from "./github-runner/github-runner.ts";
import { graphiteScaler } from "./graphite/graphite.ts";
import { ibmMqScaler } from "./ibmmq/ibmmq.ts";
import { liiklusScaler } from "./liiklus/liiklus.ts";
import { mongoDbScaler } from "./mongodb/mongodb.ts";
import { seleniumGridScaler } from "./selenium-grid/selenium-grid.ts";
import { solaceDirectMessagingScaler } from "./solace/direct-messaging.ts";
import { solaceEventQueueScaler } from "./solace/event-queue.ts";
import { solrScaler } from "./solr/solr.ts";
import { splunkScaler } from "./splunk/splunk.ts";
import { splunkObservabilityScaler } from "./splunk-observability/splunk-observability.ts";
import { sumologicScaler } from "./sumologic/sumologic.ts";
import { huaweiCloudeyeScaler } from "./huawei-cloudeye/cloudeye.ts";
import { solarWindsScaler } from "./solarwinds/solarwinds.ts";
import { temporalScaler } from "./temporal/temporal.ts";
import { cronScaler } from "./cron/cron.ts";
import { elasticForecastScaler } from "./elastic-forecast/elastic-forecast.ts";
import { elasticsearchScaler } from "./elasticsearch/elasticsearch.ts";
import { cpuScaler, memoryScaler } from "./resource/resource.ts";
import { datadogScaler } from "./datadog/datadog.ts";
import { dynatraceScaler } from "./dynatrace/dynatrace.ts";
import { etcdScaler } from "./etcd/etcd.ts";
import { forgejoRunnerScaler } from "./forgejo-runner/forgejo-runner.ts";
import { externalPushScaler, externalScaler } from "./external/external.ts";
import { gcpCloudTasksScaler } from "./gcp/cloud-tasks.ts";
import { gcpPubSubScaler } from "./gcp/pubsub.ts";
import { gcpSpannerScaler } from "./gcp/spanner.ts";
import { gcpStackdriverScaler } from "./gcp/stackdriver.ts";
import { gcpStorageScaler } from "./gcp/storage.ts";
import { influxDbScaler } from "./influxdb/influxdb.ts";
import { kafkaScaler } from "./kafka/kafka.ts";
import { kubernetesResourceScaler } from "./kubernetes/resource.ts";
import { kubernetesWorkloadScaler } from "./kubernetes/workload.ts";
import { lokiScaler } from "./loki/loki.ts";
import { metricsApiScaler } from "./metrics-api/metrics-api.ts";
import { mqttScaler } from "./mqtt/mqtt.ts";
import { mssqlScaler } from "./mssql/mssql.ts";
import { mysqlScaler } from "./mysql/mysql.ts";
import { natsJetStreamScaler } from "./nats-jetstream/nats-jetstream.ts";
import { newRelicScaler } from "./new-relic/new-relic.ts";
import { opensearchScaler } from "./opensearch/opensearch.ts";
import { nsqScaler } from "./nsq/nsq.ts";
import { openstackMetricScaler } from "./openstack/metric.ts";
import { openstackSwiftScaler } from "./openstack/swift.ts";
import { postgresqlScaler } from "./postgresql/postgresql.ts";
import { predictKubeScaler } from "./predictkube/predictkube.ts";
import { prometheusScaler } from "./prometheus/prometheus.ts";
import { pulsarScaler } from "./pulsar/pulsar.ts";
import { rabbitMqScaler } from "./rabbitmq/rabbitmq.ts";
import { redisScaler } from "./redis/redis.ts";
import { redisStreamsScaler } from "./redis/streams.ts";
import {
  redisClusterScaler,
  redisClusterStreamsScaler,
  redisSentinelScaler,
  redisSentinelStreamsScaler,
} from "./redis/variants.ts";
import type { LegacyTriggerRules } from "../api/legacy.ts";
import type { ScalerDefinition } from "./types.ts";

/** Every scaler Tidal ships, sorted by trigger type. Adding a scaler means adding it here. */
const definitions: readonly ScalerDefinition[] = [
  activeMqScaler,
  apacheKafkaScaler,
  arangoDbScaler,
  artemisScaler,
  awsCloudwatchScaler,
  awsDynamoDbScaler,
  awsDynamoDbStreamsScaler,
  awsKinesisStreamScaler,
  awsSqsQueueScaler,
  azureAppInsightsScaler,
  azureBlobScaler,
  azureDataExplorerScaler,
  azureEventHubScaler,
  azureLogAnalyticsScaler,
  azureMonitorScaler,
  azurePipelinesScaler,
  azureQueueScaler,
  azureServiceBusScaler,
  beanstalkdScaler,
  cassandraScaler,
  clickHouseScaler,
  couchDbScaler,
  cpuScaler,
  cronScaler,
  datadogScaler,
  dynatraceScaler,
  elasticForecastScaler,
  elasticsearchScaler,
  etcdScaler,
  externalScaler,
  externalPushScaler,
  forgejoRunnerScaler,
  gcpCloudTasksScaler,
  gcpPubSubScaler,
  gcpSpannerScaler,
  gcpStackdriverScaler,
  gcpStorageScaler,
  githubRunnerScaler,
  graphiteScaler,
  huaweiCloudeyeScaler,
  ibmMqScaler,
  influxDbScaler,
  kafkaScaler,
  kubernetesResourceScaler,
  kubernetesWorkloadScaler,
  liiklusScaler,
  lokiScaler,
  memoryScaler,
  metricsApiScaler,
  mongoDbScaler,
  mqttScaler,
  mssqlScaler,
  mysqlScaler,
  natsJetStreamScaler,
  newRelicScaler,
  nsqScaler,
  opensearchScaler,
  openstackMetricScaler,
  openstackSwiftScaler,
  postgresqlScaler,
  predictKubeScaler,
  prometheusScaler,
  pulsarScaler,
  rabbitMqScaler,
  redisScaler,
  redisClusterScaler,
  redisClusterStreamsScaler,
  redisSentinelScaler,
  redisSentinelStreamsScaler,
  redisStreamsScaler,
  seleniumGridScaler,
  solaceDirectMessagingScaler,
  solaceEventQueueScaler,
  solarWindsScaler,
  solrScaler,
  splunkScaler,
  splunkObservabilityScaler,
  sumologicScaler,
  temporalScaler,
];

const byType = new Map<string, ScalerDefinition>();
for (const definition of definitions) {
  for (const type of [definition.type, ...(definition.aliases ?? [])]) {
    if (byType.has(type)) throw new Error(`scaler type "${type}" is registered twice`);
    byType.set(type, definition);
  }
}

export function findScaler(type: string): ScalerDefinition | undefined {
  return byType.get(type);
}

/** How KEDA 1.x wrote each trigger type's metadata, as the scalers declare it. */
export const legacyTriggerRules: LegacyTriggerRules = (type) => findScaler(type)?.legacy;

export function allScalers(): readonly ScalerDefinition[] {
  return definitions;
}

/** Every trigger type Tidal accepts, including aliases. */
export function supportedTriggerTypes(): string[] {
  return [...byType.keys()].sort();
}
