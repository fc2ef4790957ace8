import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { budgetFor, eventually, uniqueName, useCleanup } from "../../support/isolation.ts";
import { isProcessRunning, TidalRun } from "../../support/tidal-run.ts";
import { processPool, redisScaledObject, writeManifests } from "./manifests.ts";
import { useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis"));

describe("tidal run supervising workers", () => {
  const cleanup = useCleanup();

  it("backs off a worker that crashes at start and reports it in status and events", async () => {
    const file = writeManifests([
      processPool("crashing", "crash.js", { args: ["3"] }),
      redisScaledObject("crashing", "crashing", uniqueName("unused"), { minReplicaCount: 1 }),
    ]);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());
    // The daemon relaunched itself in place with a bounded young generation (src/cli/daemon-heap.ts).
    expect(readFileSync(`/proc/${run.child.pid}/cmdline`, "utf8").split("\0")).toContain(
      "--max-semi-space-size=16",
    );
    const pool = await eventually(
      "a backed-off worker",
      async () => {
        const current = await run.pool("crashing");
        const worker = current.workers[0];
        return worker?.state === "backoff" && worker.restarts >= 1 && current;
      },
      // The first back-off is 1 s.
      { timeoutMs: budgetFor(1) },
    );
    expect(pool.workers[0]?.lastExit?.code).toBe(3);
    expect(
      pool.events.some((event) => event.reason === "BackOff" && /exited with code 3/.test(event.message)),
    ).toBe(true);
    // Each restart waits twice as long as the one before (1 s, 2 s, 4 s…): never a tight loop.
    const delays = await eventually(
      "three back-offs",
      () => {
        const found = run.logs
          .filter((line) => line.reason === "BackOff")
          .map((line) => Number(/next start in (\d+(?:\.\d+)?) s/.exec(line.msg)?.[1]));
        return found.length >= 3 && found;
      },
      // Back-offs of 1, 2 and 4 s, each after a crash at start.
      { timeoutMs: budgetFor(1 + 2 + 4) },
    );
    expect(delays.slice(0, 3)).toEqual([1, 2, 4]);
  });

  it("kills a worker that ignores SIGTERM after its grace period, and leaves no process behind", async () => {
    const file = writeManifests([
      processPool("stubborn", "ignore-sigterm.js", { terminationGracePeriodSeconds: 1 }),
      processPool("grandparent", "spawn-grandchild.js"),
      redisScaledObject("stubborn", "stubborn", uniqueName("unused"), { minReplicaCount: 2 }),
      redisScaledObject("grandparent", "grandparent", uniqueName("unused"), { minReplicaCount: 1 }),
    ]);
    const run = await TidalRun.start([file]);
    const stubborn = await eventually("2 stubborn workers", async () => {
      const pool = await run.pool("stubborn");
      return pool.workers.filter((worker) => worker.state === "ready").length === 2 && pool;
    });
    const parent = await eventually("the grandparent worker", async () => {
      const pool = await run.pool("grandparent");
      return pool.workers[0]?.state === "ready" && pool;
    });
    await eventually("the grandchild to start", () => run.logs.some((line) => /grandchild/.test(line.msg)));
    // A worker counts as ready once spawned; it ignores SIGTERM only once its handler is in place.
    await eventually(
      "both stubborn workers to ignore SIGTERM",
      () => run.logs.filter((line) => line.msg.startsWith("ignoring SIGTERM")).length === 2,
    );
    const grandchild = Number(
      /grandchild (\d+)/.exec(run.logs.find((line) => /grandchild/.test(line.msg))?.msg ?? "")?.[1],
    );
    const pids = [...stubborn.workers, ...parent.workers].map((worker) => worker.pid as number);
    expect(Number.isInteger(grandchild)).toBe(true);
    expect([...pids, grandchild].every(isProcessRunning)).toBe(true);

    expect(await run.stop("SIGTERM")).toBe(0);
    expect(run.logs.some((line) => line.reason === "Killing" && /1 s after SIGTERM/.test(line.msg))).toBe(
      true,
    );
    expect([...pids, grandchild].filter(isProcessRunning)).toEqual([]);
  });
});
