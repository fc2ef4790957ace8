import * as grpc from "@grpc/grpc-js";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../../../test/support/isolation.ts";
import { httpScaledObject } from "../../api/schema/http-scaled-object.ts";
import { silentLogger } from "../../observability/logger.ts";
import { externalScalerService, type IsActiveResponse } from "../../scalers/external/client.ts";
import { startHttpScalerServer } from "./http-scaler-server.ts";
import { InterceptorCounts, replicaUrls } from "./interceptor-counts.ts";
import type { RouteCounts } from "./interceptor-protocol.ts";
import { QueueReporter } from "./queue-reporter.ts";

// The queue protocol end to end on loopback: interceptor replicas streaming their counts, the
// operator summing them, and the add-on's external scaler answering KEDA's gRPC calls from them.

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An interceptor replica's admin port serving the queue stream, with counts the test sets. */
async function replica(instance: string) {
  const counts: Record<string, RouteCounts> = {};
  const reporter = new QueueReporter({ instance, counts: () => counts });
  const server: Server = createServer((request, response) => {
    if (!request.url?.startsWith("/queue?watch=1")) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/x-ndjson" });
    const unsubscribe = reporter.subscribe((line) => response.write(line));
    response.once("close", unsubscribe);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const stop = async () => {
    reporter.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  cleanups.push(stop);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts, reporter, stop };
}

describe("queue protocol", () => {
  it("sums the counts of every replica per route, and forgets a replica that is gone", async () => {
    const a = await replica("a");
    const b = await replica("b");
    const counts = new InterceptorCounts({ logger: silentLogger });
    cleanups.push(() => counts.close());
    counts.setReplicas([a.url, b.url]);
    a.counts["shop/web"] = { concurrency: 3, requestRate: 1.5, held: 0 };
    b.counts["shop/web"] = { concurrency: 2, requestRate: 0.25, held: 1 };
    b.counts["shop/api"] = { concurrency: 1, requestRate: 0, held: 0 };
    await eventually("summed counts", () =>
      counts.counts("shop/web").concurrency === 5 ? counts.counts("shop/web") : undefined,
    );
    expect(counts.counts("shop/web")).toEqual({ concurrency: 5, requestRate: 1.75, held: 1 });
    expect(counts.counts("shop/api")).toEqual({ concurrency: 1, requestRate: 0, held: 0 });
    expect(counts.counts("shop/other")).toEqual({ concurrency: 0, requestRate: 0, held: 0 });
    expect(counts.replicas().map((status) => [status.instance, status.connected])).toEqual([
      ["a", true],
      ["b", true],
    ]);
    counts.setReplicas([a.url]);
    expect(counts.counts("shop/web")).toEqual({ concurrency: 3, requestRate: 1.5, held: 0 });
  });

  it("hears of a held request at once, not at the next periodic snapshot", async () => {
    const a = await replica("a");
    const counts = new InterceptorCounts({ logger: silentLogger });
    cleanups.push(() => counts.close());
    counts.setReplicas([a.url]);
    await eventually("connected", () => counts.replicas()[0]?.connected || undefined);
    const heard: string[][] = [];
    counts.onDemand((keys) => heard.push([...keys]));
    a.counts["shop/web"] = { concurrency: 1, requestRate: 1, held: 1 };
    a.reporter.demand("shop/web");
    await eventually("demand", () => heard.find((keys) => keys.includes("shop/web")));
    expect(counts.counts("shop/web").held).toBe(1);
  });

  it("keeps a broken replica's last counts for the grace period only", async () => {
    const a = await replica("a");
    let now = 0;
    const counts = new InterceptorCounts({ logger: silentLogger, now: () => now, checkIntervalMs: 20 });
    cleanups.push(() => counts.close());
    counts.setReplicas([a.url]);
    a.counts["shop/web"] = { concurrency: 4, requestRate: 0, held: 0 };
    await eventually("counts", () => counts.counts("shop/web").concurrency === 4 || undefined);
    await a.stop();
    await eventually("disconnected", () => (counts.replicas()[0]?.connected === false ? true : undefined));
    expect(counts.counts("shop/web").concurrency).toBe(4);
    now += 10_001;
    await eventually("dropped", () => counts.counts("shop/web").concurrency === 0 || undefined);
  });

  it("finds ready replicas in the admin Service's EndpointSlices", () => {
    expect(
      replicaUrls([
        {
          metadata: { name: "s1" },
          addressType: "IPv4",
          endpoints: [
            { addresses: ["10.0.0.1"], conditions: { ready: true } },
            { addresses: ["10.0.0.2"], conditions: { ready: false } },
          ],
          ports: [
            { name: "proxy", port: 8080 },
            { name: "admin", port: 9090 },
          ],
        },
        {
          metadata: { name: "s2" },
          addressType: "IPv6",
          endpoints: [{ addresses: ["fd00::3"] }],
          ports: [{ port: 9091 }],
        },
      ]),
    ).toEqual(new Set(["http://10.0.0.1:9090", "http://[fd00::3]:9091"]));
  });
});

describe("the HTTP add-on's external scaler", () => {
  const web = httpScaledObject.parse({
    apiVersion: "http.keda.sh/v1alpha1",
    kind: "HTTPScaledObject",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      scaleTargetRef: { name: "web", service: "web", port: 80 },
      scalingMetric: { concurrency: { targetValue: 10 } },
    },
  });

  async function scaler(values: Record<string, RouteCounts>) {
    const listeners = new Set<(keys: readonly string[]) => void>();
    const server = await startHttpScalerServer(
      {
        counts: {
          counts: (key) => values[key] ?? { concurrency: 0, requestRate: 0, held: 0 },
          onDemand: (listener) => {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
        },
        lookup: (namespace, name) => (namespace === "shop" && name === "web" ? web : undefined),
        logger: silentLogger,
        streamIntervalMs: 50,
      },
      0,
      "127.0.0.1",
    );
    const { Client } = await externalScalerService();
    const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    cleanups.push(() => server.close());
    cleanups.push(() => client.close());
    const call = <T>(method: "GetMetricSpec" | "IsActive" | "GetMetrics", request: unknown) =>
      new Promise<T>((resolve, reject) =>
        (client[method] as unknown as (r: unknown, o: object, c: (e: unknown, v: T) => void) => void).call(
          client,
          request,
          {},
          (error, value) => (error ? reject(error as Error) : resolve(value)),
        ),
      );
    const demand = (key: string) => {
      for (const listener of listeners) listener([key]);
    };
    return { client, call, demand };
  }

  const ref = {
    name: "web",
    namespace: "shop",
    scalerMetadata: { httpScaledObject: "web", scalerAddress: "x" },
  };

  it("names the metric as the add-on does, with the HTTPScaledObject's target, and serves its value", async () => {
    const { call } = await scaler({ "shop/web": { concurrency: 7, requestRate: 3, held: 0 } });
    expect(await call("GetMetricSpec", ref)).toEqual({
      metricSpecs: [{ metricName: "http-shop-web", targetSize: 10, targetSizeFloat: 10 }],
    });
    expect(await call("GetMetrics", { scaledObjectRef: ref, metricName: "http-shop-web" })).toEqual({
      metricValues: [{ metricName: "http-shop-web", metricValue: 7, metricValueFloat: 7 }],
    });
    expect(await call("IsActive", ref)).toEqual({ result: true });
  });

  it("answers NOT_FOUND for an HTTPScaledObject it does not know", async () => {
    const { call } = await scaler({});
    await expect(
      call("GetMetricSpec", { ...ref, scalerMetadata: { httpScaledObject: "nope" } }),
    ).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it("streams activity, and true at once when a request is held", async () => {
    const { client, demand } = await scaler({});
    const stream = client.StreamIsActive(ref);
    cleanups.push(() => stream.cancel());
    stream.on("error", () => {});
    const received: boolean[] = [];
    stream.on("data", (response: IsActiveResponse) => received.push(response.result));
    await eventually("first message", () => (received.length > 0 ? true : undefined));
    expect(received[0]).toBe(false);
    demand("shop/web");
    await eventually("true on demand", () => (received.includes(true) ? true : undefined));
  });
});
