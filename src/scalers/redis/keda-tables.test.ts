import { expect } from "vitest";
import {
  kedaVar,
  plain,
  runParseVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import type { PreparedTrigger } from "../../scalers/prepared-trigger.ts";
import { isProblem, redisEndpoints, type RedisConnectionParams } from "./connection.ts";
import { streamsMode } from "./streams.ts";

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

// redis-cluster, redis-sentinel and their -streams forms: KEDA's parse is the same for every
// variant; each table runs as the trigger type it is named after.

/** KEDA's parsed address as Tidal connects to it: Go dials an empty host as the local system. */
function dialed(address: string): string {
  return address.startsWith(":") ? `localhost${address}` : address;
}

const SCALE_FACTOR = { xPendingFactor: "pending", xLengthFactor: "length", lagFactor: "lag" } as const;

/** KEDA's fields of wantMeta (and of its ConnectionInfo) named as Tidal's parameters. */
const SAME_FIELD: Record<string, string> = {
  ListLength: "listLength",
  ListName: "listName",
  StreamName: "stream",
  ConsumerGroupName: "consumerGroup",
  ActivationLagCount: "activationLagCount",
  Username: "username",
  Password: "password",
  SentinelUsername: "sentinelUsername",
  SentinelPassword: "sentinelPassword",
  SentinelMaster: "sentinelMaster",
  UnsafeSsl: "unsafeSsl",
};

/** KEDA's wantMeta against Tidal's parameters: addresses, the fields above, TLS and scale factor. */
function variantFacts(row: KedaRow) {
  const wantMeta = plain(row.wantMeta) as Record<string, unknown> | null;
  if (!wantMeta) return undefined;
  const { ConnectionInfo: connection, ...rest } = wantMeta;
  const want: Record<string, unknown> = { ...(connection as Record<string, unknown>), ...rest };
  // A named constant: KEDA's scale factor by name.
  const scaleFactor = (row.wantMeta as { scaleFactor?: { $const?: string } }).scaleFactor?.$const;
  return {
    check: (prepared: PreparedTrigger) => {
      const params = prepared.params as Record<string, unknown> & RedisConnectionParams;
      const endpoints = redisEndpoints(params);
      if (isProblem(endpoints)) throw new Error(endpoints.message);
      if (want.Addresses) {
        expect(endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port}`)).toEqual(
          (want.Addresses as string[]).map(dialed),
        );
      }
      for (const [kedaField, key] of Object.entries(SAME_FIELD)) {
        if (!(kedaField in want)) continue;
        // KEDA's zero value is Tidal's unset value.
        expect(params[key] ?? (want[kedaField] === "" ? "" : undefined), kedaField).toBe(want[kedaField]);
      }
      expect(params.enableTLS === true || params.tls === "enable", "EnableTLS").toBe(Boolean(want.EnableTLS));
      if (scaleFactor) {
        const mode = streamsMode(params as unknown as Parameters<typeof streamsMode>[0]);
        expect(mode.kind).toBe(SCALE_FACTOR[scaleFactor as keyof typeof SCALE_FACTOR]);
        const target = {
          pending: want.TargetPendingEntriesCount,
          length: want.TargetStreamLength,
          lag: want.TargetLag,
        };
        expect(mode.target).toBe(target[mode.kind]);
      }
    },
  };
}

for (const [file, table, type] of [
  [LIST_FILE, "TestParseRedisClusterMetadata.cases", "redis-cluster"],
  [LIST_FILE, "TestParseRedisSentinelMetadata.cases", "redis-sentinel"],
  [STREAMS_FILE, "TestParseRedisClusterStreamsMetadata.cases", "redis-cluster-streams"],
  [STREAMS_FILE, "TestParseRedisSentinelStreamsMetadata.cases", "redis-sentinel-streams"],
] as const) {
  runParseVectors({
    file,
    table,
    type,
    kedaError: (row) => row.wantErr != null,
    expect: variantFacts,
  });
}
