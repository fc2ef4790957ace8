/**
 * The same ScaledObject, fed the same readings, must give the same KEDA events and metrics in
 * both runtimes: `tidal run` (the loop in direct mode on a local target, as the standalone runner
 * wires it) and `tidal operator` (the reconciler over a Kubernetes API, the loop in HPA mode on
 * /scale). The trigger is a real metrics-api scaler reading a loopback HTTP server; the target
 * refuses to scale when a step says so.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledObject as scaledObjectSchema } from "../api/schema/scaled-object.ts";
import { initialState } from "../engine/decide.ts";
import { TidalMetrics } from "../observability/metrics.ts";
import { ConnectionPool } from "../scalers/connection-pool.ts";
import { connectTrigger, prepareTrigger } from "../scalers/prepared-trigger.ts";
import type { ScaleTarget } from "../targets/types.ts";
import { KEDA, reconcilerHarness } from "../../test/support/reconciler-harness.ts";
import { EventLog } from "./events.ts";
import { ScaleLoop } from "./scale-loop.ts";

/** One step: what the source reads, whether the target refuses, the annotations, then a poll. */
interface Step {
  value: number | "error";
  refuse?: boolean;
  annotations?: Record<string, string>;
  /** Seconds that pass before the poll. */
  after?: number;
  /** Event reasons this poll records. */
  events: string[];
  replicas: number;
}

const CASES: { name: string; steps: Step[] }[] = [
  {
    name: "activates from zero, then deactivates once the cooldown has passed",
    steps: [
      { value: 5, events: ["KEDAScaleTargetActivated"], replicas: 1 },
      { value: 0, after: 10, events: [], replicas: 1 },
      { value: 0, after: 301, events: ["KEDAScaleTargetDeactivated"], replicas: 0 },
    ],
  },
  {
    name: "a target that refuses to activate",
    steps: [
      { value: 5, refuse: true, events: ["KEDAScaleTargetActivationFailed"], replicas: 0 },
      { value: 5, events: ["KEDAScaleTargetActivated"], replicas: 1 },
    ],
  },
  {
    name: "a target that refuses to deactivate",
    steps: [
      { value: 5, events: ["KEDAScaleTargetActivated"], replicas: 1 },
      { value: 0, after: 301, refuse: true, events: ["KEDAScaleTargetDeactivationFailed"], replicas: 1 },
    ],
  },
  {
    name: "paused, paused at a count, and unpaused",
    steps: [
      { value: 5, events: ["KEDAScaleTargetActivated"], replicas: 1 },
      {
        value: 5,
        annotations: { "autoscaling.keda.sh/paused": "true" },
        events: ["ScaledObjectPaused"],
        replicas: 1,
      },
      { value: 5, annotations: { "autoscaling.keda.sh/paused-replicas": "0" }, events: [], replicas: 0 },
      {
        value: 5,
        annotations: {},
        events: ["ScaledObjectUnpaused", "KEDAScaleTargetActivated"],
        replicas: 1,
      },
    ],
  },
  {
    name: "a failing trigger is reported once, and its recovery",
    steps: [
      { value: "error", events: ["KEDAScalerFailed"], replicas: 0 },
      { value: "error", events: [], replicas: 0 },
      { value: 0, events: ["KEDAScalerRecovered"], replicas: 0 },
    ],
  },
];

/** The KEDA metrics both runtimes must report alike (Tidal's own carry the target's kind). */
const COMPARED = [
  "keda_scaler_metrics_value",
  "keda_scaler_active",
  "keda_scaler_detail_errors_total",
  "keda_scaled_object_errors_total",
  "keda_scaled_object_paused",
];

let server: Server;
let reading: number | "error" = 0;
let url = "";

beforeAll(async () => {
  server = createServer((_request, response) => {
    if (reading === "error") response.writeHead(500).end("broken");
    else
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ queue: reading }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const T0 = Date.UTC(2026, 0, 1);

function objectDocument(annotations: Record<string, string>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: {
      name: "orders",
      namespace: "shop",
      uid: "so-uid",
      creationTimestamp: new Date(T0).toISOString(),
      annotations,
      labels: { "scaledobject.keda.sh/name": "orders" },
      finalizers: ["finalizer.keda.sh"],
    },
    spec: {
      scaleTargetRef: { name: "workers" },
      pollingInterval: 3600,
      triggers: [
        {
          type: "metrics-api",
          metadata: { url, valueLocation: "queue", targetValue: "100", activationTargetValue: "1" },
        },
      ],
    },
  };
}

/** A runtime under test: apply annotations, poll once, and report what happened. */
interface Wiring {
  poll(step: Step, now: number): Promise<{ events: string[]; replicas: number }>;
  metrics: TidalMetrics;
  close(): Promise<void>;
}

/** The target of the standalone wiring: a pool of replicas that can be told to refuse. */
class LocalTarget implements ScaleTarget {
  replicas = 0;
  refuse = false;
  async getReplicas() {
    return this.replicas;
  }
  async setReplicas(replicas: number) {
    if (this.refuse) throw new Error("the pool refused");
    this.replicas = replicas;
  }
  async observedReplicas() {
    return { existing: this.replicas, ready: this.replicas };
  }
}

/** `tidal run`: the loop as the standalone runner builds it (direct mode, events in memory). */
function standalone(): Wiring {
  const metrics = new TidalMetrics("test");
  const events = new EventLog();
  const target = new LocalTarget();
  const pool = new ConnectionPool();
  let now = T0;
  let loop: ScaleLoop | undefined;
  let annotations: Record<string, string> | undefined;
  let seen = 0;
  return {
    metrics,
    async poll(step, at) {
      now = at;
      if (
        loop === undefined ||
        (step.annotations && JSON.stringify(step.annotations) !== JSON.stringify(annotations))
      ) {
        annotations = step.annotations ?? {};
        const object = scaledObjectSchema.parse(objectDocument(annotations));
        const prepared = prepareTrigger(
          object.spec.triggers[0]!,
          0,
          { authParams: {}, resolvedEnv: {} },
          { asMetricSource: false },
        );
        const measurer = connectTrigger(prepared, {
          scalableObject: { kind: "ScaledObject", namespace: "shop", name: "orders" },
          metricType: "AverageValue",
          asMetricSource: false,
          timeoutMs: 3000,
          pool,
        });
        const previous = loop;
        loop = new ScaleLoop({
          object,
          triggers: { measurers: [measurer], specs: [prepared.metricSpec!] },
          strategy: "direct",
          target,
          targetRef: { kind: "ProcessPool", name: "workers" },
          state: previous?.state ?? initialState(T0),
          ...(previous ? { pausedCondition: previous.pausedCondition } : {}),
          now: () => now,
          metrics,
          events,
        });
        await previous?.close();
      }
      target.refuse = step.refuse ?? false;
      await loop.evaluate();
      const recorded = events.recent({ kind: "ScaledObject", namespace: "shop", name: "orders" });
      const fresh = recorded.slice(seen).map((event) => event.reason);
      seen = recorded.length;
      return { events: fresh, replicas: target.replicas };
    },
    close: async () => {
      await loop?.close();
    },
  };
}

/** `tidal operator`: the reconciler over a Kubernetes API (in memory), the loop in HPA mode. */
function operator(): Wiring {
  const harness = reconcilerHarness();
  const { api } = harness;
  api.putDeployment("shop", "workers", 0);
  const soPath = `${KEDA}/namespaces/shop/scaledobjects/orders`;
  const scalePath = "/apis/apps/v1/namespaces/shop/deployments/workers/scale";
  let reconciled = false;
  return {
    metrics: harness.metrics,
    async poll(step, at) {
      harness.clock.now = at;
      if (!reconciled || step.annotations) {
        const existing = api.read<Record<string, unknown>>(soPath);
        api.put("keda.sh/v1alpha1", "scaledobjects", {
          ...objectDocument(step.annotations ?? {}),
          ...(existing?.status ? { status: existing.status } : {}),
        });
        await harness.scaledObjects.reconcile("shop/orders");
        reconciled = true;
      }
      if (step.refuse) api.refuse("PATCH", scalePath);
      else api.allow("PATCH", scalePath);
      await harness.scaledObjects.poll("shop/orders");
      const events = (await harness.newEvents("shop")).filter((reason) => reason !== "ScaledObjectReady");
      const scale = await api.get<{ spec: { replicas: number } }>(scalePath);
      return { events, replicas: scale.spec.replicas };
    },
    close: () => harness.stop(),
  };
}

function comparedMetrics(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => COMPARED.some((name) => line.startsWith(`${name}{`)))
    .sort();
}

describe.each(CASES)("both runtimes: $name", ({ steps }) => {
  it("record the same events and KEDA metrics at every step", async () => {
    const wirings = { standalone: standalone(), operator: operator() };
    try {
      let now = T0 + 1000;
      for (const [index, step] of steps.entries()) {
        now += (step.after ?? 1) * 1000;
        reading = step.value;
        for (const [name, wiring] of Object.entries(wirings)) {
          const result = await wiring.poll(step, now);
          expect(result, `${name}, step ${index}`).toEqual({ events: step.events, replicas: step.replicas });
        }
        const [standaloneText, operatorText] = await Promise.all(
          Object.values(wirings).map(async (wiring) => comparedMetrics((await wiring.metrics.text()).body)),
        );
        expect(operatorText, `metrics after step ${index}`).toEqual(standaloneText);
      }
    } finally {
      await Promise.all(Object.values(wirings).map((wiring) => wiring.close()));
    }
  });
});

describe("both runtimes report pausing in keda_scaled_object_paused", () => {
  it("is 1 while paused and 0 after", async () => {
    for (const wiring of [standalone(), operator()]) {
      reading = 0;
      await wiring.poll(
        { value: 0, annotations: { "autoscaling.keda.sh/paused": "true" }, events: [], replicas: 0 },
        T0 + 5000,
      );
      expect((await wiring.metrics.text()).body).toContain(
        'keda_scaled_object_paused{namespace="shop",scaledObject="orders"} 1',
      );
      await wiring.poll({ value: 0, annotations: {}, events: [], replicas: 0 }, T0 + 6000);
      expect((await wiring.metrics.text()).body).toContain(
        'keda_scaled_object_paused{namespace="shop",scaledObject="orders"} 0',
      );
      await wiring.close();
    }
  });
});
