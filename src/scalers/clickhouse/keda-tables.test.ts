import { expect } from "vitest";
import {
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { clickHouseDsn } from "./clickhouse.ts";

// KEDA v2.20.2 has no clickhouse scaler: these tables come from KEDA's main branch after v2.20.1
// (test/conformance/keda-main/SOURCE.json).
const FILE = "../keda-main/clickhouse_scaler_test.json";

runParseVectors({
  file: FILE,
  table: "testClickHouseMetadata",
  type: "clickhouse",
  // KEDA's TestParseClickHouseMetadata prepares row 9 as a scalingModifiers source.
  inputs: (row) => ({
    metadata: stringMap(row.metadata),
    authParams: stringMap(row.authParams),
    resolvedEnv: stringMap(row.resolvedEnv),
    asMetricSource: row.$line === 193,
  }),
});

runParseVectors({
  file: FILE,
  table: "clickHouseMetricIdentifiers",
  type: "clickhouse",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      authParams: stringMap(row.authParam ?? data.authParams),
      resolvedEnv: stringMap(row.resolvedEnv),
      index: Number(row.scaleIndex),
    };
  },
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestBuildClickHouseDSN: the DSN built from the parameters.
runValueVectors(FILE, "TestBuildClickHouseDSN.testData", {}, (row) => {
  const meta = row.meta as Record<string, unknown>;
  const build = () =>
    clickHouseDsn({
      connectionString: meta.ConnectionString as string | undefined,
      host: meta.Host as string | undefined,
      port: meta.Port as string | undefined,
      username: meta.Username as string | undefined,
      password: meta.Password as string | undefined,
      database: meta.Database as string | undefined,
      tls: Boolean(meta.TLS),
      unsafeSsl: Boolean(meta.UnsafeSsl),
    });
  if (row.expectErr) expect(build).toThrow();
  else expect(build()).toBe(row.expected);
});
