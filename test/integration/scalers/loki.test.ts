/**
 * The loki scaler against fake-loki (test/support/fakes/fake-loki.ts): Loki is AGPL, so no real
 * server runs here; the fake answers Loki's documented instant-query API.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeLoki } from "../../support/fakes/fake-loki.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

const QUERY = 'sum(count_over_time({app="worker"} |= "error" [5m]))';

async function loki(cleanup: Cleanup, options: Parameters<typeof FakeLoki.start>[0] = {}): Promise<FakeLoki> {
  const fake = await FakeLoki.start(options);
  cleanup.add(() => fake.close());
  return fake;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "loki", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("loki scaler against fake-loki", () => {
  const cleanup = useCleanup();

  it("reads the query's single sample, inactive at activationThreshold and active above it", async () => {
    const fake = await loki(cleanup, { multiTenant: true });
    fake.push({ app: "worker" }, ["error: a", "ok", "error: b"], "team-a");
    fake.push({ app: "worker" }, ["error: c"], "team-b");
    const trigger = measurer(cleanup, {
      metadata: {
        serverAddress: `${fake.url}/loki`,
        query: QUERY,
        threshold: "1",
        activationThreshold: "2",
        tenantName: "team-a",
      },
    });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-loki", value: 2, active: false });
    fake.push({ app: "worker" }, ["error: d"], "team-a");
    expect(await trigger.measure()).toMatchObject({ value: 3, active: true });
    const last = fake.requests.at(-1);
    expect(last?.path).toBe("/loki/api/v1/query");
    expect(last?.query.get("query")).toBe(QUERY);
    expect(last?.headers["x-scope-orgid"]).toBe("team-a");
  });

  it("reads an empty result as 0, or fails with ignoreNullValues false; fails on several series", async () => {
    const fake = await loki(cleanup);
    const empty = measurer(cleanup, { metadata: { serverAddress: fake.url, query: QUERY, threshold: "1" } });
    expect(await empty.measure()).toMatchObject({ value: 0, active: false });
    const strict = measurer(cleanup, {
      metadata: { serverAddress: fake.url, query: QUERY, threshold: "1", ignoreNullValues: "false" },
    });
    expect((await strict.measure()).error).toBe("loki metrics may be lost, the result is empty");
    fake.push({ app: "worker", pod: "a" }, ["error"]);
    fake.push({ app: "worker", pod: "b" }, ["error"]);
    const perPod = 'count_over_time({app="worker"} |= "error" [5m])';
    const several = measurer(cleanup, {
      metadata: { serverAddress: fake.url, query: perPod, threshold: "1" },
    });
    expect((await several.measure()).error).toBe(`loki query ${perPod} returned multiple elements`);
  });

  it("sends bearer, basic or custom authentication, and reports refused credentials without them", async () => {
    const token = randomBytes(8).toString("hex");
    const fake = await loki(cleanup, {
      auth: { bearer: token, basic: { username: "reader", password: token } },
    });
    fake.push({ app: "worker" }, ["error"]);
    const base = { serverAddress: fake.url, query: QUERY, threshold: "1" };
    const bearer = measurer(cleanup, {
      metadata: { ...base, authModes: "bearer" },
      authParams: { bearerToken: token },
    });
    expect(await bearer.measure()).toMatchObject({ value: 1 });
    const basic = measurer(cleanup, {
      metadata: { ...base, authModes: "basic" },
      authParams: { username: "reader", password: token },
    });
    expect(await basic.measure()).toMatchObject({ value: 1 });
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const refused = measurer(cleanup, {
      metadata: { ...base, authModes: "bearer" },
      authParams: { bearerToken: wrong },
    });
    const sample = await refused.measure();
    expect(sample.error).toBe("loki query api returned error. status: 401");
    expect(sample.error).not.toContain(wrong);
    const custom = measurer(cleanup, {
      metadata: { ...base, authModes: "custom" },
      authParams: { customAuthHeader: "Authorization", customAuthValue: `Bearer ${token}` },
    });
    expect(await custom.measure()).toMatchObject({ value: 1 });
  });

  it("fails on a query Loki refuses and on a scalar answer, as KEDA does", async () => {
    const fake = await loki(cleanup);
    const refused = measurer(cleanup, {
      metadata: { serverAddress: fake.url, query: "{app=", threshold: "1" },
    });
    expect((await refused.measure()).error).toBe("loki query api returned error. status: 400");
    const scalar = measurer(cleanup, { metadata: { serverAddress: fake.url, query: "3", threshold: "1" } });
    expect((await scalar.measure()).error).toMatch(/^json: cannot unmarshal number into Go struct field/);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { serverAddress: `http://127.0.0.1:${port}`, query: QUERY, threshold: "2.5" },
    });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 10]);
  });
});
