import { createHash } from "node:crypto";

/**
 * Reference-counted shared clients. Triggers that talk to the same server with the same
 * credentials share one client; the last release closes it.
 */
interface Entry {
  client: Promise<unknown>;
  references: number;
  destroy: (client: unknown) => Promise<void>;
}

export interface Lease<T> {
  client: Promise<T>;
  release(): Promise<void>;
}

export class ConnectionPool {
  readonly #entries = new Map<string, Entry>();

  /** Returns the client for `key`, creating it with `create` on first use. */
  acquire<T>(key: string, create: () => Promise<T>, destroy: (client: T) => Promise<void>): Lease<T> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const client = create();
      entry = { client, references: 0, destroy: destroy as (client: unknown) => Promise<void> };
      this.#entries.set(key, entry);
      // A client that fails to connect is forgotten, so the next acquire tries again.
      client.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
    }
    entry.references += 1;
    const held = entry;
    let released = false;
    return {
      client: held.client as Promise<T>,
      release: async () => {
        if (released) return;
        released = true;
        held.references -= 1;
        if (held.references > 0) return;
        if (this.#entries.get(key) === held) this.#entries.delete(key);
        const client = await held.client.catch(() => undefined);
        if (client !== undefined) await held.destroy(client).catch(() => undefined);
      },
    };
  }

  /** Number of live shared clients (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }
}

/** A pool key from parts that may include credentials: the credentials are hashed, never kept. */
export function poolKey(type: string, ...parts: (string | number | boolean | undefined)[]): string {
  const digest = createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
  return `${type}:${digest}`;
}
