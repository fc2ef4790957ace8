import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TidalProcess, type TidalCommand } from "./tidal-process.ts";

export type { LogLine } from "./tidal-process.ts";

/**
 * `tidal run` as a child process, the way a user starts it: JSON logs on stdout, the status API
 * and the HTTP proxy on free ports, state in a temporary folder unless one is given. The HPA's
 * work runs every second (as the test control plane's HPA controller syncs every 2 s), so tests
 * see 1 ↔ N scaling without waiting the default 15 s per step.
 */
export class TidalRun extends TidalProcess {
  readonly stateDir: string;
  statusUrl = "";
  httpProxyUrl: string | undefined;

  private constructor(
    paths: string[],
    stateDir: string,
    env: Record<string, string>,
    command: TidalCommand | undefined,
  ) {
    super(
      [
        "run",
        "--port",
        "0",
        "--http-port",
        "0",
        "--state-dir",
        stateDir,
        "--log-format",
        "json",
        "--hpa-sync-period",
        "1s",
        "-f",
        ...paths,
      ],
      env,
      command,
    );
    this.stateDir = stateDir;
  }

  static async start(
    paths: string[],
    options: { stateDir?: string; env?: Record<string, string>; command?: TidalCommand } = {},
  ): Promise<TidalRun> {
    const run = new TidalRun(
      paths,
      options.stateDir ?? mkdtempSync(join(tmpdir(), "tidal-state-")),
      options.env ?? {},
      options.command,
    );
    const started = await run.waitForLog("tidal run started");
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
    const all = await this.get<
      {
        name: string;
        replicas: number;
        desiredReplicas: number;
        active: boolean;
        lastEvaluationTime: string | null;
        conditions: { type: string; status: string; reason?: string }[];
        triggers: { value: number | null; error: string | null }[];
      }[]
    >(`/api/v1/${collection}`);
    const found = all.find((object) => object.name === name);
    if (found === undefined) throw new Error(`${collection} has no ${name}`);
    return found;
  }

  async pool(name: string) {
    const pools = await this.get<
      {
        name: string;
        workload?: string;
        replicas: number;
        workers: {
          index: number;
          pid?: number;
          state: string;
          restarts: number;
          lastExit?: { code: number | null };
        }[];
        events: { reason: string; message: string }[];
      }[]
    >("/api/v1/processpools");
    const found = pools.find((pool) => pool.name === name);
    if (found === undefined) throw new Error(`no ProcessPool ${name}`);
    return found;
  }
}

export { isProcessRunning } from "../../src/targets/shared/process-table.ts";
