import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";
import { startHttpServer } from "./http-test-server.ts";

beforeAll(() => useServices("graphite"));

/** A metric path prefix no other test uses (`tests.<pid>_<hex>.`). */
const metricPrefix = () => `tests.p${process.pid}_${randomBytes(4).toString("hex")}.`;

/** Sends points to carbon over its plaintext protocol: `path value timestamp` lines. */
async function sendPoints(points: [path: string, value: number][]): Promise<void> {
  const [host = "", port = ""] = services.carbonAddress.split(":");
  const now = Math.floor(Date.now() / 1000);
  const socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.end(points.map(([path, value]) => `${path} ${value} ${now}\n`).join(""), () => resolve());
  });
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const connected: TriggerMeasurer = connectTestTrigger({
    type: "graphite",
    metadata: { serverAddress: services.graphiteUrl, queryTime: "-1min", ...metadata },
    ...extra,
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("graphite scaler against carbon and graphite-web", () => {
  const cleanup = useCleanup();

  it("reads the latest point of a series, inactive at activationThreshold and active above it", async () => {
    const path = `${metricPrefix()}jobs`;
    await sendPoints([[path, 12]]);
    const trigger = measurer(cleanup, { query: path, threshold: "5", activationThreshold: "12" });
    const first = await eventually("the point to be readable", async () => {
      const sample = await trigger.measure();
      return sample.value === 12 ? sample : undefined;
    });
    expect(first).toMatchObject({ metricName: "s0-graphite", active: false });
    const above = measurer(cleanup, { query: path, activationThreshold: "11.5" });
    expect(await above.measure()).toMatchObject({ value: 12, active: true });
  });

  it("reads a function of several series", async () => {
    const prefix = metricPrefix();
    await sendPoints([
      [`${prefix}a`, 2],
      [`${prefix}b`, 3],
    ]);
    const trigger = measurer(cleanup, { query: `sumSeries(${prefix}*)` });
    await eventually("the sum of both points", async () => (await trigger.measure()).value === 5);
  });

  it("reads a series with no points as 0, and one nobody wrote as 0", async () => {
    const trigger = measurer(cleanup, { query: `${metricPrefix()}never` });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("names a query that returns several series", async () => {
    const prefix = metricPrefix();
    await sendPoints([
      [`${prefix}a`, 1],
      [`${prefix}b`, 1],
    ]);
    const trigger = measurer(cleanup, { query: `${prefix}*` });
    const error = await eventually("both series to exist", async () => (await trigger.measure()).error);
    expect(error).toBe(`graphite query ${prefix}* returned multiple series`);
  });

  it("names a query graphite-web refuses", async () => {
    const trigger = measurer(cleanup, { query: "noSuchFunction(a.b)" });
    expect((await trigger.measure()).error).toMatch(/^graphite answered HTTP (400|500)/);
  });

  it("sends basic authentication as KEDA does, and never shows the password", async () => {
    const password = `canary-${randomBytes(6).toString("hex")}`;
    const proxy = await startHttpServer(cleanup, async (request, response) => {
      const expected = `Basic ${Buffer.from(`reader:${password}`).toString("base64")}`;
      if (request.headers.authorization !== expected) {
        response
          .writeHead(401, { "content-type": "text/plain" })
          .end(`denied ${request.headers.authorization}`);
        return;
      }
      const upstream = await fetch(
        new URL(`${request.url.pathname}${request.url.search}`, services.graphiteUrl),
      );
      response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    });
    const allowed = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: `${metricPrefix()}x`, authMode: "basic" },
      { authParams: { username: "reader", password } },
    );
    expect(await allowed.measure()).toMatchObject({ value: 0 });
    // KEDA sends the credentials of the authentication even without authMode.
    const withoutMode = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: `${metricPrefix()}x` },
      { authParams: { username: "reader", password } },
    );
    expect(await withoutMode.measure()).toMatchObject({ value: 0 });
    const wrong = `${password}-wrong`;
    const denied = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: `${metricPrefix()}x`, authMode: "basic" },
      { authParams: { username: "reader", password: wrong } },
    );
    const sample = await denied.measure();
    expect(sample.error).toMatch(/^graphite answered HTTP 401/);
    expect(sample.error).not.toContain(wrong);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      serverAddress: `http://127.0.0.1:${port}`,
      query: "a.b",
      threshold: "3",
    });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 12]);
  });
});
