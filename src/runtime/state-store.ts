import { createHash } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { messageOf } from "../util/errors.ts";

/** File names longer than this end in a digest of the key instead (most file systems stop at 255 bytes). */
const MAX_NAME_BYTES = 200;
const SUFFIX = ".json";

/**
 * The file name of a key, one-to-one: letters, digits, `.` and `-` stand for themselves, `/` is
 * written `_`, and every other byte (`_` and `%` included) as `%XX`. So `default/a_b` and
 * `default_a/b` never share a file, and the names of valid Kubernetes objects (which hold no `_`)
 * keep the names earlier versions gave them. A name that would be too long keeps a readable start
 * and ends in `~` and a digest of the key (`~` is never written otherwise).
 */
export function stateFileName(key: string): string {
  let name = "";
  for (const byte of Buffer.from(key, "utf8")) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9-]/.test(char) || (char === "." && name !== "")) name += char;
    else if (char === "/") name += "_";
    else name += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (name.length + SUFFIX.length <= MAX_NAME_BYTES) return `${name}${SUFFIX}`;
  const digest = createHash("sha256").update(key).digest("hex");
  return `${name.slice(0, MAX_NAME_BYTES - SUFFIX.length - digest.length - 1)}~${digest}${SUFFIX}`;
}

/** Reads a stored value: returns it, or throws an Error saying what is wrong with it. */
export type StateReader<T> = (value: unknown) => T;

export interface StateStoreOptions {
  /** Told when a stored file was set aside (unreadable or invalid), with a message naming the file. */
  onSetAside?: (message: string) => void;
}

/**
 * Small JSON documents that survive a restart (engine state, replica counts, worker processes),
 * one file per key. Writes go to a temporary file first and are renamed into place, so a crash
 * never leaves half a file; a failed write removes its temporary file (a full disk stays no fuller).
 * A file that cannot be read back, or holds what its reader refuses, is renamed `<file>.corrupt`
 * and reported, and its key starts afresh.
 */
export class StateStore {
  readonly directory: string;
  readonly #onSetAside: (message: string) => void;

  constructor(directory: string, options: StateStoreOptions = {}) {
    this.directory = directory;
    this.#onSetAside = options.onSetAside ?? (() => {});
  }

  /** The file that holds `key`. */
  pathOf(key: string): string {
    return join(this.directory, stateFileName(key));
  }

  async load<T>(key: string, read: StateReader<T>): Promise<T | undefined> {
    return this.#loadFile(stateFileName(key), read, `"${key}"`);
  }

  /** Every stored value whose key starts with `prefix` (unreadable ones are set aside). */
  async loadAll<T>(prefix: string, read: StateReader<T>): Promise<T[]> {
    const encoded = stateFileName(prefix).slice(0, -SUFFIX.length);
    const names = await readdir(this.directory).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    });
    const values: T[] = [];
    for (const name of names.sort()) {
      if (!name.startsWith(encoded) || !name.endsWith(SUFFIX)) continue;
      const value = await this.#loadFile(name, read, name);
      if (value !== undefined) values.push(value);
    }
    return values;
  }

  async #loadFile<T>(name: string, read: StateReader<T>, what: string): Promise<T | undefined> {
    const path = join(this.directory, name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      this.#onSetAside(
        `state file ${path} cannot be read (${codeOrMessage(error)}); ${what} starts with fresh state`,
      );
      return undefined;
    }
    let problem: string;
    try {
      return read(JSON.parse(text));
    } catch (error) {
      problem = error instanceof SyntaxError ? `not JSON: ${error.message}` : messageOf(error);
    }
    // Set aside rather than trusted or silently lost: the file stays for a person to look at.
    const aside = `${path}.corrupt`;
    const moved = await rename(path, aside).then(
      () => `set aside as ${aside}`,
      (error: unknown) => `could not be set aside (${codeOrMessage(error)})`,
    );
    this.#onSetAside(`state file ${path} is invalid (${problem}); ${moved}; ${what} starts with fresh state`);
    return undefined;
  }

  async save(key: string, value: unknown): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const path = this.pathOf(key);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(value)}\n`);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Like save, but done when it returns: for a small record that must be on disk before anything
   * else can happen (a process just started, which a crash right after must not lose).
   */
  saveSync(key: string, value: unknown): void {
    mkdirSync(this.directory, { recursive: true });
    const path = this.pathOf(key);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(value)}\n`);
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

function codeOrMessage(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : messageOf(error);
}
