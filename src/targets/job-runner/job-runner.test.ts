import { mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jobSpec } from "../../api/schema/scaled-job.ts";
import type { TargetEvent } from "../types.ts";
import { isProcessRunning } from "../shared/process-table.ts";
import { FIXTURES_DIR, fixtureCommand, temporaryDir, waitFor } from "../shared/test-support.ts";
import { type JobOutputSource, JobRunner, type JobRunnerOptions } from "./job-runner.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface RunnerSetup {
  command: string[];
  job?: Record<string, unknown>;
  container?: Record<string, unknown>;
  pod?: Record<string, unknown>;
  options?: Partial<JobRunnerOptions>;
}

/** A runner whose events and output lines are recorded; shut down after the test. */
function startRunner({ command, job = {}, container = {}, pod = {}, options = {} }: RunnerSetup) {
  const runner = new JobRunner({
    scaledJobName: "consumer",
    jobSpec: jobSpec.parse({
      ...job,
      template: { spec: { containers: [{ name: "c", command, ...container }], ...pod } },
    }),
    baseDir: FIXTURES_DIR,
    env: {},
    successfulJobsHistoryLimit: 100,
    failedJobsHistoryLimit: 100,
    backoff: { initialMs: 20, maxMs: 40 },
    ...options,
  });
  const events: TargetEvent[] = [];
  const lines: { line: string; source: JobOutputSource }[] = [];
  runner.onEvent((event) => events.push(event));
  runner.onOutput((line, source) => lines.push({ line, source }));
  cleanups.push(() => runner.shutdown());
  const state = (name: string) => runner.jobs().find((job) => job.name === name)?.state;
  const eventsNamed = (reason: string) => events.filter((event) => event.reason === reason);
  return { runner, events, lines, state, eventsNamed };
}

const jobOf = (message: string) => /job (\S+)/i.exec(message)?.[1];

describe("JobRunner", () => {
  it("runs a job's command in its working dir with the container's env, the runtime's env and its name", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    mkdirSync(join(dir.path, "work"));
    const { runner, events, lines, state } = startRunner({
      command: fixtureCommand("print-env.js"),
      container: {
        image: "not-used:latest",
        args: ["TIDAL_JOB_NAME", "TIDAL_JOB_INDEX", "QUEUE", "MODE"],
        workingDir: "work",
        env: [
          { name: "QUEUE", value: "orders" },
          { name: "MODE", value: "literal" },
          { name: "EXIT_CODE", value: "0" },
        ],
      },
      options: { baseDir: dir.path, env: { MODE: "resolved" } },
    });

    const [name] = runner.createJobs(1);
    expect(name).toMatch(/^consumer-[a-z0-9]{5}$/);
    await waitFor("the job to succeed", () => state(name!) === "succeeded");

    expect(JSON.parse(lines[0]!.line)).toMatchObject({
      cwd: realpathSync(join(dir.path, "work")),
      env: { TIDAL_JOB_NAME: name, TIDAL_JOB_INDEX: "0", QUEUE: "orders", MODE: "resolved" },
    });
    expect(lines[0]!.source).toEqual({ scaledJob: "consumer", job: name, index: 0, stream: "stdout" });
    const [record] = runner.jobs();
    expect(record).toMatchObject({ name, state: "succeeded", active: 0, succeeded: 1, failures: 0 });
    expect(record!.completedAt!.getTime()).toBeGreaterThanOrEqual(record!.startedAt.getTime());
    expect(events).toEqual([
      { type: "Normal", reason: "JobCreated", message: `Created job ${name}` },
      { type: "Normal", reason: "Completed", message: `Job ${name} completed` },
    ]);
    expect(runner.counts()).toEqual({ running: 0, pending: 0 });
  });

  it("retries a failing process with back-off, then fails the job past backoffLimit", async () => {
    const { runner, events, state } = startRunner({
      command: fixtureCommand("crash.js", "1"),
      job: { backoffLimit: 2 },
    });
    const [name] = runner.createJobs(1);
    await waitFor("the job to fail", () => state(name!) === "failed");

    expect(runner.jobs()[0]).toMatchObject({
      state: "failed",
      reason: "BackoffLimitExceeded",
      failures: 3,
      active: 0,
    });
    expect(
      events.map((event) => [event.reason, event.message.replace(/after [\d.]+ s/, "after … s")]),
    ).toEqual([
      ["JobCreated", `Created job ${name}`],
      [
        "BackOff",
        `Back-off restarting failed process 0 of job ${name}: exited with code 1 after … s; next start in 0.02 s`,
      ],
      [
        "BackOff",
        `Back-off restarting failed process 0 of job ${name}: exited with code 1 after … s; next start in 0.04 s`,
      ],
      ["BackoffLimitExceeded", `Job ${name} has reached the specified backoff limit (2)`],
    ]);
    expect(runner.counts()).toEqual({ running: 0, pending: 0 });
  });

  it("stops a job's processes and fails it once it runs past activeDeadlineSeconds", async () => {
    const { runner, lines, state, eventsNamed } = startRunner({
      command: fixtureCommand("print-env.js"),
      job: { activeDeadlineSeconds: 1 },
    });
    const [name] = runner.createJobs(1);
    const { pid } = JSON.parse(await waitFor("the process", () => lines[0]?.line)) as { pid: number };
    expect(runner.counts()).toEqual({ running: 1, pending: 0 });

    await waitFor("the deadline", () => state(name!) === "failed");
    expect(runner.jobs()[0]).toMatchObject({ reason: "DeadlineExceeded", failures: 0 });
    expect(eventsNamed("DeadlineExceeded")).toEqual([
      {
        type: "Warning",
        reason: "DeadlineExceeded",
        message: `Job ${name} was active longer than specified deadline`,
      },
    ]);
    expect(runner.counts()).toEqual({ running: 0, pending: 0 });
    await waitFor("the process to be stopped", () => !isProcessRunning(pid));
  });

  it("runs at most parallelism processes at a time until completions of them succeeded", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    const trigger = join(dir.path, "exit");
    const { runner, lines, state } = startRunner({
      command: fixtureCommand("exit-on-trigger.js", trigger),
      job: { parallelism: 2, completions: 3 },
    });
    const [name] = runner.createJobs(1);
    await waitFor("two processes", () => lines.length === 2);
    expect(runner.jobs()[0]).toMatchObject({ active: 2, succeeded: 0 });

    writeFileSync(trigger, "");
    await waitFor("the job to succeed", () => state(name!) === "succeeded");
    expect(runner.jobs()[0]).toMatchObject({ active: 0, succeeded: 3, failures: 0 });
    const indexes = lines.map(({ line }) => line.split(" ")[1]);
    expect(indexes.slice(0, 2).sort()).toEqual(["0", "1"]);
    expect(indexes.slice(2)).toEqual(["2"]);
  });

  it("with parallelism and no completions, succeeds once any process succeeded and all exited, retrying nothing", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    const trigger = join(dir.path, "exit");
    writeFileSync(trigger, "");
    const { runner, lines, state, eventsNamed } = startRunner({
      // Process 0 exits 0, process 1 exits 1; a retry of process 1 would wait for a minute.
      command: fixtureCommand("exit-on-trigger.js", trigger, "0", "1"),
      job: { parallelism: 2 },
      options: { backoff: { initialMs: 60_000, maxMs: 60_000 } },
    });
    const [name] = runner.createJobs(1);
    await waitFor("the job to succeed", () => state(name!) === "succeeded");
    expect(runner.jobs()[0]).toMatchObject({ succeeded: 1, failures: 1, active: 0 });
    expect(lines).toHaveLength(2);
    expect(eventsNamed("Completed")).toHaveLength(1);
  });

  it("keeps at most successfulJobsHistoryLimit succeeded jobs, dropping the earliest completed", async () => {
    const { runner, state } = startRunner({
      command: fixtureCommand("print-env.js"),
      container: { env: [{ name: "EXIT_CODE", value: "0" }] },
      options: { successfulJobsHistoryLimit: 2 },
    });
    const names: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const [name] = runner.createJobs(1);
      names.push(name!);
      await waitFor(`job ${round} to succeed`, () => state(name!) === "succeeded");
    }
    expect(runner.jobs().map((job) => job.name)).toEqual(names.slice(1));
  });

  it("keeps at most failedJobsHistoryLimit failed jobs, never counting running ones", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    const trigger = join(dir.path, "exit");
    writeFileSync(trigger, "");
    const { runner, eventsNamed } = startRunner({
      command: fixtureCommand("exit-on-trigger.js", trigger, "1"),
      job: { backoffLimit: 0 },
      options: { failedJobsHistoryLimit: 1 },
    });
    runner.createJobs(2);
    const failures = await waitFor(
      "two failed jobs",
      () => eventsNamed("BackoffLimitExceeded").length === 2 && eventsNamed("BackoffLimitExceeded"),
    );
    rmSync(trigger);
    const [running] = runner.createJobs(1);
    expect(runner.jobs().map((job) => [job.name, job.state])).toEqual([
      [jobOf(failures[1]!.message), "failed"],
      [running, "running"],
    ]);
  });

  it("counts running jobs and, among them, pending ones that have no process started", async () => {
    const dir = temporaryDir();
    cleanups.push(dir.remove);
    const trigger = join(dir.path, "exit");
    writeFileSync(trigger, "");
    const { runner, lines } = startRunner({
      command: fixtureCommand("exit-on-trigger.js", trigger, "1"),
      options: { backoff: { initialMs: 60_000, maxMs: 60_000 } },
    });
    expect(runner.counts()).toEqual({ running: 0, pending: 0 });
    expect(() => runner.createJobs(-1)).toThrow(RangeError);
    runner.createJobs(1);
    expect(runner.counts()).toEqual({ running: 1, pending: 0 });
    await waitFor("the first job to wait for its retry", () => runner.counts().pending === 1);

    rmSync(trigger);
    runner.createJobs(1);
    await waitFor("the second job's process", () => lines.length === 2);
    expect(runner.counts()).toEqual({ running: 2, pending: 1 });

    const pid = Number(lines[1]!.line.split(" ")[2]);
    await runner.shutdown();
    expect(isProcessRunning(pid)).toBe(false);
    expect(() => runner.createJobs(1)).toThrow("job runner of consumer is shut down");
  });

  it("shuts down gracefully, SIGKILLing processes still running after terminationGracePeriodSeconds", async () => {
    const exitListeners = process.listenerCount("exit");
    const { runner, lines, eventsNamed } = startRunner({
      command: fixtureCommand("ignore-sigterm.js"),
      job: { parallelism: 2 },
      pod: { terminationGracePeriodSeconds: 1 },
    });
    const [name] = runner.createJobs(1);
    const ready = await waitFor("two SIGTERM handlers", () => {
      const started = lines.filter(({ line }) => line.startsWith("ignoring SIGTERM"));
      return started.length === 2 && started;
    });
    const pids = ready.map(({ line }) => Number(/pid (\d+)/.exec(line)?.[1]));
    expect(pids.every(isProcessRunning)).toBe(true);

    await runner.shutdown();
    expect(pids.filter(isProcessRunning)).toEqual([]);
    expect(lines.filter(({ line }) => line === "got SIGTERM, carrying on")).toHaveLength(2);
    expect(eventsNamed("Killing").map((event) => event.message)).toEqual(
      expect.arrayContaining(
        pids.map(
          (pid) =>
            `Killed a process of job ${name} (pid ${pid}): still running 1 s after SIGTERM (terminationGracePeriodSeconds)`,
        ),
      ),
    );
    expect(process.listenerCount("exit")).toBe(exitListeners);
  });
});
