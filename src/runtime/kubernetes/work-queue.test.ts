import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.ts";

describe("WorkQueue", () => {
  it("handles a waiting key once however often it is added", async () => {
    const handled: string[] = [];
    let release: () => void = () => {};
    const queue = new WorkQueue(
      async (key) => {
        handled.push(key);
        if (key === "busy") await new Promise<void>((resolve) => (release = resolve));
      },
      { concurrency: 1 },
    );
    queue.add("busy");
    queue.add("waiting");
    queue.add("waiting");
    queue.add("waiting");
    release();
    await queue.drained();
    expect(handled).toEqual(["busy", "waiting"]);
  });

  it("runs a key again when it was added while being handled, never twice at once", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: () => void = () => {};
    const queue = new WorkQueue(async () => {
      active += 1;
      runs += 1;
      maxActive = Math.max(maxActive, active);
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
      active -= 1;
    });
    queue.add("key");
    await Promise.resolve();
    queue.add("key");
    queue.add("key");
    release();
    await queue.drained();
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it("retries a failing key with doubling delays and reports each failure", async () => {
    const failures: number[] = [];
    let attempts = 0;
    const queue = new WorkQueue(
      async () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
      },
      { retryBaseMs: 5, onError: (_key, _error, retryInMs) => failures.push(retryInMs) },
    );
    queue.add("flaky");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(attempts).toBe(3);
    expect(failures).toEqual([5, 10]);
    queue.stop();
  });
});
