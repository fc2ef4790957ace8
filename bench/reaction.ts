/**
 * Section 1, reaction latency: a real `tidal run` scales ProcessPools (a `sleep` command) by real
 * Redis lists, RabbitMQ queues and, through push, a PostgreSQL table. Each burst adds `listLength`
 * items, so every burst raises the wanted replicas by one (a staircase: no waiting for scale-down
 * between bursts; scale-up policies are permissive so HPA rate limits do not delay a step).
 *
 * Each object takes at most 7 bursts (the HPA's 10 % tolerance would swallow the step from 10 to
 * 11 replicas), so every setting has several objects.
 *
 * For each burst, measured from the moment the write was acknowledged (RPUSH returned, the
 * publisher confirms arrived, the INSERT + pg_notify transaction committed):
 * (a) decision: the `at` of the engine's decision trace (GET …/explain) for the evaluation whose
 *     event reported the new size;
 * (b) replicas: the ProcessPool's `Started` event of the new worker (log time).
 * Bursts land at a uniformly random phase of the polling interval (a seeded random wait of
 * 0…interval between bursts), so p50 ≈ interval / 2 is expected of polling; several objects with
 * the same settings share the 30 s bursts so that 20 of them fit in a few minutes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as amqpConnect } from "amqplib";
import { Redis } from "ioredis";
import pg from "pg";
import { figure, type Figure, type SectionResult } from "./lib/report.ts";
import { ensureServices, type ServiceUrls } from "./lib/services.ts";
import { distribution, round, seededRandom } from "./lib/stats.ts";
import { TidalRun, type LogLine } from "./lib/tidal.ts";

const STEP = 5;

type Source = "redis" | "rabbitmq" | "postgresql";

interface Group {
  /** Name of the setting, e.g. "redis, poll 1 s". */
  label: string;
  source: Source;
  pollingSeconds: number;
  push: boolean;
  objects: number;
  burstsPerObject: number;
}

interface Burst {
  group: string;
  object: string;
  index: number;
  decisionMs: number | null;
  replicasMs: number | null;
  decisionFromEvent: boolean;
}

/**
 * At most 7 bursts per object: the step from k to k + 1 replicas must stay above the HPA's 10 %
 * tolerance (11 / 10 is not), so 20 bursts are shared by several objects with the same settings.
 */
function groups(quick: boolean): Group[] {
  const fast = quick ? { objects: 2, burstsPerObject: 5 } : { objects: 3, burstsPerObject: 7 };
  const slow = quick ? { objects: 5, burstsPerObject: 2 } : { objects: 5, burstsPerObject: 4 };
  return [
    { label: "redis list, polling 1 s", source: "redis", pollingSeconds: 1, push: false, ...fast },
    { label: "redis list, polling 30 s", source: "redis", pollingSeconds: 30, push: false, ...slow },
    { label: "rabbitmq queue, polling 1 s", source: "rabbitmq", pollingSeconds: 1, push: false, ...fast },
    { label: "rabbitmq queue, polling 30 s", source: "rabbitmq", pollingSeconds: 30, push: false, ...slow },
    {
      label: "redis list, push (tidalPush), polling 30 s",
      source: "redis",
      pollingSeconds: 30,
      push: true,
      ...fast,
    },
    {
      label: "postgresql table, push (LISTEN/NOTIFY), polling 30 s",
      source: "postgresql",
      pollingSeconds: 30,
      push: true,
      ...fast,
    },
  ];
}

interface ObjectPlan {
  group: Group;
  name: string;
  /** Redis key, RabbitMQ queue, or PostgreSQL table. */
  resource: string;
  channel: string;
}

function manifest(plans: ObjectPlan[], urls: ServiceUrls): string {
  const redisAddress = new URL(urls.redisUrl).host;
  const documents = plans.map(({ group, name, resource, channel }) => {
    const trigger =
      group.source === "redis"
        ? `    - type: redis
      metadata:
        address: ${redisAddress}
        listName: ${resource}
        listLength: "${STEP}"${group.push ? '\n        tidalPush: "true"' : ""}`
        : group.source === "rabbitmq"
          ? `    - type: rabbitmq
      metadata:
        host: ${urls.rabbitmqUrl}
        queueName: ${resource}
        mode: QueueLength
        value: "${STEP}"`
          : `    - type: postgresql
      metadata:
        connectionFromEnv: PG_URL
        query: SELECT count(*) FROM ${resource}
        targetQueryValue: "${STEP}"
        tidalPush: "true"
        tidalPushChannel: ${channel}`;
    return `apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata:
  name: ${name}
spec:
  command: [sleep, "3600"]
  terminationGracePeriodSeconds: 1
  env:
    - name: PG_URL
      value: ${urls.postgresUrl}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: ${name}
spec:
  scaleTargetRef:
    apiVersion: tidal.dev/v1alpha1
    kind: ProcessPool
    name: ${name}
  pollingInterval: ${group.pollingSeconds}
  cooldownPeriod: 300
  maxReplicaCount: ${group.burstsPerObject + 5}
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          policies:
            - type: Pods
              value: 100
              periodSeconds: 1
  triggers:
${trigger}
`;
  });
  const directory = mkdtempSync(join(tmpdir(), "tidal-bench-reaction-"));
  const file = join(directory, "reaction.yaml");
  writeFileSync(file, documents.join("---\n"));
  return file;
}

/** Log lines, indexed so a burst can wait for the first matching line after its write. */
class LogWatch {
  readonly #lines: LogLine[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(tidal: TidalRun) {
    tidal.onLog((line) => {
      if (line.reason === undefined) return;
      this.#lines.push(line);
      for (const waiter of this.#waiters) waiter();
    });
  }

  /** The first event line after `since` (ms) that matches, waiting up to `timeoutMs`. */
  next(since: number, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine | undefined> {
    const find = () => this.#lines.find((line) => Date.parse(line.time) >= since && match(line));
    return new Promise((resolve) => {
      const found = find();
      if (found) return resolve(found);
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve(undefined);
      }, timeoutMs);
      const check = () => {
        const line = find();
        if (!line) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(line);
      };
      this.#waiters.add(check);
    });
  }
}

const sizeOf = (line: LogLine) => {
  const match = /New size: (\d+)|from \d+ to (\d+)/.exec(line.msg);
  return Number(match?.[1] ?? match?.[2] ?? Number.NaN);
};

export async function reactionSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const urls = ensureServices(options.root, ["redis", "rabbitmq", "postgres"]);
  const random = seededRandom(20260101);
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const plans: ObjectPlan[] = groups(options.quick).flatMap((group, groupIndex) =>
    Array.from({ length: group.objects }, (_, index) => {
      const name = `bench-${group.source}-${group.push ? "push" : `poll${group.pollingSeconds}`}-${index}`;
      const resource =
        group.source === "postgresql"
          ? `bench_reaction_${tag.replace(/-/g, "_")}_${groupIndex}_${index}`
          : `tidal-bench-${tag}-${name}`;
      return { group, name, resource, channel: `${resource}_jobs` };
    }),
  );

  const redis = new Redis(urls.redisUrl, { maxRetriesPerRequest: 2 });
  const [, keyspaceBefore = ""] = (await redis.call("CONFIG", "GET", "notify-keyspace-events")) as string[];
  const amqp = await amqpConnect(urls.rabbitmqUrl);
  const channel = await amqp.createConfirmChannel();
  const postgres = new pg.Client({ connectionString: urls.postgresUrl });
  await postgres.connect();
  for (const plan of plans) {
    if (plan.group.source === "rabbitmq") await channel.assertQueue(plan.resource, { durable: false });
    if (plan.group.source === "postgresql")
      await postgres.query(`CREATE TABLE ${plan.resource} (id serial PRIMARY KEY, payload text)`);
  }

  const tidal = await TidalRun.start(options.root, [manifest(plans, urls)]);
  const logs = new LogWatch(tidal);
  const bursts: Burst[] = [];
  const firstGaps = new Map<string, number>();
  try {
    // Bursts start once an object is on its polling grid: after its second evaluation. (The first
    // runs soon after start; the second comes on the grid, at most one interval later.)
    const evaluations = new Map<string, string[]>();
    const onGrid = new Map<string, () => void>();
    const ready = new Map(
      plans.map((plan) => [plan.name, new Promise<void>((resolve) => onGrid.set(plan.name, resolve))]),
    );
    let watching = true;
    const watchEvaluations = (async () => {
      const deadline = Date.now() + 120_000;
      while (watching && Date.now() < deadline) {
        for (const object of await tidal.get<{ name: string; lastEvaluationTime: string | null }[]>(
          "/api/v1/scaledobjects",
        )) {
          const seen = evaluations.get(object.name) ?? [];
          if (object.lastEvaluationTime !== null && seen.at(-1) !== object.lastEvaluationTime)
            seen.push(object.lastEvaluationTime);
          evaluations.set(object.name, seen);
          if (seen.length >= 2) onGrid.get(object.name)?.();
        }
        if ([...evaluations.values()].filter((seen) => seen.length >= 2).length === plans.length) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const write = async (plan: ObjectPlan) => {
      if (plan.group.source === "redis") {
        await redis.rpush(plan.resource, ...Array.from({ length: STEP }, (_, index) => `job-${index}`));
      } else if (plan.group.source === "rabbitmq") {
        for (let index = 0; index < STEP; index++)
          channel.sendToQueue(plan.resource, Buffer.from(`job-${index}`));
        await channel.waitForConfirms();
      } else {
        await postgres.query("BEGIN");
        await postgres.query(
          `INSERT INTO ${plan.resource} (payload) SELECT 'job' FROM generate_series(1, ${STEP})`,
        );
        await postgres.query("SELECT pg_notify($1, '')", [plan.channel]);
        await postgres.query("COMMIT");
      }
      return Date.now();
    };

    const runObject = async (plan: ObjectPlan) => {
      const { group } = plan;
      const intervalMs = group.pollingSeconds * 1000;
      const timeoutMs = intervalMs + 15_000;
      await Promise.race([ready.get(plan.name), watchEvaluations.then(() => ready.get(plan.name))]);
      for (let index = 1; index <= group.burstsPerObject; index++) {
        // A uniformly random phase against the polling grid (push: a short pause).
        const pause = group.push ? 200 + random() * 500 : random() * intervalMs;
        await new Promise((resolve) => setTimeout(resolve, pause));
        const landed = await write(plan);
        const event = await logs.next(
          landed,
          (line) => line.kind === "ScaledObject" && line.name === plan.name && sizeOf(line) >= index,
          timeoutMs,
        );
        let decisionMs: number | null = null;
        let decisionFromEvent = false;
        if (event) {
          // The loop stores its trace just after the event line: ask until the new trace is there.
          const eventAt = Date.parse(event.time);
          let trace = { at: 0, desiredReplicas: 0 };
          for (let attempt = 0; attempt < 200 && trace.desiredReplicas < index; attempt++) {
            if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10));
            trace = await tidal.get<{ at: number; desiredReplicas: number }>(
              `/api/v1/scaledobjects/${plan.name}/explain`,
            );
          }
          if (trace.desiredReplicas >= index && trace.at >= landed - 1000 && trace.at <= eventAt) {
            decisionMs = trace.at - landed;
          } else {
            decisionMs = eventAt - landed;
            decisionFromEvent = true;
          }
        }
        const started = await logs.next(
          landed,
          (line) => line.kind === "ProcessPool" && line.name === plan.name && line.reason === "Started",
          timeoutMs,
        );
        bursts.push({
          group: group.label,
          object: plan.name,
          index,
          decisionMs,
          replicasMs: started ? Date.parse(started.time) - landed : null,
          decisionFromEvent,
        });
      }
    };
    await Promise.all(plans.map(runObject));
    watching = false;
    await watchEvaluations;
    for (const [name, seen] of evaluations) {
      const [first, second] = seen.map((time) => Date.parse(time));
      if (first !== undefined && second !== undefined) firstGaps.set(name, (second - first) / 1000);
    }
  } finally {
    await tidal.stop();
    for (const plan of plans) {
      if (plan.group.source === "redis") await redis.del(plan.resource);
      if (plan.group.source === "rabbitmq") await channel.deleteQueue(plan.resource).catch(() => undefined);
      if (plan.group.source === "postgresql") await postgres.query(`DROP TABLE IF EXISTS ${plan.resource}`);
    }
    await redis.call("CONFIG", "SET", "notify-keyspace-events", keyspaceBefore);
    redis.disconnect();
    await amqp.close().catch(() => undefined);
    await postgres.end();
  }

  const figures: Figure[] = [];
  const summaries = [];
  for (const group of groups(options.quick)) {
    const mine = bursts.filter((burst) => burst.group === group.label);
    const decisions = mine.flatMap((burst) => (burst.decisionMs === null ? [] : [burst.decisionMs]));
    const replicas = mine.flatMap((burst) => (burst.replicasMs === null ? [] : [burst.replicasMs]));
    const decision = distribution(decisions);
    const replica = distribution(replicas);
    const targetMs = group.push ? 1000 : group.pollingSeconds * 1000 + 100;
    const key = `reaction.${group.source}.${group.push ? "push" : `poll${group.pollingSeconds}s`}`;
    const missed = mine.length - decisions.length;
    figures.push(
      figure(`${key}.decisionP50`, `${group.label}: decision p50`, decision.p50, "ms"),
      figure(
        `${key}.decisionP95`,
        `${group.label}: decision p95 (${decisions.length} bursts${missed ? `, ${missed} missed` : ""})`,
        decision.p95,
        "ms",
        { comparison: "at most", value: targetMs },
      ),
      figure(`${key}.replicasP50`, `${group.label}: replica count changed p50`, replica.p50, "ms"),
      figure(`${key}.replicasP95`, `${group.label}: replica count changed p95`, replica.p95, "ms"),
    );
    summaries.push({
      group: group.label,
      source: group.source,
      pollingSeconds: group.pollingSeconds,
      push: group.push,
      bursts: mine.length,
      decisionMs: roundAll(decision),
      replicasMs: roundAll(replica),
      decisionsTimedFromEvent: mine.filter((burst) => burst.decisionFromEvent).length,
      targetMs,
    });
  }
  return {
    id: "reaction",
    title: "1. Reaction latency: burst in a real queue → engine decision → ProcessPool replicas",
    figures,
    details: {
      stepItems: STEP,
      groups: summaries,
      bursts,
      firstEvaluationGapsSeconds: Object.fromEntries(firstGaps),
    },
    notes: [
      "Target: the decision within pollingInterval + 100 ms (checked at p95); for push triggers, sub-second (p95 ≤ 1000 ms).",
      "RabbitMQ has no push path (see src/scalers/rabbitmq/push.ts): only polling is measured for it.",
      "Redis push uses keyspace notifications (Tidal turned on notify-keyspace-events for the run and the harness restored the previous value); PostgreSQL push uses LISTEN on a channel the producer notifies in the inserting transaction.",
      "Decision = the engine's decision instant (trace `at`) minus the instant the write was acknowledged; replicas = the new worker's Started event.",
      `Bursts start after an object's second evaluation (steady state). The gap between the first and second evaluation after start, by design of the scheduler at most one interval, was at most ${round(Math.max(0, ...[...firstGaps].filter(([name]) => name.includes("poll30")).map(([, gap]) => gap)))} s for the 30 s objects.`,
    ],
  };
}

function roundAll(values: object): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, round(value)]));
}
