import type { ScalerDefinition } from "../types.ts";
import { acquireAdmin, lagMeasure, readPartitionOffsets } from "./client.ts";
import { parsePartitionLimitation } from "./lag.ts";
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
    const measureLag = lagMeasure(values, values.topic ? `topic "${values.topic}"` : "its topics");
    return {
      async measure() {
        const admin = await lease.client;
        return measureLag(() => readPartitionOffsets(admin, query));
      },
      close: () => lease.release(),
    };
  },
};
