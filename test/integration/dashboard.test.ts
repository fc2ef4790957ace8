import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "../support/browser.ts";
import { exampleVariant } from "../support/example-copy.ts";
import { eventually, useCleanup } from "../support/isolation.ts";
import { TidalRun } from "../support/tidal-run.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const KEY = "ScaledObject/default/hello";
const CRASHING = "ScaledObject/default/crashing";
const NIGHTLY = "ScaledJob/default/nightly";
const FORECASTED = "ScaledObject/default/forecasted";
/** The forecast annotation of `forecasted`: a trend five seconds ahead, from one-second steps. */
const FORECAST = "horizon=5s, history=10m, step=1s, season=none, refit=2s";

/**
 * A ScaledObject that forecasts a queue with the forecast annotation: the trend model predicts
 * from about ten seconds of history on, and serves its forecast once it passes its backtest.
 */
function forecastedObject(url: string) {
  return `
apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata:
  name: forecasted
spec:
  command: [node, -e, "setInterval(() => {}, 60000)"]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: forecasted
  annotations:
    autoscaling.tidal.dev/forecast: "${FORECAST}"
spec:
  scaleTargetRef:
    apiVersion: tidal.dev/v1alpha1
    kind: ProcessPool
    name: forecasted
  pollingInterval: 1
  minReplicaCount: 1
  maxReplicaCount: 3
  triggers:
    - type: metrics-api
      metadata: { url: "${url}", valueLocation: queue, targetValue: "10" }
`;
}

/** A value as the history keeps it (float32, shown to 7 significant digits). */
function asKept(value: number): number {
  const single = Math.fround(value);
  return Number.isInteger(single) ? single : Number(single.toPrecision(7));
}

/**
 * A pool whose one worker always fails at start: restarts, back-off and stderr to show; and a
 * ScaledJob, which the overview lists beside the ScaledObjects.
 */
const CRASHING_POOL = `
apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata:
  name: crashing
spec:
  command: [node, -e, "console.error('cannot read /etc/worker/config.json: no such file'); process.exit(3)"]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: crashing
spec:
  scaleTargetRef:
    apiVersion: tidal.dev/v1alpha1
    kind: ProcessPool
    name: crashing
  minReplicaCount: 1
  maxReplicaCount: 2
  triggers:
    - type: cron
      metadata:
        timezone: UTC
        start: "0 0 * * *"
        end: "1 0 * * *"
        desiredReplicas: "2"
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: nightly
spec:
  pollingInterval: 1
  jobTargetRef:
    template:
      spec:
        containers:
          - name: main
            image: ignored-by-tidal-run
            command: [node, -e, ""]
  triggers:
    - type: cron
      metadata:
        timezone: UTC
        start: "0 0 * * *"
        end: "1 0 * * *"
        desiredReplicas: "1"
`;

interface ChartData {
  labels: string[];
  data: (number | null)[][];
}

/** `tidal explain NAME` against the run, as a user types it. */
async function explain(server: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["bin/tidal.js", "explain", "hello", "--server", server],
    {
      cwd: root,
    },
  );
  return stdout.trimEnd();
}

describe("the dashboard of tidal run, in a real browser", () => {
  const cleanup = useCleanup();
  let run: TidalRun;
  let browser: Browser;
  let queue: Server;

  beforeAll(async () => {
    // A queue that fills for 40 s and drains for 40 s (8 … 20 items): the trend forecast follows
    // it along the slopes and overshoots at the turns, so its line parts from the value's there.
    const started = Date.now();
    queue = createServer((_request, response) => {
      const phase = ((Date.now() - started) / 1000) % 80;
      const length = Math.round(800 + 30 * (phase < 40 ? phase : 80 - phase)) / 100;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ queue: length }));
    });
    await new Promise<void>((resolve) => queue.listen(0, "127.0.0.1", resolve));
    cleanup.add(() => new Promise<void>((resolve) => queue.close(() => resolve())));
    // The quick start, scaling back to zero 5 s after the last request instead of 30 s.
    const variant = exampleVariant("quickstart", { "scaledownPeriod: 30": "scaledownPeriod: 5" });
    cleanup.add(variant.remove);
    const crashing = join(mkdtempSync(join(tmpdir(), "tidal-crashing-")), "crashing.yaml");
    writeFileSync(crashing, CRASHING_POOL);
    const forecasted = join(mkdtempSync(join(tmpdir(), "tidal-forecasted-")), "forecasted.yaml");
    writeFileSync(
      forecasted,
      forecastedObject(`http://127.0.0.1:${(queue.address() as AddressInfo).port}/stats`),
    );
    run = await TidalRun.start([variant.file, crashing, forecasted]);
    cleanup.add(() => run.stop());
    browser = await launchBrowser("dashboard");
    cleanup.add(() => browser.close());
  });
  afterAll(async () => {
    expect(await run.stop()).toBe(0);
  });

  it("shows the quick start scaling from zero and back, live, as the status API and tidal explain tell it", async () => {
    const { page } = browser;
    await page.goto(`${run.statusUrl}/dashboard/`);
    const row = page.locator(`tr[data-key="${KEY}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("HTTPScaledObject");
    expect(await row.locator(".object-link").textContent()).toBe("hello");
    await eventually(
      "the pool at zero in the overview",
      async () => (await page.locator('tr[data-pool="default/hello"] td.num').first().textContent()) === "0",
    );
    await browser.screenshot("1-overview-at-zero");

    await row.locator(".object-link").click();
    await page.locator('[data-chart="replicas"] canvas').waitFor();
    await page.locator('[data-chart="trigger-0"] canvas').waitFor();
    // Marks this page load: it must survive everything below (live updates, no reload).
    await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));
    expect(await page.locator('[data-figure="replicas"]').textContent()).toBe("0");

    const first = await fetch(`${run.httpProxyUrl}/hello`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-keda-http-cold-start")).toBe("true");
    for (let index = 0; index < 3; index++) await (await fetch(`${run.httpProxyUrl}/again`)).text();

    // The pool scales: its event appears in the object's list, and the figures follow.
    await page.locator('#object-events li[data-reason="KEDAScaleTargetActivated"]').waitFor();
    await eventually(
      "replicas 1 on the page",
      async () => (await page.locator('[data-figure="replicas"]').textContent()) === "1",
    );
    await page.locator("#object-pool .state-ready, #object-pool .state-running").first().waitFor();

    // The chart's points are the status API's: every point drawn is in the object's history
    // with the same counts and value, and the latest one is /api/v1/scaledobjects' snapshot.
    await eventually("the charts to match the status API", async () => {
      const [charts, detail, snapshots] = await Promise.all([
        page.evaluate(() =>
          (globalThis as unknown as { tidalDashboard: { charts(): ChartData[] } }).tidalDashboard.charts(),
        ),
        run.get<{
          history: {
            t: number[];
            replicas: number[];
            desiredReplicas: number[];
            values: (number | null)[][];
          };
        }>(`/api/v1/dashboard/objects/${KEY}`),
        run.get<{ name: string; replicas: number; desiredReplicas: number; lastEvaluationTime: string }[]>(
          "/api/v1/scaledobjects",
        ),
      ]);
      const [replicaChart, triggerChart] = charts as [ChartData, ChartData];
      expect(replicaChart.labels).toEqual(["replicas", "desired"]);
      expect(triggerChart.labels).toEqual(["value", "target", "activation"]);
      const [times, replicas, desired] = replicaChart.data as [number[], number[], number[]];
      const [, values, targets] = triggerChart.data as [number[], (number | null)[], number[]];
      const history = detail.history;
      const drawn = times.map((seconds, index) => ({ at: Math.round(seconds * 1000), index }));
      const common = drawn.filter(({ at }) => history.t.includes(at));
      expect(common.length).toBeGreaterThan(3);
      for (const { at, index } of common) {
        const at_ = history.t.indexOf(at);
        expect([replicas[index], desired[index], values[index], targets[index]]).toEqual([
          history.replicas[at_],
          history.desiredReplicas[at_],
          history.values[0]?.[at_],
          10,
        ]);
      }
      // Scale from zero is in the chart: a point at 0 replicas, then at 1.
      expect(replicas.indexOf(0)).toBeGreaterThanOrEqual(0);
      expect(replicas.lastIndexOf(1)).toBeGreaterThan(replicas.indexOf(0));
      const snapshot = snapshots.find((object) => object.name === "hello");
      const last = times.length - 1;
      expect(Math.round((times[last] as number) * 1000)).toBe(Date.parse(snapshot?.lastEvaluationTime ?? ""));
      expect([replicas[last], desired[last]]).toEqual([snapshot?.replicas, snapshot?.desiredReplicas]);
      return true;
    });
    await browser.screenshot("2-object-scaled-from-zero");

    // Five seconds without traffic: back to zero, again live.
    await page
      .locator('#object-events li[data-reason="KEDAScaleTargetDeactivated"]')
      .waitFor({ timeout: 60_000 });
    await eventually(
      "replicas 0 on the page",
      async () => (await page.locator('[data-figure="replicas"]').textContent()) === "0",
    );

    // The last decision in words is `tidal explain`'s, once the trace holds still at zero.
    await eventually(
      "the page's decision to equal tidal explain",
      async () => (await page.locator("#explain").textContent()) === (await explain(run.statusUrl)),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(await page.locator("#explain").textContent()).toContain(
      "ScaledObject default/hello: 0 → 0 replicas",
    );
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(
      true,
    );
    await browser.screenshot("3-object-back-to-zero-light");

    await page.locator("#theme").click();
    await eventually(
      "the dark theme",
      async () => (await page.locator("html").getAttribute("data-theme")) === "dark",
    );
    await browser.screenshot("4-object-back-to-zero-dark");

    await page.locator('a[href="#/"]').first().click();
    await row.waitFor();
    await eventually("the overview's feed to show both scale events", async () => {
      const reasons = await page
        .locator("#event-feed li")
        .evaluateAll((items) => items.map((item) => item.getAttribute("data-reason")));
      return reasons.includes("KEDAScaleTargetActivated") && reasons.includes("KEDAScaleTargetDeactivated");
    });
    await browser.screenshot("5-overview-dark");
  });

  it("shows a failing ProcessPool's restarts, back-off and last stderr lines, and a ScaledJob", async () => {
    const { page } = browser;
    await page.goto(`${run.statusUrl}/dashboard/`);
    const pool = page.locator('tr[data-pool="default/crashing"]');
    await eventually("the pool's restarts, back-off and stderr in the overview", async () => {
      const text = (await pool.textContent()) ?? "";
      const restarts = Number(await pool.locator("td.num").nth(1).textContent());
      return (
        restarts >= 1 &&
        text.includes("backoff") &&
        /worker 0 until \d\d:\d\d:\d\d/.test(text) &&
        text.includes("[0] cannot read /etc/worker/config.json: no such file")
      );
    });
    const crashingRow = page.locator(`tr[data-key="${CRASHING}"]`);
    expect(await crashingRow.textContent()).toContain("ProcessPool/crashing");
    await eventually("the object's row to warn of its workers", async () =>
      ((await crashingRow.textContent()) ?? "").includes("Workers in back-off"),
    );
    const nightly = page.locator(`tr[data-key="${NIGHTLY}"]`);
    expect(await nightly.locator(".kind").textContent()).toBe("ScaledJob");
    expect(await nightly.locator(".object-link").textContent()).toBe("nightly");
    await page.emulateMedia({ colorScheme: "light" });
    await page.evaluate(() => localStorage.removeItem("tidal.theme"));
    await page.reload();
    await pool.waitFor();
    await browser.screenshot("6-overview-light");

    await page.locator(`tr[data-key="${CRASHING}"] .object-link`).click();
    const workers = page.locator("#object-pool tbody tr").first();
    await eventually("the worker's last exit in the object view", async () =>
      ((await workers.textContent()) ?? "").includes("code 3"),
    );
    expect(await page.locator("#object-pool pre.stderr").textContent()).toContain(
      "cannot read /etc/worker/config.json",
    );
    await browser.screenshot("7-object-failing-pool-light");

    // A ScaledJob's view: its running jobs over time, its trigger against its target.
    await page.goto(`${run.statusUrl}/dashboard/#/object/${NIGHTLY}`);
    await page.locator('[data-chart="replicas"] canvas').waitFor();
    await page.locator('[data-chart="trigger-0"] canvas').waitFor();
    expect(await page.locator("#object-title").textContent()).toContain("nightly");
    expect(
      await page.locator('[data-chart="replicas"]').locator("xpath=..").locator("figcaption").textContent(),
    ).toBe("Running jobs");
    await browser.screenshot("8-scaledjob-light");
  });

  it("draws the forecast annotation's predictions a horizon ahead, as the status API reports them", async () => {
    const { page } = browser;
    // Fifty seconds of predictions: through a turn of the queue.
    await eventually(
      "fifty seconds of predictions",
      async () => {
        const detail = await run.get<{ forecast: { points: { at: number }[] }[] }>(
          `/api/v1/dashboard/objects/${FORECASTED}`,
        );
        const points = detail.forecast[0]?.points ?? [];
        return points.length > 0 && (points.at(-1)?.at ?? 0) - (points[0]?.at ?? 0) >= 50_000;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await page.goto(`${run.statusUrl}/dashboard/#/object/${FORECASTED}`);
    await page.locator('[data-chart="trigger-0"] canvas').waitFor();
    expect(
      await page.locator('[data-chart="trigger-0"]').locator("xpath=..").locator("figcaption").textContent(),
    ).toContain("and its forecast 5 s ahead");

    // The forecast line's points are the status API's: every point drawn is one the dashboard API
    // reports, at the same time and value; the newest is the last decision's prediction, at its
    // time + the horizon; and the line runs that far ahead of the measured one.
    await eventually(
      "the forecast line to match the status API",
      async () => {
        const [charts, detail, trace] = await Promise.all([
          page.evaluate(() =>
            (globalThis as unknown as { tidalDashboard: { charts(): ChartData[] } }).tidalDashboard.charts(),
          ),
          run.get<{
            history: { t: number[]; values: (number | null)[][] };
            forecast: {
              of: { kind: string; metricName?: string };
              horizonSeconds: number;
              served: boolean;
              points: { at: number; value: number }[];
            }[];
          }>(`/api/v1/dashboard/objects/${FORECASTED}`),
          run.get<{
            at: number;
            triggers: { forecast?: { mode: string; predicted: number | null; horizonSeconds: number } }[];
          }>("/api/v1/scaledobjects/forecasted/explain"),
        ]);
        const triggerChart = charts[1] as ChartData;
        expect(triggerChart.labels).toEqual(["value", "target", "activation", "forecast"]);
        const [times, values, , , forecastColumn] = triggerChart.data as [
          number[],
          (number | null | undefined)[],
          number[],
          number[],
          (number | null | undefined)[],
        ];
        const [forecast, ...others] = detail.forecast;
        expect(others).toEqual([]);
        // Served or not (the backtest decides), the newest forecast says which, as the trace does.
        expect(forecast).toMatchObject({
          of: { kind: "metric", metricName: "s0-metric-api-queue" },
          horizonSeconds: 5,
          served: trace.triggers[0]?.forecast?.mode === "predictive",
        });
        const reported = new Map(forecast?.points.map((point) => [point.at, point.value]));
        const drawn = times.flatMap((seconds, index) => {
          const value = forecastColumn[index];
          return value === null || value === undefined ? [] : [{ at: Math.round(seconds * 1000), value }];
        });
        expect(drawn.length).toBeGreaterThanOrEqual(40);
        // The server keeps the last 120 evaluations (1 s apart) as made and older ones as one-minute
        // maxima, while the live page keeps what it drew: compare the points within that window.
        const recentFrom = (drawn.at(-1)?.at ?? 0) - 100_000;
        for (const point of drawn.filter((candidate) => candidate.at >= recentFrom))
          expect(reported.get(point.at)).toBe(point.value);
        // The last decision (`tidal explain`'s) is the newest evaluation, its forecast the newest point.
        const predicted = trace.triggers[0]?.forecast;
        const madeAt = trace.at;
        expect(drawn.at(-1)).toEqual({
          at: madeAt + (predicted?.horizonSeconds ?? 0) * 1000,
          value: asKept(predicted?.predicted ?? Number.NaN),
        });
        // On one time axis: the newest measured point is the last evaluation, five seconds before
        // the forecast's end; and the forecast made five seconds before it is drawn at its time.
        const lastMeasured = values.findLastIndex((value) => value !== null && value !== undefined);
        expect(Math.round((times[lastMeasured] as number) * 1000)).toBe(madeAt);
        expect(drawn.some((point) => Math.abs(point.at - madeAt) <= 1000)).toBe(true);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await browser.screenshot("9-object-forecast-light");
    await page.locator("#theme").click();
    await eventually(
      "the dark theme",
      async () => (await page.locator("html").getAttribute("data-theme")) === "dark",
    );
    await browser.screenshot("10-object-forecast-dark");
  });
});
