/**
 * Signals through npm's wrapper: `npx tidal run` runs Tidal under `sh -c`, which does not pass
 * SIGTERM on. Tidal started by npm stops gracefully when its parent goes; started directly, it
 * receives the signal itself.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isProcessAlive, readServerRecord } from "../../../src/cli/server-record.ts";
import { repositoryRoot } from "../../cli/tidal-cli.ts";
import { eventually } from "../../support/isolation.ts";

const QUICKSTART = join(repositoryRoot, "examples", "quickstart");

/** Starts `tidal run` the way npm does (`sh -c`, npm's variables set); returns the shell and Tidal's pid. */
async function underShell(stateDir: string, env: Record<string, string>) {
  const command = `"${process.execPath}" bin/tidal.js run -f "${QUICKSTART}" --port 0 --http-port 0 --state-dir "${stateDir}" --log-format json; echo done`;
  const shell = spawn("sh", ["-c", command], {
    cwd: repositoryRoot,
    // npm's variables only as given (the test itself may run under npm)
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_"))),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  shell.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const record = await eventually("tidal run's record", () => readServerRecord(stateDir), {
    timeoutMs: 60_000,
  });
  return { shell, pid: record.pid, output: () => output };
}

describe("tidal run under a wrapper that does not forward signals", () => {
  it("stops gracefully when npm's shell is killed", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "tidal-signals-"));
    const { shell, pid, output } = await underShell(stateDir, {
      npm_command: "exec",
      npm_lifecycle_event: "npx",
    });
    expect(pid).not.toBe(shell.pid);
    shell.kill("SIGTERM");
    await eventually("tidal run to exit", () => !isProcessAlive(pid), { timeoutMs: 30_000 });
    // it went through its own shutdown: the record of the running instance is gone
    expect(await readServerRecord(stateDir)).toBeUndefined();
    expect(output()).not.toContain("done");
  });

  it("is not stopped by its parent's exit when npm did not start it", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "tidal-signals-"));
    const env: Record<string, string> = {};
    const { shell, pid } = await underShell(stateDir, env);
    const exited = new Promise((resolve) => shell.once("exit", resolve));
    shell.kill("SIGTERM");
    await exited;
    // still running a while later (several parent checks), then stopped by its own SIGTERM
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(isProcessAlive(pid)).toBe(true);
    process.kill(pid, "SIGTERM");
    await eventually("tidal run to exit", () => !isProcessAlive(pid), { timeoutMs: 30_000 });
  });
});
