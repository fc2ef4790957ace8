import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { DecisionTrace } from "../../engine/types.ts";
import { listen } from "../../util/listen.ts";
import { EventLog } from "../events.ts";
import { ScalingHistory, type ForecastSeries } from "../history.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import type { ObjectDetail } from "./dashboard.ts";
import { createStatusServer, isLoopbackHost, type StatusServer } from "./server.ts";
import type { DashboardObject, DashboardSource, StatusSource } from "./source.ts";

const ref = { kind: "ScaledObject" as const, namespace: "default", name: "orders" };

function snapshot(replicas: number): ObjectSnapshot {
  return {
    name: "orders",
    namespace: "default",
    target: { kind: "ProcessPool", name: "worker" },
    replicas,
    desiredReplicas: replicas,
    readyReplicas: replicas,
    minReplicas: 0,
    maxReplicas: 5,
    ready: true,
    active: replicas > 0,
    fallback: false,
    paused: false,
    lastActiveTime: null,
    lastEvaluationTime: "2026-01-01T00:00:00.000Z",
    conditions: [],
    triggers: [
      {
        name: "",
        type: "redis",
        metricName: "s0-redis-orders",
        value: 7,
        target: 10,
        active: true,
        error: null,
        forecast: null,
      },
    ],
  };
}

const trace: DecisionTrace = {
  kind: "ScaledObject",
  namespace: "default",
  name: "orders",
  at: 0,
  currentReplicas: 0,
  desiredReplicas: 1,
  active: true,
  paused: false,
  fallback: false,
  triggers: [],
  steps: [{ rule: "activation", from: 0, to: 1, detail: "a trigger is active" }],
  boundedBy: "activation",
  summary: "0 → 1 replicas; activation: a trigger is active",
} as unknown as DecisionTrace;

function fixture(forecast: ForecastSeries[] = []) {
  const history = new ScalingHistory();
  const events = new EventLog();
  let replicas = 1;
  const object: DashboardObject = {
    ref,
    shownKind: "ScaledObject",
    snapshot: () => snapshot(replicas),
    trace: () => trace,
  };
  const dashboard: DashboardSource = {
    title: "tidal run",
    history,
    objects: () => [object],
    eventsOf: (of) => events.recent(of),
    recentEvents: () => events.latest(),
    onEvent: (listener) => events.onEvent(listener),
    processPools: () => [
      { namespace: "default", name: "worker", replicas: 1, workers: [], events: [], stderr: [] },
    ],
    forecast: () => forecast,
  };
  const status: StatusSource = {
    scaledObjects: () => [snapshot(replicas)],
    scaledJobs: () => [],
    trace: () => trace,
    events: () => [],
    processPools: () => [],
  };
  const record = (at: number, count: number) => {
    replicas = count;
    history.record(ref, {
      at,
      replicas: count,
      desiredReplicas: count,
      active: true,
      fallback: false,
      specs: [{ name: "", type: "redis", metricName: "s0-redis-orders", target: 10, activationTarget: 0 }],
      values: [7],
    });
  };
  return { dashboard, status, events, record };
}

let running: StatusServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(parts: ReturnType<typeof fixture>, loopbackOnly = true) {
  running = createStatusServer({
    status: parts.status,
    dashboard: parts.dashboard,
    loopbackOnly,
    tickMs: 50,
  });
  const port = await listen(running.server, 0);
  return `http://127.0.0.1:${port}`;
}

describe("the status server's dashboard", () => {
  it("serves the page, its modules and uPlot from the process, with a strict content security policy", async () => {
    const base = await start(fixture());
    const page = await fetch(`${base}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js">');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of [
      "app.js",
      "charts.js",
      "format.js",
      "style.css",
      "vendor/uPlot.esm.js",
      "vendor/uPlot.min.css",
    ]) {
      const response = await fetch(`${base}/dashboard/${asset}`);
      expect(response.status, asset).toBe(200);
      expect(await response.text(), asset).not.toMatch(/(?:src|href|import)[^\n]*https?:\/\//);
    }
    const redirect = await fetch(`${base}/dashboard`, { redirect: "manual" });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toBe("dashboard/");
  });

  it("answers the overview and one object's detail as JSON, with the forecast hook's series", async () => {
    const forecast: ForecastSeries[] = [
      { of: { kind: "desiredReplicas" }, madeAt: 3_000, points: [{ at: 4_000, value: 2 }] },
    ];
    const parts = fixture(forecast);
    parts.record(1_000, 0);
    parts.record(2_000, 1);
    parts.events.record(
      ref,
      "Normal",
      "KEDAScaleTargetActivated",
      "Scaled ProcessPool default/worker from 0 to 1",
    );
    const base = await start(parts);
    const overview = await (await fetch(`${base}/api/v1/dashboard/overview`)).json();
    expect(overview).toMatchObject({
      title: "tidal run",
      objects: [
        {
          key: "ScaledObject/default/orders",
          replicas: 1,
          minReplicas: 0,
          maxReplicas: 5,
          sparkline: [0, 1],
          triggers: [{ metricName: "s0-redis-orders", value: 7, target: 10 }],
          lastError: null,
        },
      ],
      pools: [{ name: "worker" }],
      events: [{ reason: "KEDAScaleTargetActivated" }],
    });
    const detail = (await (
      await fetch(`${base}/api/v1/dashboard/objects/ScaledObject/default/orders`)
    ).json()) as ObjectDetail;
    expect(detail.history).toMatchObject({ t: [1_000, 2_000], replicas: [0, 1], values: [[7, 7]] });
    expect(detail.forecast).toEqual(forecast);
    expect(detail.explain).toContain("ScaledObject default/orders: 0 → 1 replicas (active)");
    expect(detail.events).toMatchObject([{ reason: "KEDAScaleTargetActivated" }]);
    expect(detail.pool).toMatchObject({ name: "worker" });
    expect((await fetch(`${base}/api/v1/dashboard/objects/ScaledObject/default/none`)).status).toBe(404);
  });

  it("streams the overview, then changed rows and new events as Server-Sent Events", async () => {
    const parts = fixture();
    parts.record(1_000, 0);
    const base = await start(parts);
    const stream = await fetch(`${base}/api/v1/dashboard/stream`);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    const messages: { event: string; data: unknown }[] = [];
    let buffer = "";
    const next = async (event: string) => {
      for (;;) {
        const found = messages.findIndex((message) => message.event === event);
        if (found >= 0) return messages.splice(found, 1)[0]?.data as Record<string, unknown>;
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += value;
        const blocks = buffer.split("\n\n");
        buffer = blocks.pop() ?? "";
        for (const block of blocks) {
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) messages.push({ event: name, data: JSON.parse(data) });
        }
      }
    };
    expect(await next("overview")).toMatchObject({ objects: [{ replicas: 0 }] });
    parts.record(2_000, 3);
    parts.events.record(ref, "Normal", "SuccessfulRescale", "New size: 3");
    expect(await next("rows")).toMatchObject([{ key: "ScaledObject/default/orders", replicas: 3 }]);
    expect(await next("events")).toMatchObject([{ reason: "SuccessfulRescale" }]);
    await reader.cancel();
  });

  it("streams one object's new points after its whole detail", async () => {
    const parts = fixture();
    parts.record(1_000, 1);
    const base = await start(parts);
    const stream = await fetch(`${base}/api/v1/dashboard/stream?object=ScaledObject/default/orders`);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("event: object")) text += (await reader.read()).value ?? "";
    parts.record(2_000, 2);
    while (!text.includes("event: points")) text += (await reader.read()).value ?? "";
    while (!text.slice(text.indexOf("event: points")).includes("\n\n"))
      text += (await reader.read()).value ?? "";
    const points = JSON.parse(/event: points\ndata: (.*)\n/.exec(text)?.[1] ?? "{}");
    expect(points.history).toMatchObject({ t: [2_000], replicas: [2] });
    expect(points.row).toMatchObject({ replicas: 2 });
    await reader.cancel();
  });

  it("on loopback, refuses requests addressed to another host name (DNS rebinding)", async () => {
    const base = await start(fixture());
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const call = request(
        `${base}/api/v1/dashboard/overview`,
        { headers: { host: "attacker.example:9090" } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      call.on("error", reject);
      call.end();
    });
    expect(status).toBe(403);
    expect((await fetch(`${base.replace("127.0.0.1", "localhost")}/healthz`)).status).toBe(200);
  });

  it("tells loopback host names", () => {
    for (const host of ["127.0.0.1:9090", "localhost", "localhost:1", "[::1]:9090", "127.1.2.3"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [undefined, "example.com", "127.0.0.1.nip.io", "10.0.0.1:9090", "[::2]:1"])
      expect(isLoopbackHost(host), String(host)).toBe(false);
  });
});

describe("the status API: hostile paths", () => {
  it("a name that is not valid percent-encoding is a 400, not a 500", async () => {
    const base = await start(fixture());
    for (const path of [
      "/api/v1/scaledobjects/%ff/explain",
      "/api/v1/scaledobjects/%ff",
      "/api/v1/scaledjobs/%E0%A4%A/events",
      "/api/v1/dashboard/objects/ScaledObject/default/%ff",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(await response.json()).toEqual({
        error: "the name in the path is not valid percent-encoded UTF-8",
      });
    }
  });

  it("a well-encoded unknown name is a 404", async () => {
    const base = await start(fixture());
    const response = await fetch(`${base}/api/v1/scaledobjects/a%20b`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'ScaledObject "a b" not found' });
  });
});
