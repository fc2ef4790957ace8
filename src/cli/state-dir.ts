import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
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
