/**
 * "Same YAML, same timeline" (part of bench/keda.ts): the sources the script drives (a loopback
 * HTTP server for metrics-api, a Redis list, a PostgreSQL table; Redis and PostgreSQL from
 * scripts/services.sh, started here when down and then stopped here), and one run of the script
 * under whichever operator is running: the four ScaledObjects of bench/keda-timeline-plan.ts
 * created together, the script played from a minute boundary, every change of each Deployment's
 * spec.replicas taken from a watch (so a state that lasts only a moment, such as the one replica
 * an operator sets before the HPA raises it, is seen on both sides).
 */
import http from "node:http";
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import pg from "pg";
import type { KubeApi } from "./lib/kube-api.ts";
import { startServices } from "./lib/services.ts";
import { countReady } from "./keda-plan.ts";
import {
  record,
  scriptStart,
  TIMELINE_FAMILIES,
  TIMELINE_SCRIPT,
  TIMELINE_SECONDS,
  timelineDeployment,
  timelineName,
  timelineScaledObject,
  type Change,
  type TimelineFamily,
  type TimelineSources,
} from "./keda-timeline-plan.ts";

const LIST = "tidal-bench-keda-timeline";
const TABLE = "tidal_bench_keda_timeline";
/** Time given to create the objects and see them Ready before the script's minute boundary. */
const LEAD_MS = 40_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface TimelineFixture {
  /** Everything but the script's start, which each run picks. */
  sources: Omit<TimelineSources, "startMs">;
  /** Puts the script's value into all three sources. */
  set(value: number): Promise<void>;
  close(): Promise<void>;
}

export async function openTimelineFixture(root: string): Promise<TimelineFixture> {
  const services = startServices(root, ["redis", "postgres"]);
  let value = 0;
  const server = http.createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ value }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const redis = new Redis(services.urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const postgres = new pg.Client({ connectionString: services.urls.postgresUrl });
  try {
    await redis.connect();
    await postgres.connect();
    await postgres.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id integer)`);
  } catch (error) {
    redis.disconnect();
    await postgres.end().catch(() => undefined);
    server.close();
    services.stop();
    throw error;
  }
  const set = async (next: number) => {
    value = next;
    const list = redis.multi().del(LIST);
    if (next > 0) list.rpush(LIST, ...Array.from({ length: next }, (_, index) => String(index)));
    await list.exec();
    await postgres.query("BEGIN");
    await postgres.query(`DELETE FROM ${TABLE}`);
    if (next > 0) await postgres.query(`INSERT INTO ${TABLE} SELECT generate_series(1, $1::int)`, [next]);
    await postgres.query("COMMIT");
  };
  await set(0);
  return {
    sources: {
      metricsUrl: `http://127.0.0.1:${port}/value`,
      redisAddress: new URL(services.urls.redisUrl).host,
      redisList: LIST,
      postgresUrl: services.urls.postgresUrl,
      postgresTable: TABLE,
    },
    set,
    close: async () => {
      await redis.del(LIST).catch(() => undefined);
      await postgres.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
      redis.disconnect();
      await postgres.end().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      services.stop();
    },
  };
}

export interface TimelineRun {
  /** The script's start (ISO time, a minute boundary). */
  startedAt: string;
  /** Per family, spec.replicas' changes in seconds after the script's start (from 0 replicas). */
  timelines: Record<TimelineFamily, Change[]>;
  /** Watch events received, and how often the watch had to be opened again. */
  events: number;
  watchRestarts: number;
}

interface DeploymentObject {
  metadata: { name: string; resourceVersion?: string };
  spec?: { replicas?: number };
}

/** Plays the script once under the operator now running, in namespace `namespace`. */
export async function runTimeline(
  api: KubeApi,
  kubeConfig: KubeConfig,
  fixture: TimelineFixture,
  namespace: string,
  log: (message: string) => void,
): Promise<TimelineRun> {
  await fixture.set(0);
  const startMs = scriptStart(Date.now(), LEAD_MS);
  const sources: TimelineSources = { ...fixture.sources, startMs };
  await api.create(
    "/api/v1/namespaces",
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    true,
  );
  const scaledObjects = `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects`;
  const deployments = `/apis/apps/v1/namespaces/${namespace}/deployments`;
  await api.createAll(
    TIMELINE_FAMILIES.map((family) => ({ path: deployments, body: timelineDeployment(family, sources) })),
  );
  await api.createAll(
    TIMELINE_FAMILIES.map((family) => ({ path: scaledObjects, body: timelineScaledObject(family, sources) })),
  );
  const timelines = Object.fromEntries(TIMELINE_FAMILIES.map((family) => [family, [] as Change[]])) as Record<
    TimelineFamily,
    Change[]
  >;
  const seen = (object: DeploymentObject) => {
    const family = TIMELINE_FAMILIES.find((candidate) => timelineName(candidate) === object.metadata.name);
    if (family) record(timelines[family], (Date.now() - startMs) / 1000, object.spec?.replicas ?? 0);
  };
  const initial = await api.get<{ metadata: { resourceVersion: string }; items: DeploymentObject[] }>(
    deployments,
  );
  initial.items.forEach(seen);
  let resourceVersion = initial.metadata.resourceVersion;
  let events = 0;
  let watchRestarts = 0;
  let watching = true;
  let abort: AbortController | undefined;
  const watch = new Watch(kubeConfig);
  const open = async (): Promise<void> => {
    abort = await watch.watch(
      deployments,
      { resourceVersion },
      (phase, object: DeploymentObject) => {
        if (phase !== "ADDED" && phase !== "MODIFIED") return;
        events++;
        resourceVersion = object.metadata.resourceVersion ?? resourceVersion;
        seen(object);
      },
      (error: unknown) => {
        if (!watching) return;
        watchRestarts++;
        // The client ends a watch after 30 s without events; it goes on from the last version seen.
        if (error && !(error instanceof Error && error.name === "TimeoutError"))
          log(`timeline: the watch of the Deployments ended: ${String(error)}; again`);
        void sleep(250)
          .then(() => (watching ? open() : undefined))
          .catch((again: unknown) => log(`timeline: opening the watch again: ${String(again)}`));
      },
    );
  };
  await open();
  try {
    for (;;) {
      const list = await api.get<{ items: Parameters<typeof countReady>[0] }>(scaledObjects);
      if (countReady(list.items) >= TIMELINE_FAMILIES.length) break;
      if (Date.now() > startMs - 2000)
        throw new Error(`the timeline's ScaledObjects were not all Ready ${LEAD_MS / 1000} s after creation`);
      await sleep(250);
    }
    log(`timeline: all Ready; the script starts at ${new Date(startMs).toISOString()}`);
    for (const step of TIMELINE_SCRIPT) {
      await sleep(startMs + step.at * 1000 - Date.now());
      await fixture.set(step.value);
    }
    await sleep(startMs + TIMELINE_SECONDS * 1000 - Date.now());
  } finally {
    watching = false;
    abort?.abort();
    await api.remove(scaledObjects).catch(() => undefined);
    for (let tries = 0; tries < 240; tries++) {
      const left = await api
        .get<{ items: unknown[] }>(`${scaledObjects}?limit=1`)
        .catch(() => ({ items: [] }));
      if (left.items.length === 0) break;
      await sleep(250);
    }
    await api.remove(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    for (let tries = 0; tries < 480; tries++) {
      const gone = await api
        .find(`/api/v1/namespaces/${namespace}`)
        .then((found) => found === undefined)
        .catch(() => true);
      if (gone) break;
      await sleep(250);
    }
    await fixture.set(0).catch(() => undefined);
  }
  return { startedAt: new Date(startMs).toISOString(), timelines, events, watchRestarts };
}
