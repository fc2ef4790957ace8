import { apacheKafkaScaler } from "./apache-kafka/apache-kafka.ts";
import { beanstalkdScaler } from "./beanstalkd/beanstalkd.ts";
import { awsCloudwatchScaler } from "./aws/cloudwatch.ts";
import { awsDynamoDbScaler } from "./aws/dynamodb.ts";
import { awsDynamoDbStreamsScaler } from "./aws/dynamodb-streams.ts";
import { awsKinesisStreamScaler } from "./aws/kinesis.ts";
import { awsSqsQueueScaler } from "./aws/sqs.ts";
import { azureBlobScaler } from "./azure/blob.ts";
import { azureEventHubScaler } from "./azure/eventhub.ts";
import { azureQueueScaler } from "./azure/queue.ts";
import { azureServiceBusScaler } from "./azure/servicebus.ts";
import { activeMqScaler } from "./activemq/activemq.ts";
import { artemisScaler } from "./artemis/artemis.ts";
import { cassandraScaler } from "./cassandra/cassandra.ts";
import { couchDbScaler } from "./couchdb/couchdb.ts";
import { graphiteScaler } from "./graphite/graphite.ts";
import { mongoDbScaler } from "./mongodb/mongodb.ts";
import { seleniumGridScaler } from "./selenium-grid/selenium-grid.ts";
import { solrScaler } from "./solr/solr.ts";
import { cronScaler } from "./cron/cron.ts";
import { cpuScaler, memoryScaler } from "./resource/resource.ts";
import { etcdScaler } from "./etcd/etcd.ts";
import { externalPushScaler, externalScaler } from "./external/external.ts";
import { gcpCloudTasksScaler } from "./gcp/cloud-tasks.ts";
import { gcpPubSubScaler } from "./gcp/pubsub.ts";
import { gcpStackdriverScaler } from "./gcp/stackdriver.ts";
import { gcpStorageScaler } from "./gcp/storage.ts";
import { kafkaScaler } from "./kafka/kafka.ts";
import { kubernetesResourceScaler } from "./kubernetes/resource.ts";
import { kubernetesWorkloadScaler } from "./kubernetes/workload.ts";
import { metricsApiScaler } from "./metrics-api/metrics-api.ts";
import { mqttScaler } from "./mqtt/mqtt.ts";
import { mysqlScaler } from "./mysql/mysql.ts";
import { natsJetStreamScaler } from "./nats-jetstream/nats-jetstream.ts";
import { nsqScaler } from "./nsq/nsq.ts";
import { postgresqlScaler } from "./postgresql/postgresql.ts";
import { predictKubeScaler } from "./predictkube/predictkube.ts";
import { prometheusScaler } from "./prometheus/prometheus.ts";
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
  artemisScaler,
  awsCloudwatchScaler,
  awsDynamoDbScaler,
  awsDynamoDbStreamsScaler,
  awsKinesisStreamScaler,
  awsSqsQueueScaler,
  azureBlobScaler,
  azureEventHubScaler,
  azureQueueScaler,
  azureServiceBusScaler,
  beanstalkdScaler,
  cassandraScaler,
  couchDbScaler,
  cpuScaler,
  cronScaler,
  etcdScaler,
  externalScaler,
  externalPushScaler,
  gcpCloudTasksScaler,
  gcpPubSubScaler,
  gcpStackdriverScaler,
  gcpStorageScaler,
  graphiteScaler,
  kafkaScaler,
  kubernetesResourceScaler,
  kubernetesWorkloadScaler,
  memoryScaler,
  metricsApiScaler,
  mongoDbScaler,
  mqttScaler,
  mysqlScaler,
  natsJetStreamScaler,
  nsqScaler,
  postgresqlScaler,
  predictKubeScaler,
  prometheusScaler,
  rabbitMqScaler,
  redisScaler,
  redisClusterScaler,
  redisClusterStreamsScaler,
  redisSentinelScaler,
  redisSentinelStreamsScaler,
  redisStreamsScaler,
  seleniumGridScaler,
  solrScaler,
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
