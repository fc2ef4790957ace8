// First: gRPC reads where its trusted roots are when it loads.
import { trustFakeCertificateForGrpc } from "../../support/fakes/grpc-trust.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { KEY_PROJECT, useGcpFakes } from "../../support/fakes/gcp-environment.ts";
import { startFakeGcpSpanner, type FakeGcpSpanner } from "../../support/fakes/fake-gcp-spanner.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Cloud Spanner has no local server here (its emulator is not packaged for this machine): the
// scaler drives @google-cloud/spanner over gRPC against fake-gcp-spanner, with the self-signed
// JWTs of a service-account key (checked by the fake), and against the same fake as an emulator.
const gcp = useGcpFakes();
const QUERY = "SELECT COUNT(*) FROM jobs WHERE status = 'pending'";
let spanner: FakeGcpSpanner;
let emulator: FakeGcpSpanner;

beforeAll(async () => {
  await trustFakeCertificateForGrpc();
  spanner = await startFakeGcpSpanner({ tokens: gcp.tokens });
  emulator = await startFakeGcpSpanner({ emulator: true });
  for (const fake of [spanner, emulator]) {
    fake.addDatabase({ project: KEY_PROJECT, instance: "main", database: "queue" });
    fake.setResult(QUERY, { columns: [{ name: "", type: "INT64" }], rows: [["7"]] });
    fake.setResult("SELECT id FROM jobs WHERE false", { columns: [{ name: "id", type: "INT64" }], rows: [] });
    fake.setResult("SELECT 'x'", { columns: [{ name: "", type: "STRING" }], rows: [["x"]] });
  }
});
afterAll(async () => {
  await spanner?.close();
  await emulator?.close();
});

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "gcp-spanner",
    ...trigger,
    metadata: {
      projectId: KEY_PROJECT,
      instanceId: "main",
      databaseId: "queue",
      query: QUERY,
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? { GoogleApplicationCredentials: gcp.account.keyJson },
    processEnvironment: trigger.processEnvironment ?? { [GCP_ENDPOINT_VARIABLES.spanner]: spanner.origin },
    timeoutMs: trigger.timeoutMs ?? 10_000,
  });
  cleanup.add(() => connected.close());
  return connected;
}

function expectNoKeyMaterial(output: unknown) {
  const text = JSON.stringify(output);
  for (const account of [gcp.account, gcp.stranger]) {
    expect(text).not.toContain(account.privateKey.split("\n")[1]);
    expect(text).not.toContain(account.keyId);
  }
}

describe("gcp-spanner scaler against fake-gcp-spanner", () => {
  const cleanup = useCleanup();

  it("reads the query's INT64 with a service-account key, active above activationValue", async () => {
    const trigger = measurer(cleanup, { metadata: { activationValue: "7" } });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({
      metricName: `s0-gcp-spanner-main-queue-${KEY_PROJECT}`,
      value: 7,
      active: false,
    });
    expectNoKeyMaterial(sample);
    expect(spanner.calls.filter((call) => call.method === "ExecuteStreamingSql").at(-1)).toMatchObject({
      database: `projects/${KEY_PROJECT}/instances/main/databases/queue`,
      sql: QUERY,
      code: 0,
    });
    expect(await measurer(cleanup, { metadata: { activationValue: "6" } }).measure()).toMatchObject({
      active: true,
    });
  });

  it("reads 0 for no row, and fails as KEDA does on a column that is not INT64", async () => {
    expect(
      await measurer(cleanup, { metadata: { query: "SELECT id FROM jobs WHERE false" } }).measure(),
    ).toMatchObject({
      value: 0,
      active: false,
    });
    const text = await measurer(cleanup, { metadata: { query: "SELECT 'x'" } }).measure();
    expect(text.error).toBe("reading first column as INT64: the column is STRING");
  });

  it("needs no credentials from the emulator named by SPANNER_EMULATOR_HOST", async () => {
    const sample = await measurer(cleanup, {
      authParams: {},
      podIdentity: { provider: "gcp" },
      processEnvironment: { SPANNER_EMULATOR_HOST: emulator.host },
    }).measure();
    expect(sample).toMatchObject({ value: 7 });
  });

  it("names a database that does not exist", async () => {
    const sample = await measurer(cleanup, { metadata: { databaseId: "missing" } }).measure();
    expect(sample.error).toMatch(
      /^query on database missing of instance main .*: not found \(Database not found: projects\/.*\/databases\/missing\)/,
    );
  });

  it("says the key was refused, without any of it", async () => {
    const sample = await measurer(cleanup, {
      authParams: { GoogleApplicationCredentials: gcp.stranger.keyJson },
    }).measure();
    expect(sample.error).toMatch(/Google rejected the credentials \(UNAUTHENTICATED/);
    expectNoKeyMaterial(sample);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      processEnvironment: { [GCP_ENDPOINT_VARIABLES.spanner]: `https://127.0.0.1:${port}` },
      timeoutMs: 3000,
    });
    const sample = await trigger.measure();
    // The client library retries an unavailable endpoint until the measurement's deadline.
    expect(sample.error).toBe("no answer within 3000 ms");
    expectNoKeyMaterial(sample);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
