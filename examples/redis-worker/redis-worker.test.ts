import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleVariant } from "../../test/support/example-copy.ts";
import { eventually, uniqueName, useCleanup } from "../../test/support/isolation.ts";
import { services, useServices } from "../../test/support/services.ts";
import { TidalRun } from "../../test/support/tidal-run.ts";

beforeAll(() => useServices("redis"));

describe("examples/redis-worker", () => {
  const cleanup = useCleanup();
  const redis = new Redis(services.redisUrl);
  afterAll(() => redis.disconnect());

  it("scales workers up for a backlog and they drain the list", async () => {
    const list = uniqueName("jobs");
    cleanup.add(() => redis.del(list));
    const variant = exampleVariant("redis-worker", {
      "value: jobs": `value: ${list}`,
      "listName: jobs": `listName: ${list}`,
    });
    cleanup.add(variant.remove);
    const run = await TidalRun.start([variant.file]);
    cleanup.add(() => run.stop());

    await redis.rpush(list, ...Array.from({ length: 45 }, (_, index) => `job-${index}`));
    await eventually("more than one worker", async () => (await run.object("redis-worker")).replicas > 1, {
      timeoutMs: 20_000,
    });
    await eventually("the list drained", async () => (await redis.llen(list)) === 0, { timeoutMs: 30_000 });
    // The last items popped are still being worked on when the list is empty.
    const doneLines = () => run.logs.filter((line) => /^worker \d+ done: job-/.test(line.msg));
    const done = await eventually("45 jobs done", () => doneLines().length >= 45 && doneLines());
    expect(done.length).toBe(45);
    expect(new Set(done.map((line) => line.worker)).size).toBeGreaterThan(1);
  });
});
