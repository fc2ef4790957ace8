/**
 * Runs the `tidal` command the way a user does: `node bin/tidal.js ...` from the repository root,
 * as a child process, with colour off. Used by the CLI tests (src/cli/*.test.ts) and the
 * integration tests of commands that need servers (test/integration/cli/).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  /** The exit code (null when a signal ended the process). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTidal(
  args: readonly string[],
  options: { env?: Record<string, string> } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
  delete env.FORCE_COLOR;
  delete env.TIDAL_DEBUG;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["bin/tidal.js", ...args],
      { cwd: repositoryRoot, env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`tidal ${args.join(" ")} did not exit normally: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A line of a JavaScript stack trace ("    at fn (file:line:col)"). */
const STACK_FRAME = /^\s+at\s/m;

/** Asserts that neither stream of a run holds a stack trace or an internal-error report. */
export function expectNoStackTrace(result: CliResult): void {
  expect(result.stdout).not.toMatch(STACK_FRAME);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(result.stderr).not.toContain("internal error");
}
