import { createHash } from "node:crypto";

/** A periodic evaluation, e.g. one ScaledObject's scale loop. */
export interface ScheduledTask {
  key: string;
  intervalMs: number;
  run(): Promise<void>;
}

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SchedulerOptions {
  clock?: Clock;
  /** Most tasks running at once; the rest wait their turn (and their lag shows it). */
  maxConcurrent?: number;
  /** First evaluations of newly added tasks are spread over at most this long. */
  firstRunSpreadMs?: number;
  /** Called after each run with how late it started against its plan. */
  onRun?: (key: string, lagMs: number, durationMs: number) => void;
  onError?: (key: string, error: unknown) => void;
}

interface Entry {
  task: ScheduledTask;
  /** Offset of this task's runs within its interval, from its key: spreads tasks evenly. */
  phase: number;
  plannedAt: number;
  running: boolean;
  /** A wake arrived while running: run again right after. */
  rerun: boolean;
  removed: boolean;
}

/** A stable offset in [0, range) from a key, so restarts keep the same spread. */
export function phaseOf(key: string, range: number): number {
  if (range <= 0) return 0;
  return createHash("sha1").update(key).digest().readUInt32BE(0) % range;
}

/** The first instant ≥ `after` that is `phase` plus a whole number of intervals. */
export function nextOnGrid(after: number, phase: number, intervalMs: number): number {
  const cycles = Math.ceil((after - phase) / intervalMs);
  return phase + cycles * intervalMs;
}

/**
 * Runs many periodic tasks from one timer. Each task's runs sit on its own grid (interval plus a
 * phase from its key), so 10,000 tasks at 30 s are spread across the 30 s rather than bunched.
 * A new task runs soon after it is added (within 1.5 × `firstRunSpreadMs`), then joins its grid;
 * between two starts of a task lie at most one interval and at least half the first-run spread.
 * Runs of one task never overlap; `wake` runs a task now (coalesced with a run in progress).
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #maxConcurrent: number;
  readonly #firstRunSpreadMs: number;
  readonly #onRun: SchedulerOptions["onRun"];
  readonly #onError: SchedulerOptions["onError"];
  readonly #entries = new Map<string, Entry>();
  /** Entries waiting for their planned time, kept as a binary min-heap on plannedAt. */
  readonly #heap: Entry[] = [];
  readonly #ready: Entry[] = [];
  #running = 0;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(options: SchedulerOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxConcurrent = options.maxConcurrent ?? 128;
    this.#firstRunSpreadMs = options.firstRunSpreadMs ?? 2000;
    this.#onRun = options.onRun;
    this.#onError = options.onError;
  }

  add(task: ScheduledTask): void {
    this.remove(task.key);
    const now = this.#clock.now();
    const phase = phaseOf(task.key, task.intervalMs);
    const spread = Math.min(task.intervalMs, this.#firstRunSpreadMs);
    const firstAt = now + (phase % Math.max(spread, 1));
    // The second run comes at the next grid instant; when that is very close, the first run moves
    // onto it, so two runs never start within moments of each other (fallback counts every poll).
    const untilGrid = nextOnGrid(firstAt, phase, task.intervalMs) - firstAt;
    const minimumGap = Math.min(task.intervalMs, this.#firstRunSpreadMs) / 2;
    const entry: Entry = {
      task,
      phase,
      plannedAt: untilGrid < minimumGap ? firstAt + untilGrid : firstAt,
      running: false,
      rerun: false,
      removed: false,
    };
    this.#entries.set(task.key, entry);
    this.#push(entry);
    this.#arm();
  }

  remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    entry.removed = true;
    this.#entries.delete(key);
    const index = this.#heap.indexOf(entry);
    if (index >= 0) this.#removeAt(index);
  }

  /** Runs the task as soon as a slot is free, without moving its grid. */
  wake(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (entry.running) {
      entry.rerun = true;
      return;
    }
    const index = this.#heap.indexOf(entry);
    if (index >= 0) this.#removeAt(index);
    entry.plannedAt = this.#clock.now();
    this.#push(entry);
    this.#arm();
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#stopped) return;
    const first = this.#heap[0];
    if (first === undefined || first.plannedAt >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = first.plannedAt;
    this.#timer = this.#clock.setTimeout(
      () => this.#tick(),
      Math.max(0, first.plannedAt - this.#clock.now()),
    );
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    while (this.#heap.length > 0 && (this.#heap[0] as Entry).plannedAt <= now) {
      this.#ready.push(this.#pop());
    }
    this.#drain();
    this.#arm();
  }

  #drain(): void {
    while (this.#running < this.#maxConcurrent && this.#ready.length > 0) {
      const entry = this.#ready.shift() as Entry;
      if (!entry.removed) void this.#run(entry);
    }
  }

  async #run(entry: Entry): Promise<void> {
    this.#running += 1;
    entry.running = true;
    const startedAt = this.#clock.now();
    try {
      await entry.task.run();
    } catch (error) {
      this.#onError?.(entry.task.key, error);
    } finally {
      const finishedAt = this.#clock.now();
      this.#onRun?.(entry.task.key, startedAt - entry.plannedAt, finishedAt - startedAt);
      entry.running = false;
      this.#running -= 1;
      if (!entry.removed && !this.#stopped) {
        const { intervalMs } = entry.task;
        if (entry.rerun) {
          entry.rerun = false;
          entry.plannedAt = finishedAt;
        } else {
          // Back onto the grid at its first instant after this run started, so no two starts are
          // more than one interval apart.
          entry.plannedAt = nextOnGrid(startedAt + 1, entry.phase, intervalMs);
        }
        this.#push(entry);
        this.#arm();
      }
      this.#drain();
    }
  }

  #push(entry: Entry): void {
    this.#heap.push(entry);
    this.#siftUp(this.#heap.length - 1);
  }

  #pop(): Entry {
    return this.#removeAt(0);
  }

  #removeAt(index: number): Entry {
    const heap = this.#heap;
    const removed = heap[index] as Entry;
    const last = heap.pop() as Entry;
    if (index < heap.length) {
      heap[index] = last;
      this.#siftDown(index);
      this.#siftUp(index);
    }
    return removed;
  }

  #siftUp(start: number): void {
    const heap = this.#heap;
    let index = start;
    const entry = heap[index] as Entry;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((heap[parent] as Entry).plannedAt <= entry.plannedAt) break;
      heap[index] = heap[parent] as Entry;
      index = parent;
    }
    heap[index] = entry;
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    let index = start;
    const entry = heap[index] as Entry;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && (heap[right] as Entry).plannedAt < (heap[left] as Entry).plannedAt
          ? right
          : left;
      if ((heap[child] as Entry).plannedAt >= entry.plannedAt) break;
      heap[index] = heap[child] as Entry;
      index = child;
    }
    heap[index] = entry;
  }
}
