import { beforeAll, describe, expect, it } from "vitest";
import { connectTestTrigger } from "../../support/scaler-harness.ts";
import { uniqueIdentifier, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { backfillPrometheus } from "../../support/prometheus-backfill.ts";
import { services, useServices } from "../../support/services.ts";
import { closedPort, startHttpServer } from "./http-test-server.ts";

const DAY = 86_400_000;
const TOKEN = "predictkube-token-71c0d4";
const series = uniqueIdentifier("predictkube_load");

/** A daily wave: 40 at 00:00 UTC … 160 at 12:00. */
function wave(t: number): number {
  return 100 + 60 * Math.sin((2 * Math.PI * (t - 6 * 3_600_000)) / DAY);
}

beforeAll(async () => {
  await useServices("prometheus");
  // Eight days at one-minute resolution up to a minute ago, with a two-hour hole three days back
  // and a few spikes: what the model must see through.
  const now = Date.now();
  const points = [];
  for (let t = now - 8 * DAY; t <= now - 60_000; t += 60_000) {
    if (t > now - 3 * DAY && t < now - 3 * DAY + 2 * 3_600_000) continue;
    const spike = Math.floor(t / 60_000) % 997 === 0 ? 5 : 1;
    points.push({ t, value: Math.round(wave(t) * spike * 1000) / 1000 });
  }
  await backfillPrometheus(series, points);
});

function trigger(
  cleanup: Cleanup,
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
) {
  const measurer = connectTestTrigger({
    type: "predictkube",
    metadata: {
      prometheusAddress: services.prometheusUrl,
      query: series,
      predictHorizon: "2h",
      historyTimeWindow: "7d",
      queryStep: "5m",
      threshold: "50",
      ...metadata,
    },
    authParams,
  });
  cleanup.add(() => measurer.close());
  return measurer;
}

/** The real Prometheus behind a proxy that wants a bearer token and counts the calls. */
async function countingProxy(cleanup: Cleanup) {
  return startHttpServer(cleanup, async (request, response) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(401, { "content-type": "text/plain" }).end("unauthorized");
      return;
    }
    const upstream = await fetch(
      new URL(`${request.url.pathname}${request.url.search}`, services.prometheusUrl),
    );
    response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
  });
}

describe("predictkube against Prometheus with a week of history", () => {
  const cleanup = useCleanup();

  it("serves the forecast for now + predictHorizon from a daily season it found itself", async () => {
    const sample = await trigger(cleanup, {}).measure();
    expect(sample.error).toBeUndefined();
    const forecast = sample.forecast;
    expect(forecast).toMatchObject({
      mode: "predictive",
      model: "seasonal",
      season: "daily",
      horizonSeconds: 7200,
    });
    const now = Date.now();
    // The newest point of the range is the current value (at most a step and a minute old).
    expect(Math.abs((forecast?.current ?? 0) - wave(now)) / wave(now)).toBeLessThan(0.05);
    const truth = wave(now + 2 * 3_600_000);
    expect(Math.abs((forecast?.predicted ?? 0) - truth) / truth).toBeLessThan(0.06);
    expect(sample.value).toBe(Math.max(forecast?.current ?? 0, forecast?.predicted ?? 0));
    expect(sample).toMatchObject({ metricName: "s0-predictkube-predictkube_metric", active: true });
  });

  it("reads the history once per refit interval and the current value in between", async () => {
    const proxy = await countingProxy(cleanup);
    const measurer = trigger(
      cleanup,
      { prometheusAddress: proxy.baseUrl, authModes: "bearer" },
      { bearerToken: TOKEN },
    );
    const first = await measurer.measure();
    const second = await measurer.measure();
    expect([first.forecast?.mode, second.forecast?.mode]).toEqual(["predictive", "predictive"]);
    expect(second.forecast?.fittedAt).toBe(first.forecast?.fittedAt);
    expect(proxy.requests.map((request) => request.url.pathname)).toEqual([
      "/api/v1/query_range",
      "/api/v1/query",
    ]);
    const range = proxy.requests[0]?.url.searchParams;
    expect(Number(range?.get("end")) - Number(range?.get("start"))).toBe(7 * 86_400);
    expect(range?.get("step")).toBe("300");
  });

  it("is active on the current value, not on the forecast", async () => {
    const sample = await trigger(cleanup, { activationThreshold: "1000" }).measure();
    expect(sample).toMatchObject({ active: false });
    expect(sample.value).toBeGreaterThan(0);
  });

  it("serves the current value while the history is too short for the season, saying why", async () => {
    const sample = await trigger(cleanup, { historyTimeWindow: "20h", tidalSeason: "daily" }).measure();
    expect(sample.forecast).toMatchObject({ mode: "reactive", reasonCode: "history-too-short" });
    expect(sample.forecast?.reason).toMatch(
      /^history too short: (19h55m|20h) of data; a daily season needs at least 1d4h$/,
    );
    expect(sample.value).toBe(sample.forecast?.current);
  });

  it("fails the trigger when the query has no history", async () => {
    const sample = await trigger(cleanup, { query: `${series}_missing` }).measure();
    expect(sample.error).toBe(
      `prometheus query ${series}_missing returned no history over the historyTimeWindow; predictkube needs the metric's past values`,
    );
  });

  it("fails the trigger when Prometheus cannot be reached, and when the token is wrong, without the token", async () => {
    const port = await closedPort();
    const down = await trigger(cleanup, { prometheusAddress: `http://127.0.0.1:${port}` }).measure();
    expect(down.error).toMatch(new RegExp(`^cannot reach http://127.0.0.1:${port}: .*ECONNREFUSED`));
    const proxy = await countingProxy(cleanup);
    const wrong = await trigger(
      cleanup,
      { prometheusAddress: proxy.baseUrl, authModes: "bearer" },
      { bearerToken: `${TOKEN}-wrong` },
    ).measure();
    expect(wrong.error).toBe("prometheus query_range api returned HTTP 401: unauthorized");
    expect(JSON.stringify([down, wrong])).not.toContain(TOKEN);
  });
});
