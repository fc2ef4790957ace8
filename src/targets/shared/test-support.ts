import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** Helpers for the targets' tests, which run real processes from test/fixtures/workers. */

export const FIXTURES_DIR = fileURLToPath(new URL("../../../test/fixtures/workers/", import.meta.url));

/** The argv that runs a fixture script with this Node. */
export function fixtureCommand(script: string, ...args: string[]): string[] {
  return [process.execPath, join(FIXTURES_DIR, script), ...args];
}

/** Polls `probe` every 20 ms until it returns something other than undefined or false. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value instanceof Promise) throw new TypeError(`waitFor(${what}): the probe must be synchronous`);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

/** A fresh temporary folder and the function that removes it. */
export function temporaryDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "tidal-targets-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
