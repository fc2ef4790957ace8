import { expect } from "vitest";
import {
  kedaVar,
  runParseVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import type { PreparedTrigger } from "../../scalers/prepared-trigger.ts";

// redis-cluster and redis-sentinel (TestParseRedisClusterMetadata, TestParseRedisSentinelMetadata
// and their streams forms) are trigger types Tidal does not have yet; their tables wait for them.

const DOC = "docs/keda-differences.md#redis";
const ZERO_TARGET = {
  tidalError: true,
  reason: "listLength 0 is an error when parsed; with KEDA, Kubernetes rejects the HPA's 0 target",
  doc: DOC,
};
const PLACEHOLDER_ADDRESS = {
  tidalError: true,
  reason:
    "an address or port that is not host:port with a number is an error when parsed; KEDA fails when it connects",
  doc: DOC,
};

/** Whether the prepared trigger connects with TLS, and with which material (KEDA's checks). */
function expectTls(prepared: PreparedTrigger, enabled: boolean, authParams: Record<string, string>) {
  const params = prepared.params as Record<string, unknown>;
  expect(params.enableTLS === true || params.tls === "enable").toBe(enabled);
  if (!enabled) return;
  for (const key of ["ca", "cert", "key", "keyPassword"]) expect(params[key]).toBe(authParams[key]);
}

const LIST_FILE = "redis_scaler_test.json";
const listEnv = stringMap(kedaVar(LIST_FILE, "testRedisResolvedEnv"));
const listInputs = (row: KedaRow): VectorInputs => ({
  metadata: stringMap(row.metadata),
  authParams: stringMap(row.authParams),
  resolvedEnv: listEnv,
});

runParseVectors({
  file: LIST_FILE,
  table: "testRedisMetadata",
  type: "redis",
  inputs: listInputs,
  expect: (row) => ({
    check: (prepared) => expectTls(prepared, Boolean(row.EnableTLS), stringMap(row.authParams)),
  }),
  differences: {
    1: { ...PLACEHOLDER_ADDRESS, reason: `address "none" has no port: ${PLACEHOLDER_ADDRESS.reason}` },
    3: { ...PLACEHOLDER_ADDRESS, reason: `address "none" has no port: ${PLACEHOLDER_ADDRESS.reason}` },
    10: ZERO_TARGET,
    11: ZERO_TARGET,
    12: ZERO_TARGET,
    13: ZERO_TARGET,
    14: ZERO_TARGET,
    15: ZERO_TARGET,
    16: ZERO_TARGET,
  },
});

runParseVectors({
  file: LIST_FILE,
  table: "redisMetricIdentifiers",
  type: "redis",
  inputs: (row) => ({ ...listInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
  differences: {
    0: { ...PLACEHOLDER_ADDRESS, reason: `address "none" has no port: ${PLACEHOLDER_ADDRESS.reason}` },
    1: { ...PLACEHOLDER_ADDRESS, reason: `address "none" has no port: ${PLACEHOLDER_ADDRESS.reason}` },
  },
});

const STREAMS_FILE = "redis_streams_scaler_test.json";

/** TestParseRedisStreamsMetadata: the stream, group, target, credentials, database and TLS parsed. */
function streamFacts(targetKey: "pendingEntriesCount" | "lagCount") {
  return (row: KedaRow) => {
    const metadata = stringMap(row.metadata);
    const env = stringMap(row.resolvedEnv);
    const auth = stringMap(row.authParams);
    return {
      target: Number(metadata[targetKey]),
      params: {
        stream: metadata.stream,
        consumerGroup: metadata.consumerGroup,
        databaseIndex: Number(metadata.databaseIndex),
        username: auth.username ?? env[metadata.usernameFromEnv ?? ""],
        password: auth.password ?? env[metadata.passwordFromEnv ?? ""],
      },
      check: (prepared: PreparedTrigger) => expectTls(prepared, metadata.enableTLS === "true", auth),
    };
  };
}

runParseVectors({
  file: STREAMS_FILE,
  table: "TestParseRedisStreamsMetadata.testCasesPending",
  type: "redis-streams",
  kedaError: () => false,
  expect: streamFacts("pendingEntriesCount"),
  differences: {
    1: { ...PLACEHOLDER_ADDRESS, reason: `port "REDIS_PORT" is not a number: ${PLACEHOLDER_ADDRESS.reason}` },
  },
});

runParseVectors({
  file: STREAMS_FILE,
  table: "TestParseRedisStreamsMetadata.testCasesLag",
  type: "redis-streams",
  kedaError: () => false,
  expect: streamFacts("lagCount"),
  differences: {
    1: { ...PLACEHOLDER_ADDRESS, reason: `port "REDIS_PORT" is not a number: ${PLACEHOLDER_ADDRESS.reason}` },
  },
});

runParseVectors({
  file: STREAMS_FILE,
  table: "TestParseRedisStreamsMetadataForInvalidCases.testCases",
  type: "redis-streams",
  kedaError: () => true,
});

runParseVectors({
  file: STREAMS_FILE,
  table: "TestRedisStreamsGetMetricSpecForScaling.redisStreamMetricIdentifiers",
  type: "redis-streams",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    resolvedEnv: { REDIS_SERVICE: "my-address" },
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
  differences: {
    0: {
      ...PLACEHOLDER_ADDRESS,
      reason: `address "REDIS_SERVICE" has no port: ${PLACEHOLDER_ADDRESS.reason}`,
    },
    1: {
      ...PLACEHOLDER_ADDRESS,
      reason: `address "REDIS_SERVICE" has no port: ${PLACEHOLDER_ADDRESS.reason}`,
    },
  },
});
