import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { startFakeKusto, type FakeKusto } from "../../support/fakes/fake-kusto.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Azure Data Explorer has no local server: the scaler drives azure-kusto-data against fake-kusto,
// with client-secret tokens from fake-entra (the trigger's Private cloud names it as authority).
const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SECRET = `canary-${randomBytes(8).toString("hex")}`;
const QUERY = "Jobs | where Status == 'pending' | count";
let kusto: FakeKusto;
let entra: FakeEntra;

beforeAll(async () => {
  await trustFakeCertificate();
  kusto = await startFakeKusto();
  entra = await startFakeEntra();
  entra.addApp({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET });
  kusto.bearerTokens.add(entra.tokenFor(CLIENT, kusto.scope));
  kusto.setResult("jobs", QUERY, { columns: [{ name: "Count", type: "long" }], rows: [[9]] });
  kusto.setResult("jobs", "print 'x'", { columns: [{ name: "print_0", type: "string" }], rows: [["x"]] });
  kusto.setResult("jobs", "Jobs | take 2", {
    columns: [{ name: "Count", type: "long" }],
    rows: [[1], [2]],
  });
});
afterAll(async () => {
  await kusto.close();
  await entra.close();
});

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "azure-data-explorer",
    ...trigger,
    metadata: {
      endpoint: kusto.origin,
      databaseName: "jobs",
      query: QUERY,
      threshold: "5",
      tenantId: TENANT,
      clientId: CLIENT,
      cloud: "Private",
      activeDirectoryEndpoint: entra.authorityHost,
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? { clientSecret: SECRET },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-data-explorer scaler against fake-kusto", () => {
  const cleanup = useCleanup();

  it("reads the query's value, active above activationThreshold", async () => {
    const trigger = measurer(cleanup, { metadata: { activationThreshold: "9" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-data-explorer-jobs",
      value: 9,
      active: false,
    });
    const query = kusto.requests.findLast((request) => request.path === "/v2/rest/query");
    expect(JSON.parse(query?.body ?? "{}")).toMatchObject({ db: "jobs", csl: QUERY });
    expect(entra.requests.at(-1)).toMatchObject({
      clientId: CLIENT,
      scope: kusto.scope,
      kind: "secret",
      status: 200,
    });
    expect(await measurer(cleanup, { metadata: { activationThreshold: "8" } }).measure()).toMatchObject({
      active: true,
    });
  });

  it("fails as KEDA does on a value that is not a number, or more than one row", async () => {
    const text = await measurer(cleanup, { metadata: { query: "print 'x'" } }).measure();
    expect(text.error).toBe("data type string is not valid");
    const rows = await measurer(cleanup, { metadata: { query: "Jobs | take 2" } }).measure();
    expect(rows.error).toBe("query Jobs | take 2 result had more than a single result row");
  });

  it("names a database that does not exist", async () => {
    const sample = await measurer(cleanup, { metadata: { databaseName: "nope" } }).measure();
    expect(sample.error).toBe(
      `failed to get azure data explorer metric result from query ${QUERY}: Data Explorer answered HTTP 400: 'database' was not found: nope`,
    );
  });

  it("says the client secret was refused, without the secret", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, { authParams: { clientSecret: wrong } }).measure();
    expect(sample.error).toMatch(/AADSTS7000215/);
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable cluster, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { metadata: { endpoint: `https://127.0.0.1:${port}` } });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(sample)).not.toContain(SECRET);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
