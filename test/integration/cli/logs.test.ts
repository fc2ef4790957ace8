/**
 * Workers' output in a real `tidal run`: `tidal logs POOL` prints it prefixed by worker, `-f`
 * follows it, the files under the state dir hold it, and a crash-looping worker's BackOff event
 * names its error from stderr.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { expectNoStackTrace, repositoryRoot, runTidal } from "../../cli/tidal-cli.ts";
import { eventually } from "../../support/isolation.ts";
import { TidalRun } from "../../support/tidal-run.ts";

const MANIFESTS = `apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: talker }
spec:
  replicas: 2
  command: [node, -e, "let i = 0; setInterval(() => { console.log('tick', i++); console.error('warn', i) }, 100)"]
---
apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: crasher }
spec:
  replicas: 1
  command: [node, -e, "import('no-such-package-for-tidal')"]
`;

describe("tidal logs and workers' stderr", () => {
  let run: TidalRun;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidal-logs-"));
    writeFileSync(join(dir, "pools.yaml"), MANIFESTS);
    run = await TidalRun.start([dir], {
      env: { PATH: `${join(process.execPath, "..")}:${process.env.PATH}` },
    });
    return () => run.stop();
  });

  it("prints the last lines of a pool, prefixed by worker, found through the state dir", async () => {
    const result = await eventually("four lines of talker", async () => {
      const logs = await runTidal(["logs", "talker", "--state-dir", run.stateDir, "--tail", "4"]);
      return logs.stdout.split("\n").filter(Boolean).length === 4 ? logs : undefined;
    });
    expect(result.code).toBe(0);
    for (const line of result.stdout.trim().split("\n"))
      expect(line).toMatch(/^worker-[01]( stderr)? \| (tick|warn) \d+$/);
    expect(result.stdout).toContain(" stderr | warn ");
  });

  it("follows new lines with -f until interrupted", async () => {
    const follower = spawn(
      process.execPath,
      ["bin/tidal.js", "logs", "talker", "-f", "--tail", "0", "--server", run.statusUrl],
      {
        cwd: repositoryRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    follower.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    await eventually("followed lines", () => (output.split("\n").length > 6 ? true : undefined));
    const exited = new Promise<number | null>((resolve) => follower.once("exit", resolve));
    follower.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output).toMatch(/^worker-[01]( stderr)? \| (tick|warn) \d+$/m);
  });

  it("writes the output to a file per pool under the state dir", async () => {
    const file = join(run.stateDir, "logs", "default_talker.log");
    await eventually("the log file", () => (existsSync(file) ? true : undefined));
    expect(readFileSync(file, "utf8")).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z worker-[01] (stdout|stderr) \| (tick|warn) \d+$/m,
    );
  });

  it("names a crash-looping worker's error from its stderr in the BackOff event and the status API", async () => {
    const event = await eventually("the crasher's BackOff", () =>
      run.logs.find((line) => line.reason === "BackOff" && line.name === "crasher"),
    );
    expect(event?.msg).toMatch(
      /; stderr: Error \[ERR_MODULE_NOT_FOUND\]: Cannot find package 'no-such-package-for-tidal' imported from /,
    );
    const pools =
      await run.get<{ name: string; workers: { lastStderr?: string[] }[] }[]>("/api/v1/processpools");
    const crasher = pools.find((pool) => pool.name === "crasher");
    expect(crasher?.workers[0]?.lastStderr?.join("\n")).toContain(
      "Cannot find package 'no-such-package-for-tidal'",
    );
    const logs = await runTidal(["logs", "crasher", "--server", run.statusUrl]);
    expect(logs.stdout).toContain("worker-0 stderr | Error [ERR_MODULE_NOT_FOUND]: Cannot find package");
  });

  it("names an unknown pool and a bad --tail", async () => {
    const unknown = await runTidal(["logs", "nosuch", "--server", run.statusUrl]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('tidal: ProcessPool "nosuch" not found\n');
    const badTail = await runTidal(["logs", "talker", "--tail", "-3", "--server", run.statusUrl]);
    expect(badTail.code).toBe(2);
    expect(badTail.stderr).toContain("--tail must be a whole number ≥ 0");
    for (const result of [unknown, badTail]) expectNoStackTrace(result);
  });
});
