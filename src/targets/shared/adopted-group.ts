import { setTimeout as delay } from "node:timers/promises";
import { killOnExit } from "./last-resort-kill.ts";
import type { ProcessExit } from "./process-exit.ts";
import type { RunningGroup } from "./process-group.ts";
import {
  isSameGroupLeader,
  remainsOfGroup,
  TICKS_PER_SECOND,
  uptimeTicks,
  type ProcessIdentity,
} from "./process-table.ts";

/** How often an adopted leader is looked at: it is not Tidal's child, so no exit event comes. */
const DEFAULT_POLL_MS = 1_000;
/** How often to look again while waiting for a signalled group to go. */
const GONE_POLL_MS = 25;

function signalGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * A process group an earlier Tidal started and this one takes over (after `kill -9` of
 * `tidal run`, its workers run on). It is not this process's child: its exit is noticed by
 * looking at /proc, its exit status cannot be known, and its output went to the earlier Tidal.
 *
 * Signals go to the group only while `identity` still names the same leader, or, once the leader
 * is gone, to what it left behind (see remainsOfGroup): a recycled pid is never signalled. Like
 * a container, the group ends with its leader: what the leader left is SIGKILLed.
 */
export class AdoptedGroup implements RunningGroup {
  readonly pid: number;
  readonly identity: ProcessIdentity;
  readonly gone: Promise<void>;
  #exited = false;
  #pollMs = DEFAULT_POLL_MS;
  /** The last moment (ticks after boot) the leader was seen running. */
  #seenAtTicks = 0;
  #stopping: Promise<{ killed: boolean }> | undefined;

  /**
   * `seenAtTicks`: when the leader was last known to run, for a group whose leader may be gone
   * already (one an earlier Tidal recorded); by default now.
   */
  constructor(
    identity: ProcessIdentity,
    handlers: { onExit(exit: ProcessExit): void },
    options: { pollMs?: number; seenAtTicks?: number } = {},
  ) {
    this.pid = identity.pid;
    this.identity = identity;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#seenAtTicks = options.seenAtTicks ?? uptimeTicks() ?? identity.startTicks;
    const unregister = killOnExit(
      identity.pid,
      () => isSameGroupLeader(identity) || remainsOfGroup(identity, this.#seenAtTicks).length > 0,
    );
    const leaderGone = (async () => {
      await Promise.resolve(); // never report the exit before the constructor returned
      while (this.#leaderRuns()) await delay(this.#pollMs);
      this.#exited = true;
      const at = new Date();
      const now = uptimeTicks();
      const ranForMs =
        now === undefined ? undefined : ((now - identity.startTicks) * 1000) / TICKS_PER_SECOND;
      handlers.onExit({
        code: null,
        signal: null,
        adopted: true,
        at,
        ...(ranForMs === undefined ? {} : { ranForMs: Math.max(0, ranForMs) }),
      });
    })();
    this.gone = leaderGone.then(async () => {
      while (remainsOfGroup(identity, this.#seenAtTicks).length > 0) {
        signalGroup(identity.pid, "SIGKILL");
        await delay(GONE_POLL_MS);
      }
      unregister();
    });
  }

  #leaderRuns(): boolean {
    if (!isSameGroupLeader(this.identity)) return false;
    this.#seenAtTicks = uptimeTicks() ?? this.#seenAtTicks;
    return true;
  }

  stop(graceMs: number): Promise<{ killed: boolean }> {
    this.#stopping ??= this.#terminate(graceMs);
    return this.#stopping;
  }

  async #terminate(graceMs: number): Promise<{ killed: boolean }> {
    this.#pollMs = GONE_POLL_MS;
    if (this.#exited || !this.#leaderRuns()) {
      await this.gone;
      return { killed: false };
    }
    signalGroup(this.pid, "SIGTERM");
    let killed = false;
    const deadline = setTimeout(() => {
      if (!this.#leaderRuns()) return;
      killed = true;
      signalGroup(this.pid, "SIGKILL");
    }, graceMs);
    await this.gone;
    clearTimeout(deadline);
    return { killed };
  }
}
