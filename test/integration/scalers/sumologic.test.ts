import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeSumoLogic } from "../../support/fakes/fake-sumologic.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Sumo Logic is a SaaS: the scaler is driven against fake-sumologic, a loopback fake of the
// documented Search Job and Metrics Query APIs, over HTTPS.
const ACCESS_KEY = `canary-${randomBytes(6).toString("hex")}`;
let sumo: FakeSumoLogic;

beforeAll(async () => {
  await trustFakeCertificate();
  sumo = await FakeSumoLogic.start({ tls: true });
  sumo.accessKeys.set("suTidal", ACCESS_KEY);
});
afterAll(() => sumo.close());

const auth = { accessID: "suTidal", accessKey: ACCESS_KEY };

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "sumologic", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("sumologic scaler (fake-sumologic)", () => {
  const cleanup = useCleanup();

  it("runs a logs search job, keeping its cookie, and reduces the aggregate's records", async () => {
    const query = `_sourceCategory=${uniqueName("app")} | count by host`;
    sumo.logSearches.set(query, { records: [{ _count: "4" }, { _count: "8" }], gatheringPolls: 2 });
    const trigger = measurer(cleanup, {
      metadata: {
        host: sumo.url,
        queryType: "logs",
        query,
        resultField: "_count",
        timerange: "15m",
        timezone: "Asia/Kolkata",
        queryAggregator: "Max",
        logsPollingInterval: "10ms",
        threshold: "3",
        activationThreshold: "8",
      },
      authParams: auth,
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: "s0-sumologic-logs", value: 8, active: false });
    expect(JSON.stringify(sample)).not.toContain(ACCESS_KEY);
    const created = sumo.requests.find((entry) => entry.method === "POST" && entry.body.includes(query));
    const body = JSON.parse(created?.body ?? "{}") as { from: string; to: string; timeZone: string };
    expect(body.timeZone).toBe("Asia/Kolkata");
    expect(body.to).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(15 * 60_000);
    expect(sumo.deleted.length).toBeGreaterThan(0);
    sumo.logSearches.set(query, { records: [{ _count: "9" }] });
    expect(await trigger.measure()).toMatchObject({ value: 9, active: true });
  });

  it("reads a metrics query, and one row of a multi-row query", async () => {
    const single = `metric=${uniqueName("queue")} | sum`;
    sumo.metrics.set(single, [[10, 20, 30]]);
    const trigger = measurer(cleanup, {
      metadata: {
        host: sumo.url,
        queryType: "metrics",
        query: single,
        quantization: "1m",
        rollup: "Sum",
        timerange: "10m",
        queryAggregator: "Latest",
        threshold: "5",
      },
      authParams: auth,
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-sumologic-metrics",
      value: 30,
      active: true,
    });
    const sent = JSON.parse(sumo.requests.at(-1)?.body ?? "{}") as {
      queries: unknown[];
      timeRange: { type: string; from: { type: string; iso8601Time: string } };
    };
    expect(sent.queries).toEqual([{ rowId: "A", query: single, quantization: 60_000, rollup: "Sum" }]);
    expect(sent.timeRange.type).toBe("BeginBoundedTimeRange");
    expect(sent.timeRange.from.iso8601Time).toMatch(/Z$/);

    const [a, b] = [`metric=${uniqueName("a")}`, `metric=${uniqueName("b")}`];
    sumo.metrics.set(a, [[1, 2]]);
    sumo.metrics.set(b, [[5, 15]]);
    const multi = measurer(cleanup, {
      metadata: {
        host: sumo.url,
        queryType: "metrics",
        "query.A": a,
        "query.B": b,
        resultQueryRowID: "B",
        quantization: "30s",
        timerange: "5m",
        threshold: "5",
      },
      authParams: auth,
    });
    expect(multi.prepared.problems).toEqual([]);
    expect(await multi.measure()).toMatchObject({ value: 10 });
  });

  it("reports a query Sumo Logic rejects and a metrics query with several series", async () => {
    const rejected = measurer(cleanup, {
      metadata: {
        host: sumo.url,
        queryType: "metrics",
        query: "not a query",
        quantization: "1m",
        timerange: "5m",
        threshold: "1",
      },
      authParams: auth,
    });
    expect((await rejected.measure()).error).toBe(
      "error parsing metrics query response: query execution failed with errors [{metrics:query_parse_error Row A: cannot parse the query 'not a query'}]",
    );
    const wide = `metric=${uniqueName("wide")}`;
    sumo.metrics.set(wide, [[1], [2]]);
    const several = measurer(cleanup, {
      metadata: {
        host: sumo.url,
        queryType: "metrics",
        query: wide,
        quantization: "1m",
        timerange: "5m",
        threshold: "1",
      },
      authParams: auth,
    });
    expect((await several.measure()).error).toBe(
      "multiple time series results found, only single time series queries are supported",
    );
  });

  it("reports wrong credentials after KEDA's retries, without the key", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        host: sumo.url,
        queryType: "metrics",
        query: "x",
        quantization: "1m",
        timerange: "5m",
        threshold: "1",
        maxRetries: "1",
      },
      authParams: { accessID: "suTidal", accessKey: wrong },
    });
    const sample = await trigger.measure();
    expect(
      sample.error?.startsWith(
        `error executing metrics query: request failed after 1 attempts with status 401 (check accessID and accessKey): POST ${sumo.url}/api/v1/metricsQueries: `,
      ),
    ).toBe(true);
    expect(sample.error).toMatch(/"code":"unauthorized","message":"Credential could not be verified\."/);
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        host: `https://127.0.0.1:${port}`,
        queryType: "metrics",
        query: "x",
        quantization: "1m",
        timerange: "5m",
        threshold: "5",
      },
      authParams: auth,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `error executing metrics query: cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(ACCESS_KEY);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
