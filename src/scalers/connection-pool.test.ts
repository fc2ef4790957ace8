import { describe, expect, it } from "vitest";
import { ConnectionPool, poolKey } from "./connection-pool.ts";

/** A fake client factory that records what it created and destroyed. */
function factory() {
  const created: string[] = [];
  const destroyed: string[] = [];
  let counter = 0;
  return {
    created,
    destroyed,
    create: (label: string) => async () => {
      counter += 1;
      const client = `${label}#${counter}`;
      created.push(client);
      return client;
    },
    destroy: async (client: string) => {
      destroyed.push(client);
    },
  };
}

describe("ConnectionPool", () => {
  it("shares one client among acquirers of the same key; other keys get their own", async () => {
    const pool = new ConnectionPool();
    const clients = factory();
    const a = pool.acquire("k1", clients.create("k1"), clients.destroy);
    const b = pool.acquire("k1", clients.create("k1"), clients.destroy);
    const c = pool.acquire("k2", clients.create("k2"), clients.destroy);
    expect(await a.client).toBe("k1#1");
    expect(await b.client).toBe("k1#1");
    expect(await c.client).toBe("k2#2");
    expect(clients.created).toEqual(["k1#1", "k2#2"]);
    expect(pool.size).toBe(2);
  });

  it("closes a client when its last lease is released, not before; a second release of a lease does nothing", async () => {
    const pool = new ConnectionPool();
    const clients = factory();
    const a = pool.acquire("k", clients.create("k"), clients.destroy);
    const b = pool.acquire("k", clients.create("k"), clients.destroy);
    await a.release();
    await a.release();
    expect(clients.destroyed).toEqual([]);
    expect(pool.size).toBe(1);
    await b.release();
    expect(clients.destroyed).toEqual(["k#1"]);
    expect(pool.size).toBe(0);
  });

  it("creates a fresh client after the previous one was closed", async () => {
    const pool = new ConnectionPool();
    const clients = factory();
    const first = pool.acquire("k", clients.create("k"), clients.destroy);
    await first.client;
    await first.release();
    const second = pool.acquire("k", clients.create("k"), clients.destroy);
    expect(await second.client).toBe("k#2");
    await second.release();
    expect(clients.destroyed).toEqual(["k#1", "k#2"]);
  });

  it("forgets a client that failed to connect, so the next acquire tries again; releasing it destroys nothing", async () => {
    const pool = new ConnectionPool();
    const clients = factory();
    let attempts = 0;
    const failing = pool.acquire(
      "k",
      async () => {
        attempts += 1;
        throw new Error("connection refused");
      },
      clients.destroy,
    );
    await expect(failing.client).rejects.toThrow("connection refused");
    expect(pool.size).toBe(0);
    const retry = pool.acquire("k", clients.create("k"), clients.destroy);
    expect(await retry.client).toBe("k#1");
    expect(attempts).toBe(1);
    await failing.release();
    expect(clients.destroyed).toEqual([]);
    expect(pool.size).toBe(1);
    await retry.release();
    expect(clients.destroyed).toEqual(["k#1"]);
  });

  it("a destroy that throws does not make release throw", async () => {
    const pool = new ConnectionPool();
    const lease = pool.acquire(
      "k",
      async () => "client",
      async () => {
        throw new Error("already closed");
      },
    );
    await lease.client;
    await expect(lease.release()).resolves.toBeUndefined();
    expect(pool.size).toBe(0);
  });
});

describe("poolKey", () => {
  it("is the type and a digest: credentials are not in the key", () => {
    const key = poolKey("postgresql", "db.example", 5432, "app", "s3cret-password");
    expect(key).toMatch(/^postgresql:[0-9a-f]{32}$/);
    expect(key).not.toContain("s3cret-password");
    expect(key).not.toContain("db.example");
  });

  it("equal parts give equal keys; any different part (a password included) gives a different key", () => {
    const base = poolKey("redis", "h", 6379, "pw-one");
    expect(poolKey("redis", "h", 6379, "pw-one")).toBe(base);
    expect(poolKey("redis", "h", 6379, "pw-two")).not.toBe(base);
    expect(poolKey("redis-streams", "h", 6379, "pw-one")).not.toBe(base);
    // Parts are not simply concatenated: ("ab", "c") and ("a", "bc") differ, as do undefined and "".
    expect(poolKey("t", "ab", "c")).not.toBe(poolKey("t", "a", "bc"));
    expect(poolKey("t", undefined)).not.toBe(poolKey("t", ""));
  });
});
