import { z } from "zod";
import type { Logger } from "../../observability/logger.ts";
import { AdoptedGroup } from "../../targets/shared/adopted-group.ts";
import { formatSeconds } from "../../targets/shared/process-exit.ts";
import { isSameGroupLeader, remainsOfGroup, uptimeTicks } from "../../targets/shared/process-table.ts";
import type { RecordedProcess, RecordProcess } from "../../targets/shared/recorded-process.ts";
import { messageOf } from "../../util/errors.ts";
import type { StateStore } from "../state-store.ts";

/** A recorded process with what its owner was running when it started. */
export interface StoredProcess extends RecordedProcess {
  /** The ProcessPool's fingerprint: a worker is taken over only by the same pool definition. */
  fingerprint?: string;
}

/** What an earlier run left: its processes that may still run, and when they were last known to. */
export interface EarlierProcess extends StoredProcess {
  owner: string;
  /** Ticks after boot when the earlier run last wrote its record: the process ran then. */
  seenAtTicks: number;
}

const KEY_PREFIX = "processes.";

const storedFile = z.object({
  owner: z.string(),
  seenAtTicks: z.number().finite(),
  processes: z.array(
    z.object({
      pid: z.number().int().positive(),
      startTicks: z.number().int().min(0),
      bootId: z.string(),
      index: z.number().int().min(0),
      port: z.number().int().min(1).max(65535).optional(),
      graceMs: z.number().min(0),
      fingerprint: z.string().optional(),
    }),
  ),
});

function readStoredFile(value: unknown) {
  const parsed = storedFile.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join(".") || "the document"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/**
 * The worker and job processes of `tidal run`, recorded in --state-dir (one file per ProcessPool
 * or ScaledJob, written whenever its processes change) with what names each beyond its pid: its
 * start time and boot. After `kill -9` of `tidal run` the files stay, and the next run reads them
 * (`earlier`) to take over or stop what still runs; a clean stop leaves none.
 */
export class ProcessRecords {
  readonly #store: StateStore;
  readonly #logger: Logger;
  readonly #owners = new Map<string, Set<StoredProcess>>();
  /** Owners whose file is being written, and those changed since that write began. */
  readonly #writing = new Map<string, Promise<void>>();
  readonly #dirty = new Set<string>();
  readonly #failing = new Set<string>();
  /** Earlier processes recorded under this run until taken over or stopped. */
  readonly #held = new Map<EarlierProcess, () => void>();

  constructor(store: StateStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** What records the processes of `owner` ("processpool.NS/NAME", "scaledjob.NS/NAME"). */
  recorder(owner: string, fingerprint?: string): RecordProcess {
    return (process) => {
      const stored: StoredProcess = fingerprint === undefined ? { ...process } : { ...process, fingerprint };
      let processes = this.#owners.get(owner);
      if (processes === undefined) {
        processes = new Set();
        this.#owners.set(owner, processes);
      }
      processes.add(stored);
      this.#recordNow(owner);
      return () => {
        processes.delete(stored);
        this.#changed(owner);
      };
    };
  }

  /** Resolves once every change so far is written. */
  async flush(): Promise<void> {
    while (this.#writing.size > 0) await Promise.all(this.#writing.values());
  }

  /**
   * Writes the owner's file before returning, so a kill -9 right after a process starts cannot
   * leave it unrecorded (and a later run blind to it). A write already under way is written again
   * once done, since it may hold an older list; a failed write falls back to the logged one.
   */
  #recordNow(owner: string): void {
    if (this.#failing.has(owner)) return this.#changed(owner);
    try {
      this.#store.saveSync(`${KEY_PREFIX}${owner}`, {
        owner,
        seenAtTicks: uptimeTicks() ?? 0,
        processes: [...(this.#owners.get(owner) ?? [])],
      });
    } catch {
      return this.#changed(owner);
    }
    if (this.#writing.has(owner)) this.#dirty.add(owner);
  }

  #changed(owner: string): void {
    if (this.#writing.has(owner)) {
      this.#dirty.add(owner);
      return;
    }
    const writing = this.#write(owner).finally(() => {
      this.#writing.delete(owner);
      if (this.#dirty.delete(owner)) this.#changed(owner);
    });
    this.#writing.set(owner, writing);
  }

  async #write(owner: string): Promise<void> {
    const key = `${KEY_PREFIX}${owner}`;
    const processes = [...(this.#owners.get(owner) ?? [])];
    try {
      if (processes.length === 0) {
        this.#owners.delete(owner);
        await this.#store.remove(key);
      } else {
        await this.#store.save(key, { owner, seenAtTicks: uptimeTicks() ?? 0, processes });
      }
    } catch (error) {
      if (!this.#failing.has(owner)) {
        this.#logger.warn("cannot record worker processes; a restart after a crash may not find them", {
          owner,
          file: this.#store.pathOf(key),
          error: messageOf(error),
        });
      }
      this.#failing.add(owner);
      return;
    }
    if (this.#failing.delete(owner))
      this.#logger.info("worker processes recorded again", { owner, file: this.#store.pathOf(key) });
  }

  /**
   * What an earlier run of `tidal run` on this state folder recorded and still runs: each
   * process whose pid still names the same process (same start time, same boot), or whose group
   * still holds processes it left behind. A recycled pid is left out, never signalled. They stay
   * recorded (under this run) until they are taken over (`release`) or stopped (`stopEarlier`),
   * so a crash meanwhile loses none; the files of earlier processes that are all gone are removed.
   */
  async earlier(): Promise<EarlierProcess[]> {
    const files = await this.#store.loadAll(KEY_PREFIX, readStoredFile);
    const found: EarlierProcess[] = [];
    for (const file of files) {
      for (const process of file.processes) {
        const earlier: EarlierProcess = { ...process, owner: file.owner, seenAtTicks: file.seenAtTicks };
        if (!isSameGroupLeader(earlier) && remainsOfGroup(earlier, earlier.seenAtTicks).length === 0)
          continue;
        found.push(earlier);
        const { owner, seenAtTicks: _seen, fingerprint, ...recorded } = earlier;
        this.#held.set(earlier, this.recorder(owner, fingerprint)(recorded));
      }
      if (!this.#owners.has(file.owner)) await this.#store.remove(`${KEY_PREFIX}${file.owner}`);
    }
    return found;
  }

  /** Forgets earlier processes that were taken over (their new owner records them itself). */
  release(processes: Iterable<EarlierProcess>): void {
    for (const process of processes) {
      this.#held.get(process)?.();
      this.#held.delete(process);
    }
  }

  /**
   * Stops processes an earlier run left and this one does not take over: SIGTERM to each group,
   * SIGKILL after its grace period (only while the pid still names the same process); resolves
   * when all are gone and forgotten.
   */
  async stopEarlier(processes: readonly EarlierProcess[]): Promise<void> {
    if (processes.length === 0) return;
    const longest = Math.max(...processes.map((process) => process.graceMs));
    this.#logger.warn("stopping processes an earlier tidal run left running", {
      processes: processes.map((process) => `${process.owner} pid ${process.pid}`),
      gracePeriod: formatSeconds(longest),
    });
    await Promise.all(
      processes.map(async (process) => {
        const group = new AdoptedGroup(process, { onExit: () => {} }, { seenAtTicks: process.seenAtTicks });
        await group.stop(process.graceMs);
        this.release([process]);
      }),
    );
    await this.flush();
  }
}
