import { describe, expect, it } from "vitest";
import { silentLogger } from "../../observability/logger.ts";
import { FakeKubeApi } from "../../../test/support/fake-kube-api.ts";
import type { ResolvedResource } from "./discovery.ts";
import { KubernetesScaleTarget } from "./scale-target.ts";
import { slimWorkload, WatchedReplicas, type WatchedPlural, type WorkloadCache } from "./watched-replicas.ts";

const deployments: ResolvedResource = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  resource: "deployments",
  apiVersion: "apps/v1",
};
const rollouts: ResolvedResource = {
  group: "argoproj.io",
  version: "v1alpha1",
  kind: "Rollout",
  resource: "rollouts",
  apiVersion: "argoproj.io/v1alpha1",
};

/** A watch cache the test fills, started when the test says. */
class TestCache implements WorkloadCache {
  readonly objects = new Map<string, { spec?: { replicas?: number } }>();
  started = false;
  stopped = false;
  #resolve: () => void = () => {};
  #reject: (error: Error) => void = () => {};
  readonly #start = new Promise<void>((resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  });
  start(): Promise<void> {
    this.started = true;
    return this.#start;
  }
  synced(): void {
    this.#resolve();
  }
  fail(message: string): void {
    this.#reject(new Error(message));
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  get(name: string, namespace?: string) {
    return this.objects.get(`${namespace}/${name}`);
  }
}

function setup(canList = true) {
  const caches = new Map<WatchedPlural, TestCache>();
  const opened: WatchedPlural[] = [];
  const source = new WatchedReplicas({
    open: (plural) => {
      opened.push(plural);
      const cache = new TestCache();
      caches.set(plural, cache);
      return cache;
    },
    canList: async () => canList,
    logger: silentLogger,
  });
  return { source, caches, opened };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("WatchedReplicas", () => {
  it("answers nothing until the kind's first list arrives, then from the cache", async () => {
    const { source, caches, opened } = setup();
    expect(source.replicas(deployments, "ns", "web")).toBeUndefined();
    await settle();
    expect(opened).toEqual(["deployments"]);
    const cache = caches.get("deployments") as TestCache;
    cache.objects.set("ns/web", { spec: { replicas: 3 } });
    expect(source.replicas(deployments, "ns", "web")).toBeUndefined();
    cache.synced();
    await settle();
    expect(source.replicas(deployments, "ns", "web")).toBe(3);
    // spec.replicas absent: the API server's default, 1.
    cache.objects.set("ns/bare", {});
    expect(source.replicas(deployments, "ns", "bare")).toBe(1);
    // Not (yet) in the cache: the target asks /scale.
    expect(source.replicas(deployments, "ns", "new")).toBeUndefined();
    expect(opened).toEqual(["deployments"]);
  });

  it("leaves other kinds to /scale and watches nothing for them", async () => {
    const { source, opened } = setup();
    expect(source.replicas(rollouts, "ns", "r")).toBeUndefined();
    await settle();
    expect(opened).toEqual([]);
  });

  it("stays on /scale when the operator may not list the kind (RBAC from before)", async () => {
    const { source, opened } = setup(false);
    expect(source.replicas(deployments, "ns", "web")).toBeUndefined();
    await settle();
    expect(source.replicas(deployments, "ns", "web")).toBeUndefined();
    expect(opened).toEqual([]);
  });

  it("stays on /scale when the watch does not start, and stops what it opened", async () => {
    const { source, caches } = setup();
    source.replicas(deployments, "ns", "web");
    await settle();
    const cache = caches.get("deployments") as TestCache;
    cache.fail("forbidden");
    await settle();
    expect(source.replicas(deployments, "ns", "web")).toBeUndefined();
    expect(cache.stopped).toBe(true);
  });

  it("stops its watches", async () => {
    const { source, caches } = setup();
    source.replicas(deployments, "ns", "web");
    await settle();
    caches.get("deployments")?.synced();
    await source.stop();
    expect(caches.get("deployments")?.stopped).toBe(true);
    expect(source.replicas(deployments, "ns", "web")).toBeUndefined();
  });
});

describe("KubernetesScaleTarget with a replica source", () => {
  it("reads the watched count without a request, and /scale where the source has none", async () => {
    const api = new FakeKubeApi();
    api.putDeployment("ns", "web", 2);
    api.putDeployment("ns", "other", 5);
    const source = {
      replicas: (_: ResolvedResource, __: string, name: string) => (name === "web" ? 7 : undefined),
    };
    expect(await new KubernetesScaleTarget(api, deployments, "ns", "web", source).getReplicas()).toBe(7);
    expect(api.calls).toEqual([]);
    expect(await new KubernetesScaleTarget(api, deployments, "ns", "other", source).getReplicas()).toBe(5);
    expect(api.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      "GET /apis/apps/v1/namespaces/ns/deployments/other/scale",
    ]);
  });
});

describe("slimWorkload", () => {
  it("keeps name, namespace, resourceVersion, uid and spec.replicas, in place", () => {
    const object: Record<string, unknown> = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "web",
        namespace: "ns",
        resourceVersion: "42",
        uid: "u-1",
        labels: { app: "web" },
        managedFields: [{ manager: "kubectl" }],
      },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "main" }] } } },
      status: { replicas: 3 },
    };
    slimWorkload(object);
    expect(object).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "ns", resourceVersion: "42", uid: "u-1" },
      spec: { replicas: 3 },
    });
  });

  it("keeps spec.replicas absent when it was (read as 1)", () => {
    const object: Record<string, unknown> = { metadata: { name: "bare" }, spec: { template: {} } };
    slimWorkload(object);
    expect(object).toEqual({ metadata: { name: "bare" }, spec: {} });
  });
});
