import type { ScalerDefinition } from "../types.ts";
import { acquireAdmin, describeKafkaError, readPartitionOffsets } from "./client.ts";
import { parsePartitionLimitation, totalLag } from "./lag.ts";
import { kafkaParamProblems, kafkaParams } from "./params.ts";

export const kafkaScaler: ScalerDefinition<typeof kafkaParams> = {
  type: "kafka",
  testedAgainst:
    "Apache Kafka 4.1 (KRaft): PLAINTEXT, SSL with client certificates, SASL_PLAINTEXT and SASL_SSL with PLAIN, SCRAM, OAUTHBEARER (JWKS-validated tokens) and GSSAPI (MIT krb5kdc)",
  example: {
    metadata: { bootstrapServers: "kafka:9092", consumerGroup: "workers", topic: "a.b" },
    metricName: "s0-kafka-a-b",
  },
  kedaScalerName: "kafkaScaler",
  legacy: { renamedKeys: { brokerList: "bootstrapServers" } },
  description: "Lag of a Kafka consumer group: latest minus committed offsets, summed over partitions.",
  params: kafkaParams,
  validate: (values, context) => kafkaParamProblems(values, context),
  metric: (values) => ({
    name: values.topic ? `kafka-${values.topic}` : `kafka-${values.consumerGroup}-topics`,
    target: values.lagThreshold,
    activationTarget: values.activationLagThreshold,
  }),
  connect(values, context) {
    const lease = acquireAdmin(values, context);
    const limitation = values.partitionLimitation
      ? parsePartitionLimitation(values.partitionLimitation)
      : undefined;
    const query = {
      group: values.consumerGroup,
      topic: values.topic,
      partitionLimitation: Array.isArray(limitation) ? limitation : undefined,
    };
    // excludePersistentLag compares each poll's committed offsets with the previous poll's.
    let previousCommitted: ReadonlyMap<string, number> = new Map();
    return {
      async measure() {
        const admin = await lease.client;
        let partitions;
        try {
          partitions = await readPartitionOffsets(admin, query);
        } catch (error) {
          const source = values.topic ? `topic "${values.topic}"` : "its topics";
          throw new Error(
            `cannot read the lag of consumer group "${values.consumerGroup}" on ${source} from ` +
              `${values.bootstrapServers.join(",")}: ${describeKafkaError(error)}`,
            { cause: error },
          );
        }
        const totals = totalLag(partitions, values, previousCommitted);
        previousCommitted = totals.committed;
        return {
          value: totals.totalLag,
          active: totals.totalLagWithPersistent > values.activationLagThreshold,
        };
      },
      close: () => lease.release(),
    };
  },
};
