import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually } from "./isolation.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** How to start `tidal`: a Node and the command's entry script (by default the checkout's). */
export interface TidalCommand {
  node: string;
  bin: string;
}

const CHECKOUT: TidalCommand = { node: process.execPath, bin: "bin/tidal.js" };

/** A `tidal` command as a child process with JSON logs on stdout, the way a user starts it. */
export class TidalProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  /** Everything the process wrote, for secret checks. */
  output = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}, command: TidalCommand = CHECKOUT) {
    this.child = spawn(command.node, [command.bin, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    let buffered = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
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
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
  }

  /** Waits for a log line with this message; fails early, with the output, if the process exits. */
  async waitForLog(message: string, timeoutMs = 30_000): Promise<LogLine> {
    return Promise.race([
      eventually(`log "${message}"`, () => this.logs.find((line) => line.msg === message), {
        timeoutMs,
        intervalMs: 50,
      }),
      this.exited.then((code) => {
        throw new Error(`tidal exited with ${code} before logging "${message}":\n${this.output}`);
      }),
    ]);
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
