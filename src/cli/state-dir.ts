import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isSameProcess, processIdentity, type ProcessIdentity } from "../targets/shared/process-table.ts";
import { UsageError, messageOf } from "../util/errors.ts";

/** `--state-dir`, created when missing and proven writable before anything starts. */
export async function usableStateDir(dir: string): Promise<string> {
  const path = resolve(dir);
  try {
    await makeFolders(path);
    const probe = join(path, `.write-test-${process.pid}`);
    await writeFile(probe, "");
    await rm(probe);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(
      `--state-dir ${dir}: cannot keep state there (${typeof code === "string" ? code : messageOf(error)}); pass --state-dir with a folder Tidal can write`,
    );
  }
  return path;
}

/** `mkdir -p`, one level at a time: Node's recursive mkdir never returns for some paths (under /proc). */
async function makeFolders(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) return;
  if (info !== undefined) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
  const parent = dirname(path);
  if (parent !== path) await makeFolders(parent);
  await mkdir(path);
}

const LOCK_FILE = "run.lock";

/**
 * Claims `--state-dir` for this `tidal run`: two runs on one folder would each take the other's
 * workers for leftovers of a crash. The lock names its holder by pid and start time, so a lock
 * left by a run that was killed (or whose pid was recycled since) is taken over. Returns the
 * function that releases it.
 */
export async function lockStateDir(path: string): Promise<() => Promise<void>> {
  const file = join(path, LOCK_FILE);
  const own = processIdentity(process.pid);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(file, `${JSON.stringify(own ?? { pid: process.pid })}\n`, { flag: "wx" });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
    }
    const holder = await readFile(file, "utf8")
      .then((text) => JSON.parse(text) as Partial<ProcessIdentity>)
      .catch(() => ({}) as Partial<ProcessIdentity>);
    if (
      typeof holder.pid === "number" &&
      typeof holder.startTicks === "number" &&
      typeof holder.bootId === "string" &&
      holder.pid !== process.pid &&
      isSameProcess(holder as ProcessIdentity)
    ) {
      throw new UsageError(
        `--state-dir ${path} is in use by another tidal run (pid ${holder.pid}); stop it, or pass another --state-dir`,
      );
    }
    await rm(file, { force: true });
  }
}
