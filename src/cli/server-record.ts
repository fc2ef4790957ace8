import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The default status API port of `tidal run`: 8435 ("TIDL" on a phone keypad). It stays clear of
 * Prometheus (9090) and its exporters (9100–9999), the web-app ports 3000, 5000, 8000 and 8080, and
 * the servers of `scripts/services.sh`.
 */
export const DEFAULT_STATUS_PORT = 8435;

/** The file in the state dir where a running `tidal run` says where its status API is. */
export const SERVER_RECORD = "tidal-run.json";

export interface ServerRecord {
  pid: number;
  statusApi: string;
  httpProxy?: string;
  startedAt: string;
}

/** Writes the record of this process's `tidal run`. */
export async function writeServerRecord(stateDir: string, record: ServerRecord): Promise<void> {
  await writeFile(join(stateDir, SERVER_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record, when it is still this process's (another `tidal run` may have taken over). */
export async function removeServerRecord(stateDir: string, pid = process.pid): Promise<void> {
  const record = await readServerRecord(stateDir);
  if (record?.pid === pid) await rm(join(stateDir, SERVER_RECORD), { force: true });
}

/** The record in `stateDir`; undefined when there is none or it is not one. */
export async function readServerRecord(stateDir: string): Promise<ServerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, SERVER_RECORD), "utf8");
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<ServerRecord>;
    if (typeof value.pid !== "number" || typeof value.statusApi !== "string") return undefined;
    return value as ServerRecord;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}
