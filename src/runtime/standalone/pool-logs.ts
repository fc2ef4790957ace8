import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

import type { WorkerLogLine } from "../status/source.ts";

export type { WorkerLogLine };

export interface PoolLogsOptions {
  /** Folder of the log files (`NAMESPACE_POOL.log`); no files without it. */
  dir?: string;
  /** Lines kept in memory per pool for `tidal logs`. */
  keepLines?: number;
  /** A file is rotated when it would grow past this size. */
  maxFileBytes?: number;
  /** Rotated files kept (`.log.1` is the newest). */
  keepFiles?: number;
}

interface PoolLog {
  lines: WorkerLogLine[];
  followers: Set<(line: WorkerLogLine) => void>;
  file?: { path: string; fd: number; size: number };
}

/**
 * Workers' output per ProcessPool: the last lines in memory, followers (`tidal logs -f`), and
 * files under the state dir, rotated by size like a container runtime's json-file log driver.
 */
export class PoolLogs {
  readonly #logs = new Map<string, PoolLog>();
  readonly #dir: string | undefined;
  readonly #keepLines: number;
  readonly #maxFileBytes: number;
  readonly #keepFiles: number;
  #fileError = false;

  constructor(options: PoolLogsOptions = {}) {
    this.#dir = options.dir;
    this.#keepLines = options.keepLines ?? 1000;
    this.#maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
    this.#keepFiles = options.keepFiles ?? 3;
  }

  /** The file of a pool's output (`namespace/name` key), when files are written. */
  pathOf(poolKey: string): string | undefined {
    return this.#dir === undefined ? undefined : join(this.#dir, `${poolKey.replace("/", "_")}.log`);
  }

  append(poolKey: string, line: WorkerLogLine): void {
    const log = this.#log(poolKey);
    log.lines.push(line);
    if (log.lines.length > this.#keepLines) log.lines.shift();
    for (const follower of log.followers) follower(line);
    this.#write(poolKey, log, `${line.at} worker-${line.worker} ${line.stream} | ${line.line}\n`);
  }

  /** The last `tail` lines of a pool (all kept ones without `tail`). */
  recent(poolKey: string, tail?: number): WorkerLogLine[] {
    const lines = this.#logs.get(poolKey)?.lines ?? [];
    return tail === undefined ? [...lines] : lines.slice(Math.max(0, lines.length - tail));
  }

  /** Calls `listener` with each new line of a pool until the returned function is called. */
  follow(poolKey: string, listener: (line: WorkerLogLine) => void): () => void {
    const log = this.#log(poolKey);
    log.followers.add(listener);
    return () => log.followers.delete(listener);
  }

  /** Closes the files. */
  close(): void {
    for (const log of this.#logs.values()) {
      if (log.file !== undefined) closeSync(log.file.fd);
      log.file = undefined;
    }
  }

  #log(poolKey: string): PoolLog {
    let log = this.#logs.get(poolKey);
    if (log === undefined) {
      log = { lines: [], followers: new Set() };
      this.#logs.set(poolKey, log);
    }
    return log;
  }

  #write(poolKey: string, log: PoolLog, text: string): void {
    const path = this.pathOf(poolKey);
    if (path === undefined || this.#fileError) return;
    try {
      const bytes = Buffer.byteLength(text);
      if (log.file !== undefined && log.file.size > 0 && log.file.size + bytes > this.#maxFileBytes) {
        closeSync(log.file.fd);
        log.file = undefined;
        this.#rotate(path);
      }
      if (log.file === undefined) {
        mkdirSync(this.#dir!, { recursive: true });
        const fd = openSync(path, "a");
        log.file = { path, fd, size: statSync(path).size };
      }
      writeSync(log.file.fd, text);
      log.file.size += bytes;
    } catch {
      // a full disk or a removed folder must not stop the workers: memory keeps the lines
      this.#fileError = true;
    }
  }

  #rotate(path: string): void {
    for (let index = this.#keepFiles - 1; index >= 1; index -= 1) {
      try {
        renameSync(`${path}.${index}`, `${path}.${index + 1}`);
      } catch {
        // no such file yet
      }
    }
    if (this.#keepFiles > 0) renameSync(path, `${path}.1`);
  }
}
