import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetFor, eventually, uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";
import { isProcessRunning, TidalRun } from "../../support/tidal-run.ts";
import { processPool, redisScaledObject, writeManifests } from "./manifests.ts";

beforeAll(() => useServices("redis"));

describe("tidal run with a Redis list", () => {
  const cleanup = useCleanup();
  const redis = new Redis(services.redisUrl);
  afterAll(() => redis.disconnect());

  it("scales a ProcessPool 0 → N as the HPA math says, then back to 0 after the cooldown", async () => {
    const list = uniqueName("backlog");
    cleanup.add(() => redis.del(list));
    const file = writeManifests([
      processPool("workers", "idle.js"),
      redisScaledObject("backlog", "workers", list),
    ]);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());

    await eventually(
      "a first evaluation at 0 replicas",
      async () => (await run.object("backlog")).lastEvaluationTime !== null,
    );
    expect((await run.pool("workers")).replicas).toBe(0);

    await redis.rpush(list, ...Array.from({ length: 45 }, (_, index) => `item-${index}`));
    // ceil(45 / listLength 10) = 5; without behavior the HPA first caps a step at max(2 × 1, 4) = 4.
    // Two HPA steps (1 s syncs) after a 1 s poll.
    await eventually("5 replicas", async () => (await run.object("backlog")).replicas === 5, {
      timeoutMs: budgetFor(1 + 2),
    });
    const pool = await eventually("5 running workers", async () => {
      const current = await run.pool("workers");
      return current.workers.filter((worker) => worker.state === "ready").length === 5 && current;
    });
    const pids = pool.workers.map((worker) => worker.pid as number);
    expect(pids.every(isProcessRunning)).toBe(true);
    const activated = run.logs.find((line) => line.reason === "KEDAScaleTargetActivated");
    expect(activated?.msg).toContain("from 0 to 1");

    await redis.del(list);
    await eventually(
      "scale to zero after the 3 s cooldown",
      async () => (await run.object("backlog")).replicas === 0,
      // A 1 s poll, the 3 s cooldown, then HPA steps down (1 s syncs).
      { timeoutMs: budgetFor(1 + 3 + 5) },
    );
    await eventually("workers gone", () => pids.every((pid) => !isProcessRunning(pid)));
    expect(run.logs.some((line) => line.reason === "KEDAScaleTargetDeactivated")).toBe(true);
    expect(await run.stop()).toBe(0);
  });

  it("keeps the replicas when restarted inside the cooldown", async () => {
    const list = uniqueName("restart");
    cleanup.add(() => redis.del(list));
    const file = writeManifests([
      processPool("restart-workers", "idle.js"),
      redisScaledObject("restart", "restart-workers", list, { cooldownPeriod: 600 }),
    ]);
    const first = await TidalRun.start([file]);
    await redis.rpush(list, ...Array.from({ length: 25 }, (_, index) => `item-${index}`));
    await eventually("3 replicas", async () => (await first.object("restart")).replicas === 3, {
      timeoutMs: 20_000,
    });
    await redis.del(list);
    await eventually("inactive, cooling down", async () => {
      const object = await first.object("restart");
      return object.conditions.some((condition) => condition.reason === "ScalerCooldown");
    });
    expect(await first.stop()).toBe(0);

    const second = await TidalRun.start([file], { stateDir: first.stateDir });
    cleanup.add(() => second.stop());
    expect((await second.pool("restart-workers")).replicas).toBe(3);
    const evaluated = await eventually("two evaluations after the restart", async () => {
      const object = await second.object("restart");
      const evaluations = second.logs.length;
      return object.lastEvaluationTime !== null && evaluations > 0 && object;
    });
    const later = await eventually("a later evaluation", async () => {
      const object = await second.object("restart");
      return object.lastEvaluationTime !== evaluated.lastEvaluationTime && object;
    });
    expect(later.replicas).toBe(3);
    expect(later.conditions.find((condition) => condition.type === "Active")?.reason).toBe("ScalerCooldown");
  });
});
