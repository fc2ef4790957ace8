/** `tidal run` as a child process, as a user starts it: JSON logs, status API on a free port. */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTracked, stopChild } from "./children.ts";

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export class TidalRun {
  readonly child: ChildProcess;
  statusUrl = "";
  httpProxyUrl: string | undefined;
  /** The last lines, for error messages. */
  readonly recent: string[] = [];
  readonly #listeners = new Set<(line: LogLine) => void>();

  private constructor(child: ChildProcess) {
    this.child = child;
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const text of lines) {
        this.#remember(text);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        for (const listener of this.#listeners) listener(line);
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => this.#remember(chunk));
  }

  #remember(text: string): void {
    this.recent.push(text);
    if (this.recent.length > 40) this.recent.shift();
  }

  get pid(): number {
    return this.child.pid as number;
  }

  static async start(
    root: string,
    files: string[],
    options: { env?: Record<string, string>; startTimeoutMs?: number; watch?: boolean } = {},
  ): Promise<TidalRun> {
    const stateDir = mkdtempSync(join(tmpdir(), "tidal-bench-state-"));
    const child = spawnTracked(
      process.execPath,
      [
        "bin/tidal.js",
        "run",
        "--port",
        "0",
        "--http-port",
        "0",
        "--state-dir",
        stateDir,
        "--log-format",
        "json",
        ...(options.watch ? [] : ["--no-watch"]),
        "-f",
        ...files,
      ],
      { cwd: root, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const run = new TidalRun(child);
    const started = await Promise.race([
      run.waitForLog((line) => line.msg === "tidal run started", options.startTimeoutMs ?? 60_000),
      new Promise<never>((_, reject) =>
        child.once("exit", (code) =>
          reject(new Error(`tidal run exited with ${code} before starting:\n${run.recent.join("\n")}`)),
        ),
      ),
    ]);
    run.statusUrl = String(started.statusApi);
    run.httpProxyUrl = typeof started.httpProxy === "string" ? started.httpProxy : undefined;
    return run;
  }

  onLog(listener: (line: LogLine) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms; last lines:\n${this.recent.slice(-10).join("\n")}`,
          ),
        );
      }, timeoutMs);
      const stop = this.onLog((line) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        stop();
        resolve(line);
      });
    });
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.statusUrl}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    const type = response.headers.get("content-type") ?? "";
    return (type.includes("json") ? await response.json() : await response.text()) as T;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 20_000);
  }
}
