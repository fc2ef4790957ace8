import { expect } from "vitest";
import {
  errorsOf,
  prepareRow,
  rowInputs,
  runParseVectors,
  runValueVectors,
  stringMap,
  type Difference,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { parseKeywordValue } from "./connection-string.ts";
import { connectionSettings } from "./postgresql.ts";

const FILE = "postgresql_scaler_test.json";
const DOC = "docs/keda-differences.md#postgresql";
const PLACEHOLDER_PORT = {
  tidalError: true,
  reason:
    "port test_port is not a number from 1 to 65535: an error when parsed; KEDA fails only when it connects",
  doc: DOC,
};
const PLACEHOLDER_CONNECTION = {
  tidalError: true,
  reason: "a connection string that is neither key=value pairs nor a URL is an error when parsed",
  doc: DOC,
};

/** Differences of the connection table: Tidal's error, and the connection it still assembles. */
const CONNECTION_DIFFERENCES: Record<number, Difference & { error: string }> = {
  0: { ...PLACEHOLDER_CONNECTION, error: "the connection string is invalid" },
  1: { ...PLACEHOLDER_CONNECTION, error: "the connection string is invalid" },
  2: {
    reason: "sslmode required is not a libpq sslmode (require is): an error when parsed",
    doc: DOC,
    error: "sslmode must be one of",
  },
  3: {
    reason: "several hosts (libpq's failover list) are not supported: an error when parsed",
    doc: DOC,
    error: "several hosts are not supported",
  },
};

// testPostgreSQLMetadata has no test of its own: KEDA reads its rows through the identifiers.
runParseVectors({
  file: FILE,
  table: "postgreSQLMetricIdentifiers",
  type: "postgresql",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    resolvedEnv: stringMap(row.resolvedEnv),
    authParams: stringMap(row.authParam),
    index: Number(row.scaleIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runParseVectors({
  file: FILE,
  table: "testPostgresMetadata",
  type: "postgresql",
  differences: { 1: PLACEHOLDER_CONNECTION, 2: PLACEHOLDER_PORT, 3: PLACEHOLDER_PORT },
});

// KEDA's TestPostgreSQLConnectionStringGeneration: the connection a trigger's parameters make.
runValueVectors(FILE, "testPostgreSQLConnectionstring", CONNECTION_DIFFERENCES, (row, _index, difference) => {
  const prepared = prepareRow("postgresql", rowInputs(row));
  expect(errorsOf(prepared)).toEqual(difference ? [expect.stringContaining(difference.error)] : []);
  const expected = String(row.connectionString);
  if (!expected.includes("=")) {
    // A connection string given as a whole is kept as it is.
    expect(prepared.params.connection).toBe(expected);
    return;
  }
  const { password, ...rest } = parseKeywordValue(expected);
  const settings = connectionSettings(prepared.params as Parameters<typeof connectionSettings>[0]);
  expect(settings).toEqual(password ? { ...rest, password } : rest);
});

// KEDA's TestEscapePostgreConnectionParameter: each escaped value reads back as the original.
runValueVectors(FILE, "TestEscapePostgreConnectionParameter.tests", {}, (row) => {
  expect(parseKeywordValue(`user=${String(row.want)}`)).toEqual({ user: row.input });
});

// KEDA's TestPodIdentityAzureWorkloadPostgreSQLConnectionStringGeneration: under the azure-workload
// pod identity the connection is assembled from the separate settings, and the password is left
// for the identity's token (KEDA's %PASSWORD%).
runValueVectors(
  FILE,
  "testPodIdentityAzureWorkloadPostgreSQLConnectionstring",
  { 0: CONNECTION_DIFFERENCES[2] as Difference & { error: string } },
  (row, _index, difference) => {
    const inputs = rowInputs(row);
    const prepared = prepareScalerTrigger("postgresql", inputs.metadata, {
      authParams: inputs.authParams,
      resolvedEnv: inputs.resolvedEnv,
      podIdentity: { provider: "azure-workload", identityId: "IDENTITY_ID_CORRESPONDING_TO_USERNAME_FIELD" },
    });
    expect(errorsOf(prepared)).toEqual(difference ? [expect.stringContaining(difference.error)] : []);
    const expected = parseKeywordValue(String(row.connectionString).replace(" %PASSWORD%", ""));
    const settings = connectionSettings(prepared.params as Parameters<typeof connectionSettings>[0], true);
    expect(settings).toEqual(expected);
  },
);
