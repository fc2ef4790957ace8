import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanup, redisKeyPrefix, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis"));

describe("redis test server", () => {
  const cleanup = useCleanup();
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
  afterAll(() => redis.quit());

  it("answers PING on 127.0.0.1:6379 without auth", async () => {
    expect(await redis.ping()).toBe("PONG");
    expect(redis.options.host).toBe("127.0.0.1");
    expect(redis.options.port).toBe(6379);
  });

  it("writes and reads keys under an isolated prefix", async () => {
    const prefix = redisKeyPrefix(cleanup, "smoke");
    await redis.set(`${prefix}counter`, "41");
    expect(await redis.incr(`${prefix}counter`)).toBe(42);
    await redis.rpush(`${prefix}list`, "a", "b", "c");
    expect(await redis.llen(`${prefix}list`)).toBe(3);
    expect(await redis.lrange(`${prefix}list`, 0, -1)).toEqual(["a", "b", "c"]);
  });

  it("cleanup deletes every key with the prefix and nothing else", async () => {
    const local = new Cleanup();
    local.enterTest();
    const prefix = redisKeyPrefix(local, "gone");
    const neighbour = redisKeyPrefix(cleanup, "kept");
    // More keys than one SCAN step returns, so the cleanup must follow the cursor.
    await redis.mset(
      Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`${prefix}key:${i}`, String(i)])),
    );
    expect(await redis.exists(`${prefix}key:0`, `${prefix}key:1199`)).toBe(2);
    await redis.set(`${neighbour}key`, "stays");
    await local.afterTest();
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    expect(await redis.get(`${neighbour}key`)).toBe("stays");
  });
});
