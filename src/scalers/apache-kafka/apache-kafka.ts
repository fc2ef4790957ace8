import { describeKafkaError } from "../kafka/client.ts";
import { parsePartitionLimitation, totalLag } from "../kafka/lag.ts";
import { awsCredentialProblems } from "../kafka/params.ts";
import { param, type ParamProblem, type ParsedParams } from "../params.ts";
import { tlsAuthParams } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireApacheKafkaAdmin, readApacheKafkaOffsets } from "./offsets.ts";

const { ca, cert, key, keyPassword } = tlsAuthParams;
const FROM_ENV = ["metadata", "env"] as const;

/** KEDA's apache-kafka parameters (the experimental kafka-go scaler), with its names and defaults. */
const params = {
  bootstrapServers: param.list({ sources: FROM_ENV, description: "comma-separated host:port brokers" }),
  consumerGroup: param.string({ sources: FROM_ENV, description: "consumer group whose lag is measured" }),
  topic: param.list({
    sources: FROM_ENV,
    optional: true,
    description:
      "topics, comma-separated; empty means every topic in the cluster once the group has members (KEDA's apache-kafka)",
  }),
  partitionLimitation: param.string({
    optional: true,
    description: "partitions to measure, e.g. 1,2,5-7 (ignored without topics)",
  }),
  lagThreshold: param.int({ default: 10, description: "target lag per replica" }),
  activationLagThreshold: param.int({
    default: 0,
    description: "active when the total lag is greater than this",
  }),
  offsetResetPolicy: param.enum(["earliest", "latest"], {
    default: "latest",
    description: "where the consumers start when the group has no valid offset",
  }),
  allowIdleConsumers: param.bool({ default: false, description: "allow more replicas than partitions" }),
  excludePersistentLag: param.bool({
    default: false,
    description: "ignore the lag of partitions whose committed offset did not move since the last poll",
  }),
  scaleToZeroOnInvalidOffset: param.bool({
    default: false,
    description: "count partitions without a committed offset as lag 0 instead of 1 (or the whole log)",
  }),
  limitToPartitionsWithLag: param.bool({
    default: false,
    description: "cap replicas at the partitions that have lag",
  }),
  ensureEvenDistributionOfPartitions: param.bool({
    default: false,
    description: "round the replica count up to a factor of the partition count",
  }),
  sasl: param.enum(["none", "plaintext", "scram_sha256", "scram_sha512", "gssapi", "aws_msk_iam"], {
    sources: ["metadata", "auth"],
    default: "none",
    description: "SASL mechanism (gssapi and aws_msk_iam are parsed as KEDA does but cannot connect)",
  }),
  username: param.string({ sources: ["auth"], optional: true, description: "SASL user name" }),
  password: param.string({ sources: ["auth"], optional: true, secret: true, description: "SASL password" }),
  awsRegion: param.string({
    optional: true,
    description: "AWS region of the MSK cluster (sasl aws_msk_iam)",
  }),
  tls: param.enum(["enable", "disable"], {
    sources: ["metadata", "auth"],
    default: "disable",
    description: "enable to connect with TLS",
  }),
  ca,
  cert,
  key,
  keyPassword,
};

type Values = ParsedParams<typeof params>;

function validate(values: Values, context: Parameters<NonNullable<ScalerDefinition["validate"]>>[1]) {
  const problems: ParamProblem[] = [];
  const add = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  const { metadata, authParams } = context.inputs;
  for (const both of ["sasl", "tls"]) {
    if (metadata[both]?.trim() && authParams[both]?.trim()) {
      add(both, `unable to set \`${both}\` in both ScaledObject and TriggerAuthentication together`);
    }
  }
  if (values.lagThreshold <= 0) add("lagThreshold", "lagThreshold must be a positive number");
  if (values.activationLagThreshold < 0)
    add("activationLagThreshold", "activationLagThreshold must be a positive number");
  if (values.partitionLimitation !== undefined) {
    const parsed = parsePartitionLimitation(values.partitionLimitation);
    if (typeof parsed === "string") add("partitionLimitation", parsed);
  }
  if (values.allowIdleConsumers && values.limitToPartitionsWithLag) {
    add(
      "limitToPartitionsWithLag",
      "allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously",
    );
  }
  if (!values.topic?.length && values.limitToPartitionsWithLag) {
    add("topic", "topic must be specified when using limitToPartitionsWithLag");
  }
  if (values.tls === "enable" && Boolean(values.cert) !== Boolean(values.key)) {
    add(values.cert ? "key" : "cert", "can't set only one of cert or key when using TLS");
  }
  if (values.sasl === "plaintext" && (!values.username || !values.password)) {
    add(
      values.username ? "password" : "username",
      "username and password must be set when using SASL/PLAINTEXT",
    );
  }
  if (values.sasl === "aws_msk_iam") {
    if (!values.awsRegion) add("awsRegion", "awsRegion must be set when using AWS MSK IAM");
    else if (values.tls !== "enable") add("tls", "TLS must be enabled when using AWS MSK IAM");
    else if (context.podIdentity?.provider !== "aws") {
      const missing = awsCredentialProblems(metadata, authParams);
      if (missing) add("sasl", `AWS credentials for MSK IAM: ${missing}`);
    }
  }
  return problems;
}

export const apacheKafkaScaler: ScalerDefinition<typeof params> = {
  type: "apache-kafka",
  kedaScalerName: "apacheKafkaScaler",
  description:
    "Lag of a Kafka consumer group over one or more topics (KEDA's experimental kafka-go scaler): latest minus committed offsets.",
  testedAgainst:
    "Apache Kafka 4.1 (KRaft): PLAINTEXT, SASL_PLAINTEXT and SASL_SSL (PLAIN, SCRAM-SHA-256/512), SSL with a client certificate",
  example: {
    metadata: { bootstrapServers: "kafka:9092", consumerGroup: "workers", topic: "orders" },
    metricName: "s0-kafka-orders",
  },
  params,
  validate,
  metric: (values) => ({
    name: values.topic?.length ? `kafka-${values.topic.join(",")}` : `kafka-${values.consumerGroup}-topics`,
    target: values.lagThreshold,
    activationTarget: values.activationLagThreshold,
  }),
  connect(values, context) {
    const limitation = values.partitionLimitation
      ? parsePartitionLimitation(values.partitionLimitation)
      : undefined;
    const connection = {
      ...values,
      // KEDA ignores partitionLimitation without topics.
      partitionLimitation: Array.isArray(limitation) && values.topic?.length ? limitation : undefined,
    };
    const lease = acquireApacheKafkaAdmin(connection, context);
    let previousCommitted: ReadonlyMap<string, number> = new Map();
    const source = values.topic?.length ? `topic ${values.topic.join(",")}` : "the cluster's topics";
    return {
      async measure() {
        let partitions;
        try {
          partitions = await readApacheKafkaOffsets(await lease.client, connection);
        } catch (error) {
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
