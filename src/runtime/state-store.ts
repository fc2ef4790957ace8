import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Small JSON documents that survive a restart (engine state, original replica counts), one file
 * per object. Writes go to a temporary file first and are renamed into place, so a crash never
 * leaves half a file.
 */
export class StateStore {
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
  }

  #path(key: string): string {
    return join(this.#directory, `${key.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`);
  }

  async load<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.#path(key), "utf8")) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      // A corrupt file is set aside rather than trusted or silently lost.
      await rename(this.#path(key), `${this.#path(key)}.corrupt`).catch(() => undefined);
      return undefined;
    }
  }

  async save(key: string, value: unknown): Promise<void> {
    await mkdir(this.#directory, { recursive: true });
    const path = this.#path(key);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(value)}\n`);
    await rename(temporary, path);
  }

  async remove(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}
