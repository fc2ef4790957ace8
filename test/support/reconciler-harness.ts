import type { AuthSources } from "../../src/auth/sources.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { TidalMetrics } from "../../src/observability/metrics.ts";
import type { ScalingHistory } from "../../src/runtime/history.ts";
import { Discovery } from "../../src/runtime/kubernetes/discovery.ts";
import { KubeEventRecorder } from "../../src/runtime/kubernetes/kube-events.ts";
import type { ReconcilerDependencies } from "../../src/runtime/kubernetes/reconciler-dependencies.ts";
import {
  ScaledJobReconciler,
  type RawScaledJob,
} from "../../src/runtime/kubernetes/scaled-job-reconciler.ts";
import {
  ScaledObjectReconciler,
  type RawScaledObject,
} from "../../src/runtime/kubernetes/scaled-object-reconciler.ts";
import {
  HttpScaledObjectReconciler,
  type LiveScaledObject,
  type RawHttpScaledObject,
} from "../../src/runtime/kubernetes/http-scaled-object-reconciler.ts";
import { ConnectionPool } from "../../src/scalers/connection-pool.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { FakeKubeApi } from "./fake-kube-api.ts";

export const KEDA = "/apis/keda.sh/v1alpha1";
export const HTTP_ADDON = "/apis/http.keda.sh/v1alpha1";

/** Authentication data from the fake API's Secrets, ConfigMaps and (Cluster)TriggerAuthentications. */
function fakeAuthSources(api: FakeKubeApi): AuthSources {
  return {
    triggerAuthentication: async (namespace, name) =>
      api.read(`${KEDA}/namespaces/${namespace}/triggerauthentications/${name}`),
    clusterTriggerAuthentication: async (name) => api.read(`${KEDA}/clustertriggerauthentications/${name}`),
    secret: async (namespace, name) => {
      const secret = api.read<{ stringData?: Record<string, string> }>(
        `/api/v1/namespaces/${namespace}/secrets/${name}`,
      );
      return secret?.stringData;
    },
    serviceAccountToken: async () => {
      throw new Error("no cluster: service account tokens need the TokenRequest API");
    },
    configMap: async (namespace, name) =>
      api.read<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/configmaps/${name}`)?.data,
  };
}

/**
 * The operator's reconcilers over an in-memory Kubernetes API: informers read the fake's
 * objects, events and status go to it, time is `now`. Scheduled polls are far apart, so tests
 * poll explicitly with `reconciler.poll(key)`.
 */
export function reconcilerHarness(
  options: { leader?: boolean; scalerAddress?: string; history?: ScalingHistory } = {},
) {
  const api = new FakeKubeApi();
  const metrics = new TidalMetrics("test");
  const logger = createLogger({ level: "error", write: () => {} });
  const scheduler = new Scheduler({ firstRunSpreadMs: 3_600_000 });
  const clock = { now: Date.UTC(2026, 0, 1) };
  let leader = options.leader ?? true;
  const dependencies: ReconcilerDependencies = {
    api,
    authSources: fakeAuthSources(api),
    scheduler,
    pool: new ConnectionPool(),
    metrics,
    events: new KubeEventRecorder(api, logger, "test"),
    logger,
    version: "test",
    clusterObjectNamespace: "keda",
    timeoutMs: 3000,
    processEnvironment: {},
    isLeader: () => leader,
    now: () => clock.now,
    ...(options.history ? { history: options.history } : {}),
  };
  const cache = <T>(plural: string, group = KEDA) => ({
    get: (name: string, namespace?: string) =>
      api.read<T>(`${group}/namespaces/${namespace}/${plural}/${name}`),
    list: () => [] as T[],
  });
  const scaledObjects = new ScaledObjectReconciler({
    ...dependencies,
    informer: cache<RawScaledObject>("scaledobjects"),
    discovery: new Discovery(api),
  });
  const scaledJobs = new ScaledJobReconciler({
    ...dependencies,
    informer: cache<RawScaledJob>("scaledjobs"),
  });
  const httpScaledObjects = new HttpScaledObjectReconciler({
    api,
    informer: cache<RawHttpScaledObject>("httpscaledobjects", HTTP_ADDON),
    scaledObjects: cache<LiveScaledObject>("scaledobjects"),
    events: dependencies.events,
    logger,
    scalerAddress: options.scalerAddress ?? "tidal-operator.tidal-system:9090",
    isLeader: () => leader,
    now: () => clock.now,
  });
  let seenEvents = 0;
  return {
    api,
    metrics,
    clock,
    scaledObjects,
    scaledJobs,
    httpScaledObjects,
    setLeader(value: boolean) {
      leader = value;
    },
    /** Reasons of the events written since the last call (writes land without blocking the loop). */
    async newEvents(namespace: string): Promise<string[]> {
      await new Promise((resolve) => setImmediate(resolve));
      const writes = api.calls.filter(
        (call) => call.path.startsWith(`/api/v1/namespaces/${namespace}/events`) && call.method !== "GET",
      );
      const fresh = writes.slice(seenEvents).map((call) => {
        if (call.method === "POST") return (call.body as { reason: string }).reason;
        return api.read<{ reason: string }>(call.path)?.reason ?? "?";
      });
      seenEvents = writes.length;
      return fresh;
    },
    async stop() {
      scheduler.stop();
      await scaledObjects.stop();
      await scaledJobs.stop();
    },
  };
}
