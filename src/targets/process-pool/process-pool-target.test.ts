import { spawn } from "node:child_process";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type ProcessPoolSpec, processPoolSpec } from "../../api/schema/process-pool.ts";
import type { TargetEvent } from "../types.ts";
import { isProcessRunning } from "../shared/process-table.ts";
import { FIXTURES_DIR, fixtureCommand, temporaryDir, waitFor } from "../shared/test-support.ts";
import {
  ProcessPoolTarget,
  type ProcessPoolTargetOptions,
  type WorkerOutputSource,
} from "./process-pool-target.ts";
import type { WorkerStatus } from "./pool-worker.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pool whose events and output lines are recorded; shut down after the test. */
function startPool(
  spec: Partial<ProcessPoolSpec> & { command: string[] },
  options: Partial<ProcessPoolTargetOptions> = {},
) {
  const pool = new ProcessPoolTarget({
    name: "workers",
    spec: processPoolSpec.parse(spec),
    baseDir: FIXTURES_DIR,
    env: {},
    ...options,
  });
  const events: TargetEvent[] = [];
  const lines: { line: string; source: WorkerOutputSource }[] = [];
  pool.onEvent((event) => events.push(event));
  pool.onOutput((line, source) => lines.push({ line, source }));
  cleanups.push(() => pool.shutdown());
  const linesOf = (worker: number) =>
    lines.filter(({ source }) => source.worker === worker).map(({ line }) => line);
  const reasons = () => events.map((event) => event.reason);
  return { pool, events, lines, linesOf, reasons };
}

const onlyWorker = (pool: ProcessPoolTarget): WorkerStatus | undefined => pool.workers()[0];

describe("ProcessPoolTarget", () => {
  it("scales 0 → 3 → 1 → 0 with real processes, each with its own port and env", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    mkdirSync(join(dir.path, "work"));
    const { pool, lines, reasons } = startPool(
      {
        command: fixtureCommand("print-env.js"),
        args: ["PORT", "TIDAL_WORKER_INDEX", "TIDAL_POOL", "GREETING"],
        cwd: "work",
      },
      { baseDir: dir.path, env: { GREETING: "hello" } },
    );
    expect(pool.workers()).toEqual([]);

    await pool.setReplicas(3);
    expect(await pool.getReplicas()).toBe(3);
    const reports = await waitFor("three env reports", () => (lines.length >= 3 ? lines : false));
    await waitFor("three ready workers", () => pool.readyEndpoints().length === 3);
    expect(await pool.observedReplicas()).toEqual({ existing: 3, ready: 3 });

    const workers = pool.workers();
    expect(workers.map((worker) => worker.index)).toEqual([0, 1, 2]);
    expect(workers.every((worker) => worker.state === "ready" && worker.restarts === 0)).toBe(true);
    const pids = workers.map((worker) => worker.pid!);
    expect(new Set(pids).size).toBe(3);
    expect(pids.every(isProcessRunning)).toBe(true);
    expect(new Set(workers.map((worker) => worker.port)).size).toBe(3);
    for (const { line, source } of reports) {
      const report = JSON.parse(line) as { pid: number; cwd: string; env: Record<string, string> };
      const worker = workers[source.worker]!;
      expect(report).toEqual({
        pid: worker.pid,
        cwd: realpathSync(join(dir.path, "work")),
        env: {
          PORT: String(worker.port),
          TIDAL_WORKER_INDEX: String(worker.index),
          TIDAL_POOL: "workers",
          GREETING: "hello",
        },
      });
      expect(source).toMatchObject({ pool: "workers", stream: "stdout" });
    }
    expect(pool.readyEndpoints()).toEqual(
      workers.map((worker) => ({ worker: worker.index, port: worker.port })),
    );

    await pool.setReplicas(1);
    expect(await pool.observedReplicas()).toEqual({ existing: 1, ready: 1 });
    await waitFor("workers 1 and 2 to be gone", () => pool.workers().length === 1);
    expect(onlyWorker(pool)).toMatchObject({ index: 0, pid: pids[0], state: "ready" });
    expect(pids.map(isProcessRunning)).toEqual([true, false, false]);

    await pool.setReplicas(0);
    await waitFor("worker 0 to be gone", () => pool.workers().length === 0);
    expect(isProcessRunning(pids[0]!)).toBe(false);
    expect(await pool.observedReplicas()).toEqual({ existing: 0, ready: 0 });
    expect(reasons()).toEqual(["Started", "Started", "Started"]);
  });

  it("removes workers that are not ready first, then the newest", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    writeFileSync(join(dir.path, "listen-0"), "");
    writeFileSync(join(dir.path, "listen-2"), "");
    const { pool } = startPool({
      command: fixtureCommand("listen-on-trigger.js", dir.path),
      readiness: "tcp",
    });
    await pool.setReplicas(4);
    await waitFor("workers 0 and 2 to be ready", () => pool.readyEndpoints().length === 2);
    expect(pool.workers().map((worker) => worker.state)).toEqual(["ready", "running", "ready", "running"]);

    await pool.setReplicas(3);
    expect(pool.workers().map((worker) => [worker.index, worker.state])).toEqual([
      [0, "ready"],
      [1, "running"],
      [2, "ready"],
      [3, "stopping"],
    ]);
    await pool.setReplicas(1);
    await waitFor("only one worker left", () => pool.workers().length === 1);
    expect(onlyWorker(pool)).toMatchObject({ index: 0, state: "ready" });
  });

  it("backs off a worker that crashes at start, doubling the delay up to the maximum", async () => {
    const { pool, events, reasons } = startPool(
      { command: fixtureCommand("crash.js", "3") },
      { backoff: { initialMs: 40, maxMs: 160, resetAfterMs: 60_000 } },
    );
    const snapshots: WorkerStatus[] = [];
    pool.onEvent((event) => {
      if (event.reason === "BackOff") snapshots.push(onlyWorker(pool)!);
    });
    await pool.setReplicas(1);
    await waitFor("five back-offs", () => snapshots.length >= 5);
    await pool.shutdown();

    const firstFive = snapshots.slice(0, 5);
    expect(firstFive.map((worker) => worker.state)).toEqual(Array(5).fill("backoff"));
    expect(firstFive.map((worker) => worker.lastExit?.code)).toEqual([3, 3, 3, 3, 3]);
    expect(firstFive.map((worker) => worker.restarts)).toEqual([0, 1, 2, 3, 4]);
    const delays = firstFive.map((worker) => worker.nextStartAt!.getTime() - worker.lastExit!.at.getTime());
    expect(delays).toEqual([40, 80, 160, 160, 160]);
    // Every start was followed by its crash's back-off: nothing was started in between.
    const sequence = reasons().slice(0, 10);
    expect(sequence).toEqual(Array(5).fill(["Started", "BackOff"]).flat());
    expect(events.find((event) => event.reason === "BackOff")).toMatchObject({ type: "Warning" });
    expect(events.find((event) => event.reason === "BackOff")?.message).toMatch(
      /^Back-off restarting failed worker 0: exited with code 3 after [\d.]+ s; next start in 0\.04 s; stderr: crashing$/,
    );
  });

  it("reports the last lines a crashed worker wrote to stderr in its BackOff event and status", async () => {
    const script = "console.log('booting'); console.error('fatal: QUEUE is not set'); process.exit(2)";
    const { pool, events } = startPool(
      { command: [process.execPath, "-e", script] },
      { backoff: { initialMs: 60_000, maxMs: 60_000, resetAfterMs: 60_000 } },
    );
    await pool.setReplicas(1);
    await waitFor("a back-off", () => events.some((event) => event.reason === "BackOff"));
    expect(events.find((event) => event.reason === "BackOff")?.message).toMatch(
      /^Back-off restarting failed worker 0: exited with code 2 after [\d.]+ s; next start in 60 s; stderr: fatal: QUEUE is not set$/,
    );
    expect(onlyWorker(pool)?.lastStderr).toEqual(["fatal: QUEUE is not set"]);
  });

  it("starts the back-off over after a worker ran for resetAfterMs", async () => {
    const { pool } = startPool(
      { command: fixtureCommand("crash.js", "1") },
      { backoff: { initialMs: 30, maxMs: 1_000, resetAfterMs: 0 } },
    );
    const delays: number[] = [];
    pool.onEvent((event) => {
      const worker = onlyWorker(pool)!;
      if (event.reason === "BackOff")
        delays.push(worker.nextStartAt!.getTime() - worker.lastExit!.at.getTime());
    });
    await pool.setReplicas(1);
    await waitFor("three back-offs", () => delays.length >= 3);
    expect(delays.slice(0, 3)).toEqual([30, 30, 30]);
  });

  it("backs off a command that does not exist instead of retrying it in a tight loop", async () => {
    const { pool, events } = startPool(
      { command: ["tidal-no-such-command"] },
      { backoff: { initialMs: 100, maxMs: 100, resetAfterMs: 60_000 } },
    );
    await pool.setReplicas(1);
    const first = await waitFor(
      "a back-off",
      () => onlyWorker(pool)?.state === "backoff" && onlyWorker(pool),
    );
    expect(first.lastExit).toMatchObject({
      code: null,
      signal: null,
      error: "command not found: tidal-no-such-command",
    });
    expect(events[0]).toMatchObject({
      type: "Warning",
      reason: "BackOff",
      message:
        "Back-off restarting failed worker 0: command not found: tidal-no-such-command; next start in 0.1 s",
    });

    await delay(500); // the window in which restarts are counted
    const restarts = onlyWorker(pool)!.restarts - first.restarts;
    expect(restarts).toBeGreaterThanOrEqual(1);
    expect(restarts).toBeLessThanOrEqual(5);
  });

  it("SIGKILLs a worker that ignores SIGTERM once its grace period is over", async () => {
    const { pool, events, linesOf } = startPool({
      command: fixtureCommand("ignore-sigterm.js"),
      terminationGracePeriodSeconds: 1,
    });
    await pool.setReplicas(1);
    await waitFor("the SIGTERM handler", () =>
      linesOf(0).some((line) => line.startsWith("ignoring SIGTERM")),
    );
    const pid = onlyWorker(pool)!.pid!;

    await pool.setReplicas(0);
    expect(onlyWorker(pool)).toMatchObject({ state: "stopping", pid });
    await waitFor("the SIGTERM", () => linesOf(0).includes("got SIGTERM, carrying on"));
    expect(isProcessRunning(pid)).toBe(true);
    await waitFor("the worker to be gone", () => pool.workers().length === 0);
    expect(isProcessRunning(pid)).toBe(false);
    expect(events.filter((event) => event.reason === "Killing")).toEqual([
      {
        type: "Warning",
        reason: "Killing",
        message: `Killed worker 0 (pid ${pid}): still running 1 s after SIGTERM (terminationGracePeriodSeconds)`,
      },
    ]);
  });

  it("leaves no process behind after shutdown, grandchildren included", async () => {
    const exitListeners = process.listenerCount("exit");
    const { pool, lines, reasons } = startPool({ command: fixtureCommand("spawn-grandchild.js") });
    await pool.setReplicas(2);
    const grandchildLines = await waitFor("two grandchildren", () => (lines.length >= 2 ? lines : false));
    const grandchildren = grandchildLines.map(({ line }) => Number(/^grandchild (\d+)$/.exec(line)?.[1]));
    const workers = pool.workers().map((worker) => worker.pid!);
    const everyone = [...workers, ...grandchildren];
    expect(everyone.every(isProcessRunning)).toBe(true);
    expect(process.listenerCount("exit")).toBe(exitListeners + 1);

    await pool.shutdown();
    expect(everyone.filter(isProcessRunning)).toEqual([]);
    expect(pool.workers()).toEqual([]);
    expect(process.listenerCount("exit")).toBe(exitListeners);
    // The grandchildren ignore SIGTERM but went with their parents: no grace period had to run out.
    expect(reasons()).not.toContain("Killing");
    await expect(pool.setReplicas(1)).rejects.toThrow("process pool workers is shut down");
  });

  it("kills its workers' process groups when the supervising process crashes", async () => {
    const supervisor = spawn(process.execPath, [join(FIXTURES_DIR, "crashing-supervisor.ts")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    supervisor.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exitCode = await new Promise((resolve) => supervisor.once("exit", resolve));
    expect(exitCode).toBe(1);
    const { worker, grandchild } = JSON.parse(stdout) as { worker: number; grandchild: number };
    await waitFor(
      "the orphans to be killed",
      () => !isProcessRunning(worker) && !isProcessRunning(grandchild),
    );
  });

  it("is ready with tcp readiness only once the worker accepts connections on $PORT", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    const { pool, linesOf } = startPool({
      command: fixtureCommand("listen-on-trigger.js", dir.path),
      readiness: "tcp",
    });
    await pool.setReplicas(1);
    await waitFor(
      "several readiness probes",
      () => linesOf(0).filter((line) => line === "waiting").length >= 3,
    );
    expect(onlyWorker(pool)?.state).toBe("running");
    expect(pool.readyEndpoints()).toEqual([]);
    expect(await pool.observedReplicas()).toEqual({ existing: 1, ready: 0 });

    writeFileSync(join(dir.path, "listen-0"), "");
    expect(await pool.whenReady(10_000)).toBe(true);
    const { port } = onlyWorker(pool)!;
    expect(pool.readyEndpoints()).toEqual([{ worker: 0, port }]);
    await new Promise<void>((resolve, reject) =>
      connect({ host: "127.0.0.1", port: port! }).once("connect", resolve).once("error", reject),
    );
  });

  it("rejects a replica count that is not a whole number ≥ 0", async () => {
    const { pool } = startPool({ command: fixtureCommand("print-env.js") });
    await expect(pool.setReplicas(-1)).rejects.toThrow(RangeError);
    await expect(pool.setReplicas(1.5)).rejects.toThrow(RangeError);
    expect(await pool.whenReady(0)).toBe(false);
  });
});
