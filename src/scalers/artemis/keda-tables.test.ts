/**
 * KEDA's tests of its artemis-queue scaler (pkg/scalers/artemis_scaler_test.go) as data: the
 * metadata tables (credentials in metadata, empty and complete authentication parameters), the
 * metric names, the Origin header, unsafeSsl and the TLS material.
 */
import { describe, expect, it } from "vitest";
import {
  kedaTable,
  kedaVar,
  runParseVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { artemisTarget, artemisUrl, type ArtemisTarget } from "./artemis.ts";

const FILE = "artemis_scaler_test.json";
const resolvedEnv = stringMap(kedaVar(FILE, "sampleArtemisResolvedEnv"));

// TestArtemisParseMetadata runs each table with its own authentication parameters.
for (const [table, authParams] of [
  ["testArtemisMetadata", {}],
  ["testArtemisMetadataWithEmptyAuthParams", stringMap(kedaVar(FILE, "emptyArtemisAuthParams"))],
  ["testArtemisMetadataWithAuthParams", stringMap(kedaVar(FILE, "artemisAuthParams"))],
] as const) {
  runParseVectors({
    file: FILE,
    table,
    type: "artemis-queue",
    inputs: (row) => ({ metadata: stringMap(row.metadata), authParams, resolvedEnv }),
  });
}

runParseVectors({
  file: FILE,
  table: "artemisMetricIdentifiers",
  type: "artemis-queue",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    resolvedEnv,
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

const METADATA_WITH_CREDENTIALS = {
  managementEndpoint: "localhost:8161",
  queueName: "queue1",
  brokerName: "broker-activemq",
  brokerAddress: "test",
  username: "myUserName",
  password: "myPassword",
};

function prepare(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  const prepared = prepareScalerTrigger("artemis-queue", metadata, { authParams });
  return { ...prepared, errors: prepared.problems.filter((problem) => problem.severity === "error") };
}

describe("KEDA's artemis tests beside the tables", () => {
  it("defaults the Origin to http://<managementEndpoint>, or sends corsHeader", () => {
    const plain = prepare(METADATA_WITH_CREDENTIALS);
    expect((artemisTarget(plain.params as never) as ArtemisTarget).corsHeader).toBe("http://localhost:8161");
    const explicit = prepare({ ...METADATA_WITH_CREDENTIALS, corsHeader: "test" });
    expect((artemisTarget(explicit.params as never) as ArtemisTarget).corsHeader).toBe("test");
  });

  it("reads unsafeSsl, false by default", () => {
    expect(prepare(METADATA_WITH_CREDENTIALS).params.unsafeSsl).toBe(false);
    expect(prepare({ ...METADATA_WITH_CREDENTIALS, unsafeSsl: "true" }).params.unsafeSsl).toBe(true);
    expect(prepare({ ...METADATA_WITH_CREDENTIALS, unsafeSsl: "false" }).params.unsafeSsl).toBe(false);
  });

  it("takes ca, cert, key and keyPassword from the authentication; cert and key come together", () => {
    const all = prepare(METADATA_WITH_CREDENTIALS, {
      ca: "caaa",
      cert: "ceert",
      key: "keey",
      keyPassword: "secret123",
    });
    expect(all.errors).toEqual([]);
    expect(all.params).toMatchObject({ ca: "caaa", cert: "ceert", key: "keey", keyPassword: "secret123" });
    expect(prepare(METADATA_WITH_CREDENTIALS, { ca: "caaa", key: "keey" }).errors).not.toEqual([]);
    expect(prepare(METADATA_WITH_CREDENTIALS, { ca: "caaa", cert: "ceert" }).errors).not.toEqual([]);
    const caOnly = prepare(METADATA_WITH_CREDENTIALS, { ca: "caaa" });
    expect(caOnly.errors).toEqual([]);
    expect(caOnly.params.ca).toBe("caaa");
    expect(caOnly.params.cert).toBeUndefined();
    expect(caOnly.params.key).toBeUndefined();
  });

  it("reads broker, address and queue from restApiTemplate as KEDA does, quotes included", () => {
    const row = kedaTable(FILE, "testArtemisMetadata").rows.find((candidate) => candidate.$line === 60);
    const template = String(stringMap(row?.metadata).restApiTemplate);
    const target = artemisTarget(
      prepare({ restApiTemplate: template, username: "u", password: "p" }).params as never,
    );
    expect(target).toMatchObject({
      managementEndpoint: "localhost:8161",
      brokerName: '"broker-activemq"',
      brokerAddress: '"test"',
      queueName: '"queue1"',
    });
    expect(artemisUrl(target as ArtemisTarget)).toBe(template);
  });
});
