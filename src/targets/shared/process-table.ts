import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Linux's /proc, which tells a zombie (exited, not yet reaped) from a running process; macOS has none. */
const hasProcTable = existsSync("/proc/self/stat");

interface ProcessStat {
  /** R running, S sleeping, Z zombie, … */
  state: string;
  processGroup: number;
  /** When the process started, in clock ticks after boot: with the pid, it names one process. */
  startTicks: number;
}

function readProcessStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp … starttime(22nd) …": comm may hold spaces and parentheses, so
  // read after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, , processGroup] = fields;
  const startTicks = fields[19];
  if (state === undefined || processGroup === undefined || startTicks === undefined) return undefined;
  return { state, processGroup: Number(processGroup), startTicks: Number(startTicks) };
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

function liveProcesses(): { pid: number; stat: ProcessStat }[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    const stat = readProcessStat(Number(entry));
    return isLive(stat) ? [{ pid: Number(entry), stat }] : [];
  });
}

/**
 * Whether any process of the group still runs. Zombies do not count: children that outlive a
 * worker are re-parented to PID 1, and in a container PID 1 often never reaps them.
 */
export function isGroupRunning(processGroup: number): boolean {
  if (!exists(-processGroup)) return false;
  if (!hasProcTable) return true;
  return liveProcesses().some(({ stat }) => stat.processGroup === processGroup);
}

/**
 * One process, named so that a later Tidal can recognise it: a pid alone may have been given to
 * another process since (pids are recycled), but a pid, its start time and the boot it started in
 * name exactly one process.
 */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks after boot (/proc/PID/stat, field 22). */
  startTicks: number;
  /** /proc/sys/kernel/random/boot_id: start times count from this boot. */
  bootId: string;
}

let cachedBootId: string | undefined;

function bootId(): string | undefined {
  if (cachedBootId !== undefined) return cachedBootId;
  try {
    cachedBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
  return cachedBootId;
}

/** The identity of a running process; undefined without /proc (then no process can be recognised). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  const stat = readProcessStat(pid);
  const boot = bootId();
  if (!isLive(stat) || boot === undefined) return undefined;
  return { pid, startTicks: stat.startTicks, bootId: boot };
}

/** Whether `identity` still names a running process: the same pid, started at the same tick of the same boot. */
export function isSameProcess(identity: ProcessIdentity): boolean {
  const stat = readProcessStat(identity.pid);
  return isLive(stat) && bootId() === identity.bootId && stat.startTicks === identity.startTicks;
}

/**
 * Whether `identity` still names a running process that leads its own process group: the same
 * pid, started at the same tick of the same boot. False for a recycled pid, which must never be
 * signalled.
 */
export function isSameGroupLeader(identity: ProcessIdentity): boolean {
  const stat = readProcessStat(identity.pid);
  return (
    isLive(stat) &&
    bootId() === identity.bootId &&
    stat.startTicks === identity.startTicks &&
    stat.processGroup === identity.pid
  );
}

/** Clock ticks since boot now, on the scale of ProcessIdentity.startTicks; undefined without /proc. */
export function uptimeTicks(): number | undefined {
  try {
    return Math.floor(Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * TICKS_PER_SECOND);
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ: /proc counts start times in these ticks per second. */
export const TICKS_PER_SECOND = 100;

/**
 * The running processes left in the group `identity` led, once the leader is gone: those of
 * process group `identity.pid` that started after the leader and no later than `seenAtTicks`, a
 * moment the leader was known to run (in the same boot). A group id cannot be given to a new group
 * while any process of the old one runs, so these are what the leader left behind; nothing is
 * returned while the pid names another process (it was recycled: the group id is someone else's).
 */
export function remainsOfGroup(identity: ProcessIdentity, seenAtTicks: number): number[] {
  if (!hasProcTable || bootId() !== identity.bootId) return [];
  const leader = readProcessStat(identity.pid);
  if (isLive(leader) && leader.startTicks !== identity.startTicks) return [];
  return liveProcesses()
    .filter(
      ({ stat }) =>
        stat.processGroup === identity.pid &&
        stat.startTicks >= identity.startTicks &&
        stat.startTicks <= seenAtTicks,
    )
    .map(({ pid }) => pid);
}
