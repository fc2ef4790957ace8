export interface WorkQueueOptions {
  /** Keys handled at once (different keys only; one key is never handled twice at once). */
  concurrency?: number;
  /** First retry delay after a failure; doubles per consecutive failure of a key. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

/**
 * A level-triggered work queue: adding a key that waits is a no-op, adding one that is being
 * handled makes it run once more afterwards, failures retry with per-key exponential backoff.
 */
export class WorkQueue {
  readonly #handle: (key: string) => Promise<void>;
  readonly #concurrency: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #onError: WorkQueueOptions["onError"];
  readonly #waiting = new Set<string>();
  readonly #order: string[] = [];
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(handle: (key: string) => Promise<void>, options: WorkQueueOptions = {}) {
    this.#handle = handle;
    this.#concurrency = options.concurrency ?? 4;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#retryMaxMs = options.retryMaxMs ?? 60_000;
    this.#onError = options.onError;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#order.push(key);
    this.#pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timers.get(key));
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  /** Resolves when nothing waits or runs (for tests and shutdown). */
  drained(): Promise<void> {
    if (this.#active.size === 0 && this.#order.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #pump(): void {
    while (!this.#stopped && this.#active.size < this.#concurrency && this.#order.length > 0) {
      const key = this.#order.shift() as string;
      this.#waiting.delete(key);
      this.#active.add(key);
      void this.#run(key);
    }
  }

  async #run(key: string): Promise<void> {
    try {
      await this.#handle(key);
      this.#failures.delete(key);
    } catch (error) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const delay = Math.min(this.#retryBaseMs * 2 ** (failures - 1), this.#retryMaxMs);
      this.#onError?.(key, error, delay);
      this.addAfter(key, delay);
    } finally {
      this.#active.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
      if (this.#active.size === 0 && this.#order.length === 0) {
        for (const resolve of this.#idle.splice(0)) resolve();
      }
    }
  }
}
