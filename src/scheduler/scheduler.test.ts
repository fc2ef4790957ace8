import { describe, expect, it } from "vitest";
import { nextOnGrid, phaseOf, Scheduler, type Clock } from "./scheduler.ts";

/** A clock whose time only moves when the test says so; timers fire in order. */
class ManualClock implements Clock {
  time = 1_000_000;
  #timers: { at: number; callback: () => void; id: number }[] = [];
  #nextId = 0;
  now = () => this.time;
  setTimeout = (callback: () => void, delayMs: number) => {
    const id = ++this.#nextId;
    this.#timers.push({ at: this.time + delayMs, callback, id });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  };
  /** Advances time to `until`, firing due timers and letting promises settle between them. */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      await flush();
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (next === undefined || next.at > until) break;
      this.#timers.shift();
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = until;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let index = 0; index < 10; index += 1) await Promise.resolve();
}

describe("grid helpers", () => {
  it("places runs on phase + k × interval", () => {
    expect(nextOnGrid(1000, 200, 500)).toBe(1200);
    expect(nextOnGrid(1200, 200, 500)).toBe(1200);
    expect(nextOnGrid(1201, 200, 500)).toBe(1700);
  });

  it("gives each key a stable phase within the interval", () => {
    expect(phaseOf("scaledobject.default.orders", 30_000)).toBe(
      phaseOf("scaledobject.default.orders", 30_000),
    );
    const phases = new Set(Array.from({ length: 200 }, (_, index) => phaseOf(`so-${index}`, 30_000)));
    expect(phases.size).toBeGreaterThan(190);
  });
});

describe("Scheduler", () => {
  it("runs a task soon after it is added, then every interval on its grid", async () => {
    const clock = new ManualClock();
    const runs: number[] = [];
    const scheduler = new Scheduler({ clock, firstRunSpreadMs: 1000 });
    scheduler.add({ key: "a", intervalMs: 10_000, run: async () => void runs.push(clock.now()) });
    await clock.advanceTo(clock.time + 45_000);
    expect(runs[0]! - 1_000_000).toBeLessThan(1000);
    const phase = phaseOf("a", 10_000);
    for (const at of runs.slice(1)) expect((at - phase) % 10_000).toBe(0);
    // The first run, then every grid instant after it: four or five of them in 45 s.
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(runs.length).toBeLessThanOrEqual(6);
  });

  it("starts a task soon, then between 1 s and one interval after its previous start", async () => {
    const clock = new ManualClock();
    // Off the 2 s first-run grid, so some first runs land just before their grid instant.
    clock.time += 1500;
    const starts = new Map<string, number[]>();
    const scheduler = new Scheduler({ clock, maxConcurrent: 10_000, firstRunSpreadMs: 2000 });
    for (let index = 0; index < 200; index += 1) {
      const key = `so-${index}`;
      starts.set(key, []);
      scheduler.add({ key, intervalMs: 30_000, run: async () => void starts.get(key)!.push(clock.now()) });
    }
    const addedAt = clock.time;
    await clock.advanceTo(clock.time + 95_000);
    const gaps: number[] = [];
    for (const times of starts.values()) {
      expect(times.length).toBeGreaterThanOrEqual(4);
      expect(times[0]! - addedAt).toBeLessThanOrEqual(3000);
      for (let index = 1; index < times.length; index += 1) gaps.push(times[index]! - times[index - 1]!);
    }
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  });

  it("spreads many tasks across the interval instead of one instant", async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler({ clock, maxConcurrent: 10_000 });
    const times: number[] = [];
    for (let index = 0; index < 1000; index += 1) {
      scheduler.add({
        key: `so-${index}`,
        intervalMs: 30_000,
        run: async () => void times.push(clock.now()),
      });
    }
    await clock.advanceTo(clock.time + 65_000);
    const secondCycle = times.filter((at) => at >= 1_000_000 + 32_000 && at < 1_000_000 + 62_000);
    const perSecond = new Map<number, number>();
    for (const at of secondCycle)
      perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThan(100);
  });

  it("never overlaps runs of one task and coalesces wakes during a run", async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler({ clock, firstRunSpreadMs: 1 });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: () => void = () => {};
    scheduler.add({
      key: "slow",
      intervalMs: 60_000,
      run: async () => {
        active += 1;
        runs += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((resolve) => (release = resolve));
        active -= 1;
      },
    });
    await clock.advanceTo(clock.time + 10);
    expect(runs).toBe(1);
    scheduler.wake("slow");
    scheduler.wake("slow");
    release();
    await clock.advanceTo(clock.time + 10);
    expect(runs).toBe(2);
    release();
    await clock.advanceTo(clock.time + 10);
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it("wakes an idle task at once and reports its lag", async () => {
    const clock = new ManualClock();
    const lags: number[] = [];
    const scheduler = new Scheduler({ clock, onRun: (_key, lag) => lags.push(lag) });
    let runs = 0;
    scheduler.add({ key: "idle", intervalMs: 60_000, run: async () => void (runs += 1) });
    await clock.advanceTo(clock.time + 3000);
    expect(runs).toBe(1);
    scheduler.wake("idle");
    await clock.advanceTo(clock.time + 1);
    expect(runs).toBe(2);
    expect(lags.every((lag) => lag >= 0 && lag <= 1)).toBe(true);
  });

  it("stops running a removed task and reports errors without stopping others", async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const scheduler = new Scheduler({ clock, onError: (key) => errors.push(key) });
    let good = 0;
    let removed = 0;
    scheduler.add({ key: "bad", intervalMs: 1000, run: async () => Promise.reject(new Error("boom")) });
    scheduler.add({ key: "good", intervalMs: 1000, run: async () => void (good += 1) });
    scheduler.add({ key: "gone", intervalMs: 1000, run: async () => void (removed += 1) });
    scheduler.remove("gone");
    await clock.advanceTo(clock.time + 5500);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(good).toBeGreaterThanOrEqual(4);
    expect(removed).toBe(0);
  });

  it("limits how many tasks run at once", async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler({ clock, maxConcurrent: 3, firstRunSpreadMs: 1 });
    let active = 0;
    let maxActive = 0;
    const releases: (() => void)[] = [];
    for (let index = 0; index < 10; index += 1) {
      scheduler.add({
        key: `t${index}`,
        intervalMs: 60_000,
        run: async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise<void>((resolve) => releases.push(resolve));
          active -= 1;
        },
      });
    }
    await clock.advanceTo(clock.time + 10);
    expect(active).toBe(3);
    while (releases.length > 0) {
      releases.shift()!();
      await clock.advanceTo(clock.time + 1);
    }
    expect(maxActive).toBe(3);
  });
});
