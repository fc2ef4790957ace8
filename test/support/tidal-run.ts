import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually } from "./isolation.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/**
 * `tidal run` as a child process, the way a user starts it: JSON logs on stdout, the status API
 * and the HTTP proxy on free ports, state in a temporary folder unless one is given.
 */
export class TidalRun {
  readonly child: ChildProcess;
  readonly stateDir: string;
  readonly logs: LogLine[] = [];
  /** Everything the process wrote, for secret checks. */
  output = "";
  statusUrl = "";
  httpProxyUrl: string | undefined;
  #exit: Promise<number | null>;

  private constructor(child: ChildProcess, stateDir: string) {
    this.child = child;
    this.stateDir = stateDir;
    this.#exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.output += chunk;
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
  }

  static async start(paths: string[], options: { stateDir?: string; env?: Record<string, string> } = {}): Promise<TidalRun> {
    const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "tidal-state-"));
    const child = spawn(
      process.execPath,
      ["bin/tidal.js", "run", "--port", "0", "--http-port", "0", "--state-dir", stateDir, "--log-format", "json", "-f", ...paths],
      { cwd: root, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const run = new TidalRun(child, stateDir);
    const started = await Promise.race([
      eventually("tidal run to start", () => run.logs.find((line) => line.msg === "tidal run started"), { timeoutMs: 30_000, intervalMs: 50 }),
      run.#exit.then((code) => {
        throw new Error(`tidal run exited with ${code} before starting:\n${run.output}`);
      }),
    ]);
    run.statusUrl = String(started.statusApi);
    run.httpProxyUrl = typeof started.httpProxy === "string" ? started.httpProxy : undefined;
    return run;
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.statusUrl}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    const type = response.headers.get("content-type") ?? "";
    return (type.includes("json") ? await response.json() : await response.text()) as T;
  }

  /** The snapshot of one ScaledObject (or ScaledJob) from the status API. */
  async object(name: string, collection: "scaledobjects" | "scaledjobs" = "scaledobjects") {
    const all = await this.get<{ name: string; replicas: number; desiredReplicas: number; active: boolean; lastEvaluationTime: string | null; conditions: { type: string; status: string; reason?: string }[]; triggers: { value: number | null; error: string | null }[] }[]>(
      `/api/v1/${collection}`,
    );
    const found = all.find((object) => object.name === name);
    if (found === undefined) throw new Error(`${collection} has no ${name}`);
    return found;
  }

  async pool(name: string) {
    const pools = await this.get<{ name: string; replicas: number; workers: { index: number; pid?: number; state: string; restarts: number; lastExit?: { code: number | null } }[]; events: { reason: string; message: string }[] }[]>(
      "/api/v1/processpools",
    );
    const found = pools.find((pool) => pool.name === name);
    if (found === undefined) throw new Error(`no ProcessPool ${name}`);
    return found;
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.#exit;
  }
}

export { isProcessRunning } from "../../src/targets/shared/process-table.ts";
