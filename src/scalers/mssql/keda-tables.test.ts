import { expect } from "vitest";
import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import type { ParsedParams } from "../params.ts";
import { mssqlConnectionString, type mssqlScaler } from "./mssql.ts";

const FILE = "mssql_scaler_test.json";

function provider(row: KedaRow): PodIdentity["provider"] | undefined {
  const identity = row.podIdentity as { Provider?: string | { value?: string } } | undefined;
  const value = typeof identity?.Provider === "string" ? identity.Provider : identity?.Provider?.value;
  return value as PodIdentity["provider"] | undefined;
}

// TestParseMSSQLMetadata checks the verdict; TestMSSQLGetMetricSpecForScaling the metric name.
// The row's expectedConnectionString is what KEDA's getMSSQLConnectionString gives.
runParseVectors({
  file: FILE,
  table: "testMSSQLMetadata",
  type: "mssql",
  inputs: (row) => {
    const identity = provider(row);
    return {
      metadata: stringMap(row.metadata),
      authParams: stringMap(row.authParams),
      resolvedEnv: stringMap(row.resolvedEnv),
      ...(identity ? { podIdentity: { provider: identity } } : {}),
    };
  },
  kedaError: (row) => Boolean(row.expectedError),
  expect: (row) => ({
    metricName: "s0-mssql",
    check: (prepared) => {
      if (row.expectedConnectionString === undefined) return;
      const values = prepared.params as ParsedParams<typeof mssqlScaler.params>;
      expect(mssqlConnectionString(values)).toBe(row.expectedConnectionString);
    },
  }),
});
