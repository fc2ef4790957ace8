import { expect } from "vitest";
import {
  kedaVar,
  plain,
  runParseVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import type { PreparedTrigger } from "../prepared-trigger.ts";
import { parsePartitionLimitation } from "../kafka/lag.ts";

const FILE = "apache_kafka_scaler_test.json";
const validMetadata = stringMap(kedaVar(FILE, "validApacheKafkaMetadata"));
const withAuthParams = stringMap(kedaVar(FILE, "validApacheKafkaWithAuthParams"));
const withoutAuthParams = stringMap(kedaVar(FILE, "validApacheKafkaWithoutAuthParams"));

/** TestApacheKafkaGetBrokers: what KEDA parsed, against Tidal's parameters. */
function brokerFacts(row: KedaRow) {
  return {
    check: (prepared: PreparedTrigger) => {
      const params = prepared.params as Record<string, unknown>;
      const topics = (params.topic as string[] | undefined) ?? null;
      const limitation =
        topics && typeof params.partitionLimitation === "string"
          ? parsePartitionLimitation(params.partitionLimitation)
          : null;
      expect({
        bootstrapServers: params.bootstrapServers,
        consumerGroup: params.consumerGroup,
        topic: topics,
        partitionLimitation: limitation,
        offsetResetPolicy: params.offsetResetPolicy,
        allowIdleConsumers: params.allowIdleConsumers,
        excludePersistentLag: params.excludePersistentLag,
        limitToPartitionsWithLag: params.limitToPartitionsWithLag,
        ensureEvenDistributionOfPartitions: params.ensureEvenDistributionOfPartitions,
      }).toEqual({
        bootstrapServers: plain(row.brokers),
        consumerGroup: row.group,
        topic: plain(row.topic),
        partitionLimitation: plain(row.partitionLimitation),
        offsetResetPolicy: plain(row.offsetResetPolicy),
        allowIdleConsumers: row.allowIdleConsumers,
        excludePersistentLag: row.excludePersistentLag,
        limitToPartitionsWithLag: row.limitToPartitionsWithLag,
        ensureEvenDistributionOfPartitions: row.ensureEvenDistributionOfPartitions,
      });
    },
  };
}

/** The TLS material KEDA checks where TLS is on: the authentication's ca, cert, key and keyPassword. */
function expectTlsMaterial(params: Record<string, unknown>, authParams: Record<string, string>): void {
  for (const key of ["ca", "cert", "key", "keyPassword"]) expect(params[key]).toBe(authParams[key]);
}

for (const [variant, authParams] of [
  ["with validApacheKafkaWithAuthParams", withAuthParams],
  ["with validApacheKafkaWithoutAuthParams", withoutAuthParams],
] as const) {
  runParseVectors({
    file: FILE,
    table: "parseApacheKafkaMetadataTestDataset",
    variant,
    type: "apache-kafka",
    inputs: (row) => ({ metadata: stringMap(row.metadata), authParams }),
    expect: brokerFacts,
  });
}

// TestApacheKafkaAuthParams, first loop: whether TLS is on, and with KEDA's material.
runParseVectors({
  file: FILE,
  table: "parseApacheKafkaAuthParamsTestDataset",
  type: "apache-kafka",
  inputs: (row) => ({ metadata: validMetadata, authParams: stringMap(row.authParams) }),
  expect: (row) => ({
    check: (prepared) => {
      const params = prepared.params as Record<string, unknown>;
      expect(params.tls === "enable").toBe(row.enableTLS);
      if (params.tls === "enable") expectTlsMaterial(params, stringMap(row.authParams));
    },
  }),
});

// Second loop: KEDA checks TLS only where the metadata says tls: "true".
runParseVectors({
  file: FILE,
  table: "parseApacheKafkaAuthParamsTestDataset2",
  type: "apache-kafka",
  expect: (row) => ({
    check: (prepared) => {
      const params = prepared.params as Record<string, unknown>;
      if (stringMap(row.metadata).tls === kedaVar(FILE, "stringTrue")) expect(params.tls).toBe("enable");
      if (params.tls === "enable") expectTlsMaterial(params, stringMap(row.authParams));
    },
  }),
});

runParseVectors({
  file: FILE,
  table: "apacheKafkaMetricIdentifiers",
  type: "apache-kafka",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    authParams: withAuthParams,
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});
