import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, uniqueName, useCleanup } from "../../support/isolation.ts";
import { isProcessRunning, TidalRun } from "../../support/tidal-run.ts";
import { processPool, writeManifests } from "./manifests.ts";

// Process faults of `tidal run` (issue: double Ctrl-C orphaned workers; kill -9 and a restart on
// the same --state-dir ran old and new workers side by side). No test server: the trigger reads a
// metrics API served by this file.

let metrics: Server;
let metricsPort = 0;
let metricsUrl = "";

function serveMetrics(port: number): Promise<Server> {
  const server = createServer((_request, response) => response.end('{"value": 0}'));
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

function closeMetrics(): Promise<void> {
  metrics.closeAllConnections();
  return new Promise((resolve) => metrics.close(() => resolve()));
}

beforeAll(async () => {
  metrics = await serveMetrics(0);
  metricsPort = (metrics.address() as AddressInfo).port;
  metricsUrl = `http://127.0.0.1:${metricsPort}/value`;
});
afterAll(() => (metrics.listening ? closeMetrics() : undefined));

function scaledObject(name: string, pool: string, minReplicaCount: number) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: "tidal.dev/v1alpha1", kind: "ProcessPool", name: pool },
      pollingInterval: 1,
      minReplicaCount,
      maxReplicaCount: 5,
      triggers: [
        { type: "metrics-api", metadata: { url: metricsUrl, valueLocation: "value", targetValue: "1" } },
      ],
    },
  };
}

/** Pids of every process on the machine whose command line holds `tag`. */
function processesTagged(tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(tag)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

/** A pool of workers that ignore SIGTERM (a long grace period), tagged so they can be counted. */
function stubbornSetup(replicas: number) {
  const tag = uniqueName("stubborn-tag");
  const file = writeManifests([
    processPool("stubborn", "ignore-sigterm.js", { args: [tag], terminationGracePeriodSeconds: 600 }),
    scaledObject("stubborn", "stubborn", replicas),
  ]);
  return { tag, file };
}

async function readyPids(run: TidalRun, count: number): Promise<number[]> {
  const pool = await eventually(`${count} ready workers`, async () => {
    const current = await run.pool("stubborn");
    const ready = current.workers.filter((worker) => worker.state === "ready");
    return ready.length === count && current.workers.length === count && current;
  });
  return pool.workers.map((worker) => worker.pid as number).sort((a, b) => a - b);
}

/** Ready means spawned: a stubborn worker ignores SIGTERM only once its handler is in place. */
async function ignoringSigterm(run: TidalRun, pids: number[]): Promise<void> {
  await eventually("the workers to ignore SIGTERM", () =>
    pids.every((pid) => run.logs.some((line) => line.msg === `ignoring SIGTERM (pid ${pid})`)),
  );
}

describe("tidal run under process faults", () => {
  const cleanup = useCleanup();

  it("a second SIGINT hastens the stop (SIGKILL) and still waits: no orphan, 'stopped' logged", async () => {
    const { tag, file } = stubbornSetup(2);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop("SIGKILL"));
    cleanup.add(() => {
      for (const pid of processesTagged(tag)) process.kill(pid, "SIGKILL");
    });
    const pids = await readyPids(run, 2);
    await ignoringSigterm(run, pids);
    expect(processesTagged(tag)).toEqual(pids);

    run.child.kill("SIGINT");
    // The first signal starts a graceful stop the workers ignore (their grace period is 600 s)…
    await eventually("the graceful stop to begin", () =>
      run.logs.find((line) => line.msg.startsWith("stopping: workers get SIGTERM")),
    );
    // …the second one ends it now.
    run.child.kill("SIGINT");
    const code = await run.exited;
    expect(code).not.toBeNull();
    expect(run.logs.some((line) => line.msg === "stopped")).toBe(true);
    expect(pids.filter(isProcessRunning)).toEqual([]);
    expect(processesTagged(tag)).toEqual([]);
  });

  it("after kill -9, a restart on the same --state-dir adopts the workers: none orphaned, none doubled", async () => {
    const { tag, file } = stubbornSetup(2);
    const first = await TidalRun.start([file]);
    cleanup.add(() => first.stop("SIGKILL"));
    cleanup.add(() => {
      for (const pid of processesTagged(tag)) process.kill(pid, "SIGKILL");
    });
    const pids = await readyPids(first, 2);
    await ignoringSigterm(first, pids);

    expect(await first.stop("SIGKILL")).toBeNull();
    // The workers outlive their parent (their own process groups)…
    expect(pids.filter(isProcessRunning)).toEqual(pids);

    const second = await TidalRun.start([file], { stateDir: first.stateDir });
    cleanup.add(() => second.stop("SIGKILL"));
    // …and the next run takes them over instead of starting two more beside them.
    expect(await readyPids(second, 2)).toEqual(pids);
    expect(processesTagged(tag)).toEqual(pids);

    // A second SIGTERM (the workers ignore the first) stops the adopted workers too.
    second.child.kill("SIGTERM");
    await eventually("the stop to begin", () => second.logs.find((line) => /stopping/i.test(line.msg)));
    second.child.kill("SIGTERM");
    await second.exited;
    await eventually("the adopted workers to be gone", () => processesTagged(tag).length === 0);
  });

  it("after kill -9, a restart whose manifests no longer have the pool stops its old workers", async () => {
    const tag = uniqueName("gone-tag");
    const file = writeManifests([
      processPool("stubborn", "idle.js", { args: [tag] }),
      scaledObject("stubborn", "stubborn", 1),
    ]);
    const first = await TidalRun.start([file]);
    cleanup.add(() => first.stop("SIGKILL"));
    cleanup.add(() => {
      for (const pid of processesTagged(tag)) process.kill(pid, "SIGKILL");
    });
    const pids = await readyPids(first, 1);
    await first.stop("SIGKILL");
    expect(pids.filter(isProcessRunning)).toEqual(pids);

    const other = writeManifests([processPool("other", "idle.js"), scaledObject("other", "other", 0)]);
    const second = await TidalRun.start([other], { stateDir: first.stateDir });
    cleanup.add(() => second.stop("SIGKILL"));
    await eventually("the leftover worker to be stopped", () => processesTagged(tag).length === 0);
    expect(await second.stop("SIGTERM")).toBe(0);
  });

  it("a metrics server that goes away mid-run and comes back: the trigger errs, then recovers, workers stay", async () => {
    const tag = uniqueName("steady-tag");
    const file = writeManifests([
      processPool("stubborn", "idle.js", { args: [tag] }),
      scaledObject("stubborn", "stubborn", 1),
    ]);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop("SIGKILL"));
    const pids = await readyPids(run, 1);
    await eventually("a first value", async () => (await run.object("stubborn")).triggers[0]?.value === 0);

    await closeMetrics();
    const failing = await eventually("the trigger to report the server gone", async () => {
      const error = (await run.object("stubborn")).triggers[0]?.error;
      return typeof error === "string" && error;
    });
    expect(failing).toContain(`127.0.0.1:${metricsPort}`);
    expect((await run.pool("stubborn")).workers.map((worker) => worker.pid)).toEqual(pids);

    metrics = await serveMetrics(metricsPort);
    await eventually("the trigger to recover", async () => {
      const trigger = (await run.object("stubborn")).triggers[0];
      return trigger?.error === null && trigger.value === 0;
    });
    expect((await run.pool("stubborn")).workers.map((worker) => worker.pid)).toEqual(pids);
    expect(await run.stop("SIGTERM")).toBe(0);
    expect(processesTagged(tag)).toEqual([]);
  });
});
