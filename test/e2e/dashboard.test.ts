import { execFile } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "../support/browser.ts";
import { uniqueName, useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { services, useServices } from "../support/services.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";

beforeAll(() => useServices("redis"));

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the operator's dashboard on the real control plane", () => {
  const cleanup = useCleanup();
  // Connected once the server is up (a client made earlier logs refused connections).
  let redis: Redis;
  let operator: TidalOperator;
  let namespace = "";
  let browser: Browser;

  beforeAll(async () => {
    redis = new Redis(services.redisUrl);
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-dashboard"));
    browser = await launchBrowser("dashboard-operator");
    cleanup.add(() => browser.close());
  });
  afterAll(async () => {
    redis?.disconnect();
    expect(await operator.stop()).toBe(0);
  });

  it("serves the same page, live, with Tidal's and the cluster's events and the explain text", async () => {
    expect(operator.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\/$/);
    const base = new URL("..", operator.dashboardUrl).href.replace(/\/$/, "");
    const list = uniqueName("dashboard");
    cleanup.add(() => redis.del(list));
    const apply = (object: unknown) => kubectl(["-n", namespace, "apply", "-f", "-"], JSON.stringify(object));
    await apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "worker" },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "worker" } },
        template: {
          metadata: { labels: { app: "worker" } },
          spec: { containers: [{ name: "main", image: "example.invalid/worker" }] },
        },
      },
    });
    await apply({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "worker", annotations: { "autoscaling.tidal.dev/mode": "direct" } },
      spec: {
        scaleTargetRef: { name: "worker" },
        pollingInterval: 1,
        cooldownPeriod: 5,
        maxReplicaCount: 5,
        triggers: [
          { type: "redis", metadata: { address: "127.0.0.1:6379", listName: list, listLength: "10" } },
        ],
      },
    });
    const key = `ScaledObject/${namespace}/worker`;
    const { page } = browser;
    await page.goto(operator.dashboardUrl);
    const row = page.locator(`tr[data-key="${key}"]`);
    await row.waitFor({ timeout: 60_000 });
    expect(await page.locator("#title").textContent()).toBe("tidal operator");
    expect(await row.textContent()).toContain("apps/v1.Deployment/worker");

    await row.locator(".object-link").click();
    await page.locator('[data-chart="trigger-0"] canvas').waitFor();
    await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));
    await redis.rpush(list, ...Array.from({ length: 25 }, (_, index) => `item-${index}`));

    // Tidal's event as it happens, and later the Deployment's own events from the cluster.
    await page
      .locator('#object-events li[data-reason="KEDAScaleTargetActivated"]')
      .waitFor({ timeout: 60_000 });
    await eventually(
      "the Deployment's events from the cluster on the page",
      async () => (await page.locator('#object-events li[data-reason="ScalingReplicaSet"]').count()) > 0,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const deployment = await kubectlJson<{ spec: { replicas: number } }>([
      "-n",
      namespace,
      "get",
      "deployment",
      "worker",
    ]);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(1);

    // The value chart holds the list's length against the target of 10.
    await eventually("the chart to show the list's length", async () => {
      const charts = await page.evaluate(() =>
        (
          globalThis as unknown as { tidalDashboard: { charts(): { data: (number | null)[][] }[] } }
        ).tidalDashboard.charts(),
      );
      const [, values, targets] = charts[1]?.data ?? [];
      return values?.includes(25) && targets?.at(-1) === 10;
    });
    await browser.screenshot("1-operator-object");

    // The operator serves the status API too: tidal explain reads it, and the page says the same.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/tidal.js", "explain", "worker", "-n", namespace, "--server", base],
      { cwd: root },
    );
    expect(stdout).toContain(`ScaledObject ${namespace}/worker:`);
    await redis.del(list);
    await eventually(
      "the page's decision to equal tidal explain once the list is empty and the cooldown is over",
      async () => {
        const [text, cli] = await Promise.all([
          page.locator("#explain").textContent(),
          promisify(execFile)(
            process.execPath,
            ["bin/tidal.js", "explain", "worker", "-n", namespace, "--server", base],
            { cwd: root },
          ),
        ]);
        return text === cli.stdout.trimEnd() && text.includes("→ 0 replicas");
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(
      true,
    );
    await browser.screenshot("2-operator-back-to-zero");

    // On loopback it answers only requests addressed to loopback names.
    const foreign = await new Promise<number | undefined>((resolve, reject) => {
      const call = request(`${base}/dashboard/`, { headers: { host: "tidal.example" } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      call.on("error", reject);
      call.end();
    });
    expect(foreign).toBe(403);
  });

  it("draws a forecasting trigger's predictions, as its status API reports them", async () => {
    // A queue that grows by a quarter item a second, read by a metrics-api trigger.
    const started = Date.now();
    const queue: Server = createServer((_request, response) => {
      const length = Math.round(800 + (Date.now() - started) / 40) / 100;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ queue: length }));
    });
    await new Promise<void>((resolve) => queue.listen(0, "127.0.0.1", resolve));
    cleanup.add(() => new Promise<void>((resolve) => queue.close(() => resolve())));
    const url = `http://127.0.0.1:${(queue.address() as AddressInfo).port}/stats`;
    const apply = (object: unknown) => kubectl(["-n", namespace, "apply", "-f", "-"], JSON.stringify(object));
    await apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "forecasted" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "forecasted" } },
        template: {
          metadata: { labels: { app: "forecasted" } },
          spec: { containers: [{ name: "main", image: "example.invalid/worker" }] },
        },
      },
    });
    await apply({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: {
        name: "forecasted",
        annotations: {
          "autoscaling.tidal.dev/mode": "direct",
          "autoscaling.tidal.dev/forecast": "horizon=5s, history=10m, step=1s, season=none, refit=2s",
        },
      },
      spec: {
        scaleTargetRef: { name: "forecasted" },
        pollingInterval: 1,
        minReplicaCount: 1,
        maxReplicaCount: 3,
        triggers: [{ type: "metrics-api", metadata: { url, valueLocation: "queue", targetValue: "10" } }],
      },
    });
    const key = `ScaledObject/${namespace}/forecasted`;
    const base = new URL("..", operator.dashboardUrl).href.replace(/\/$/, "");
    const detailOf = async () => {
      const response = await fetch(`${base}/api/v1/dashboard/objects/${key}`);
      return (await response.json()) as {
        forecast: { of: { kind: string }; horizonSeconds: number; points: { at: number; value: number }[] }[];
      };
    };
    // Predictions start after about ten seconds of one-second steps.
    await eventually(
      "twenty predictions in the operator's dashboard API",
      async () => ((await detailOf()).forecast[0]?.points.length ?? 0) >= 20,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const { page } = browser;
    await page.goto(`${operator.dashboardUrl}#/object/${key}`);
    await page.locator('[data-chart="trigger-0"] canvas').waitFor();
    await eventually("the forecast line to be the operator's", async () => {
      const [charts, detail] = await Promise.all([
        page.evaluate(() =>
          (
            globalThis as unknown as {
              tidalDashboard: { charts(): { labels: string[]; data: (number | null | undefined)[][] }[] };
            }
          ).tidalDashboard.charts(),
        ),
        detailOf(),
      ]);
      const chart = charts[1];
      expect(chart?.labels).toEqual(["value", "target", "activation", "forecast"]);
      const [times = [], , , , forecast = []] = chart?.data ?? [];
      const reported = new Map(detail.forecast[0]?.points.map((point) => [point.at, point.value]));
      const drawn = times.flatMap((seconds, index) => {
        const value = forecast[index];
        return value === null || value === undefined
          ? []
          : [{ at: Math.round((seconds as number) * 1000), value }];
      });
      expect(drawn.length).toBeGreaterThanOrEqual(20);
      for (const point of drawn) expect(reported.get(point.at)).toBe(point.value);
      expect(detail.forecast[0]?.horizonSeconds).toBe(5);
      return true;
    });
    await browser.screenshot("3-operator-forecast");
  });
});
