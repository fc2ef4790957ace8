import { expect } from "vitest";
import {
  kedaVar,
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { parsePartitionLimitation, partitionLag, totalLag } from "./lag.ts";

const FILE = "kafka_scaler_test.json";
const validMetadata = stringMap(kedaVar(FILE, "validKafkaMetadata"));
const withAuthParams = stringMap(kedaVar(FILE, "validWithAuthParams"));

/** What TestGetBrokers checks on a row that parses, in Tidal's parameter names. */
function brokerFacts(row: KedaRow) {
  const limitation = plain(row.partitionLimitation) as number[] | null;
  return {
    params: {
      bootstrapServers: plain(row.brokers),
      consumerGroup: row.group,
      offsetResetPolicy: plain(row.offsetResetPolicy),
      allowIdleConsumers: row.allowIdleConsumers,
      excludePersistentLag: row.excludePersistentLag,
      limitToPartitionsWithLag: row.limitToPartitionsWithLag,
      ensureEvenDistributionOfPartitions: row.ensureEvenDistributionOfPartitions,
    },
    check: (prepared: { params: Record<string, unknown> }) => {
      const { topic, partitionLimitation } = prepared.params;
      expect(topic ?? "").toBe(row.topic);
      // Tidal keeps the text and, as KEDA, measures the listed partitions only when a topic is set.
      const effective =
        topic && partitionLimitation ? parsePartitionLimitation(String(partitionLimitation)) : null;
      expect(effective).toEqual(limitation?.length ? limitation : null);
    },
  };
}

for (const [variant, authParams] of [
  ["with auth params", withAuthParams],
  ["without auth params", {}],
] as const) {
  runParseVectors({
    file: FILE,
    table: "parseKafkaMetadataTestDataset",
    variant,
    type: "kafka",
    inputs: (row) => ({ metadata: stringMap(row.metadata), authParams }),
    expect: brokerFacts,
  });
}

runParseVectors({
  file: FILE,
  table: "parseKafkaAuthParamsTestDataset",
  type: "kafka",
  inputs: (row) => ({ metadata: validMetadata, authParams: stringMap(row.authParams) }),
});

runParseVectors({
  file: FILE,
  table: "parseAuthParamsTestDataset",
  type: "kafka",
});

runParseVectors({
  file: FILE,
  table: "parseKafkaOAuthbearerAuthParamsTestDataset",
  type: "kafka",
  // KEDA's test copies the valid metadata into each row's metadata first.
  inputs: (row) => ({
    metadata: { ...stringMap(row.metadata), ...validMetadata },
    authParams: stringMap(row.authParams),
  }),
});

runParseVectors({
  file: FILE,
  table: "kafkaMetricIdentifiers",
  type: "kafka",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    authParams: withAuthParams,
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runValueVectors(FILE, "TestKafkaParsePartitionLimitation.tests", {}, (row) => {
  const parsed = parsePartitionLimitation(String(row.input));
  if (row.isError) expect(typeof parsed).toBe("string");
  else expect(parsed).toEqual(plain(row.expected));
});

runValueVectors(FILE, "TestGetLagForPartition_MissingPartition.tests", {}, (row) => {
  const settings = {
    lagThreshold: 10,
    offsetResetPolicy: plain(row.offsetResetPolicy) as "latest" | "earliest",
    scaleToZeroOnInvalidOffset: Boolean(row.scaleToZeroOnInvalidOffset),
    excludePersistentLag: false,
    allowIdleConsumers: true,
    limitToPartitionsWithLag: false,
    ensureEvenDistributionOfPartitions: false,
  };
  const latest = (plain(row.topicPartitionOffsets) as Record<string, Record<string, number>>)["test-topic"]?.[
    "0"
  ];
  const committed = Number(row.consumerOffset);
  // A partition the broker gives no latest offset for is left out (readPartitionOffsets), so it adds 0.
  const lag =
    latest === undefined
      ? { lag: totalLag([], settings, new Map()).totalLag, lagWithPersistent: 0 }
      : partitionLag({ committed, latest }, settings, undefined);
  expect(lag).toEqual({ lag: row.expectedLag, lagWithPersistent: row.expectedLagWithPersistent });
});

runParseVectors({
  file: FILE,
  table: "TestKafkaClientsOAuthTokenProvider.testData",
  type: "kafka",
  kedaError: () => false,
  // The token provider the client is built with (Tidal's MSK IAM provider cannot connect yet).
  expect: (row) => ({
    check: (prepared) => {
      const provider = (prepared.params as { saslTokenProvider?: string }).saslTokenProvider ?? "bearer";
      expect(provider === "aws_msk_iam" ? "MSK" : "OAuthBearer").toBe(row.expectedTokenProvider);
    },
  }),
});
