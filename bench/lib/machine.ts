import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";

/** What the numbers depend on: cores, CPU model, memory, Node, the commit, the load at the start. */
export function machineInfo(root: string): Record<string, unknown> {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    date: new Date().toISOString(),
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
    node: process.version,
    kernel: release(),
    commit: `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain").length > 0 ? "+dirty" : ""}`,
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  };
}
