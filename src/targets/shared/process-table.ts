import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Linux's /proc, which tells a zombie (exited, not yet reaped) from a running process; macOS has none. */
const hasProcTable = existsSync("/proc/self/stat");

interface ProcessStat {
  /** R running, S sleeping, Z zombie, … */
  state: string;
  processGroup: number;
}

function readProcessStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so read after the last ")".
  const [state, , processGroup] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (state === undefined || processGroup === undefined) return undefined;
  return { state, processGroup: Number(processGroup) };
}

function isLive(stat: ProcessStat | undefined): stat is ProcessStat {
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** Whether signal 0 reaches `target` (a pid, or minus a process group id). */
function exists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether a process runs: it exists and is not a zombie. */
export function isProcessRunning(pid: number): boolean {
  return exists(pid) && (!hasProcTable || isLive(readProcessStat(pid)));
}

/**
 * Whether any process of the group still runs. Zombies do not count: children that outlive a
 * worker are re-parented to PID 1, and in a container PID 1 often never reaps them.
 */
export function isGroupRunning(processGroup: number): boolean {
  if (!exists(-processGroup)) return false;
  if (!hasProcTable) return true;
  return readdirSync("/proc").some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const stat = readProcessStat(Number(entry));
    return isLive(stat) && stat.processGroup === processGroup;
  });
}
