import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeNewRelic } from "../../support/fakes/fake-newrelic.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// New Relic is a SaaS: the scaler is driven against fake-newrelic, a loopback fake of NerdGraph,
// over HTTPS. As newrelic-client-go does for KEDA, NEW_RELIC_NERDGRAPH_BASE_URL in Tidal's own
// environment points the scaler at it.
const KEY = `canary-NRAK-${randomBytes(6).toString("hex")}`;
let newRelic: FakeNewRelic;

beforeAll(async () => {
  await trustFakeCertificate();
  newRelic = await FakeNewRelic.start({ tls: true });
  newRelic.keys.set(KEY, new Set([1234567]));
  newRelic.setResults(1234567, "SELECT 1", [{ one: 1 }]);
});
afterAll(() => newRelic.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "new-relic",
    processEnvironment: { NEW_RELIC_NERDGRAPH_BASE_URL: newRelic.graphqlUrl },
    ...trigger,
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("new-relic scaler (fake-newrelic)", () => {
  const cleanup = useCleanup();

  it("reads the first number of the first row, inactive at the activation threshold and active above it", async () => {
    const nrql = `SELECT count(*) AS backlog FROM ${uniqueName("Queue")} SINCE 5 minutes ago`;
    newRelic.setResults(1234567, nrql, [{ name: "q", backlog: 40 }, { backlog: 1 }]);
    const trigger = measurer(cleanup, {
      metadata: { account: "1234567", nrql, threshold: "10", activationThreshold: "40" },
      authParams: { queryKey: KEY },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: "s0-new-relic", value: 40, active: false });
    expect(JSON.stringify(sample)).not.toContain(KEY);
    newRelic.setResults(1234567, nrql, [{ backlog: 41.5 }]);
    expect(await trigger.measure()).toMatchObject({ value: 41.5, active: true });
    const request = newRelic.requests.findLast((entry) => entry.body.includes(nrql));
    expect(request?.headers["api-key"]).toBe(KEY);
    const body = JSON.parse(request?.body ?? "{}") as { variables: unknown; query: string };
    expect(body.variables).toEqual({ accountId: 1234567, query: nrql });
    expect(body.query).toContain("nrql(query: $query)");
  });

  it("reads no rows as 0, and fails on them with noDataError", async () => {
    const nrql = `SELECT latest(x) FROM ${uniqueName("Empty")}`;
    newRelic.setResults(1234567, nrql, []);
    const lenient = measurer(cleanup, {
      metadata: { account: "1234567", nrql, threshold: "1" },
      authParams: { queryKey: KEY },
    });
    expect(await lenient.measure()).toMatchObject({ value: 0, active: false });
    const strict = measurer(cleanup, {
      metadata: { account: "1234567", nrql, threshold: "1", noDataError: "true" },
      authParams: { queryKey: KEY },
    });
    expect((await strict.measure()).error).toBe(`query returned no results: ${nrql}`);
  });

  it("reports a query NerdGraph rejects and an account the key may not read", async () => {
    const bad = measurer(cleanup, {
      metadata: { account: "1234567", nrql: "SELEKT nothing", threshold: "1" },
      authParams: { queryKey: KEY },
    });
    expect((await bad.measure()).error).toBe(
      "error running NRQL SELEKT nothing: NRQL Syntax Error: Error at line 1 position 1, unexpected 'SELEKT'",
    );
    const other = measurer(cleanup, {
      metadata: { account: "7654321", nrql: "SELECT 1", threshold: "1" },
      authParams: { queryKey: KEY },
    });
    expect((await other.measure()).error).toBe("error running NRQL SELECT 1: Access denied.");
  });

  it("reports a wrong key without showing it", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { account: "1234567", nrql: "SELECT 1", threshold: "1" },
      authParams: { queryKey: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "error running NRQL SELECT 1: 401 response returned: Invalid credentials provided. Missing API key or an invalid API key was provided.",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { account: "1234567", nrql: "SELECT 1", threshold: "5" },
      authParams: { queryKey: KEY },
      processEnvironment: { NEW_RELIC_NERDGRAPH_BASE_URL: `https://127.0.0.1:${port}/graphql` },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `error running NRQL SELECT 1: cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(KEY);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
