/** CPU time and resident memory of a process, from /proc (Linux). */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcessReading {
  /** performance.now() of the reading. */
  at: number;
  /** User plus system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
}

/** One reading of /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmRSS). */
export function readProcess(pid: number): ProcessReading {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { at: performance.now(), cpuSeconds: ticks / clockTicks(), rssBytes: rssKiB * 1024 };
}

/** Reads a process every `intervalMs` until stopped. */
export class ProcessSampler {
  readonly readings: ProcessReading[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs: number) {
    const sample = () => {
      try {
        this.readings.push(readProcess(pid));
      } catch {
        // the process is gone
      }
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }

  stop(): ProcessReading[] {
    clearInterval(this.#timer);
    return this.readings;
  }
}

/** CPU use between two readings, in percent of one core. */
export function cpuPercent(from: ProcessReading, to: ProcessReading): number {
  return ((to.cpuSeconds - from.cpuSeconds) / ((to.at - from.at) / 1000)) * 100;
}
