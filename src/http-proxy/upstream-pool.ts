import { connect, type Socket } from "node:net";
import type { Endpoint } from "./endpoint-load.ts";

/** Whoever uses a connection to a worker for one exchange gets its events. */
export interface UpstreamUser {
  upstreamConnected(): void;
  upstreamData(chunk: Buffer): void;
  upstreamDrained(): void;
  upstreamClosed(error: Error | undefined): void;
}

/**
 * A connection to a worker with its listeners attached once for its whole life: events go to the
 * exchange using it, and while it is idle any event (the worker closing it, stray bytes) drops it.
 * Attaching and removing stream listeners per request costs more than the request itself.
 */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly key: string;
  /** Whether it carried an exchange before (a kept-alive connection the worker may have closed). */
  reused = false;
  user: UpstreamUser | undefined;
  idleSince = 0;
  readonly #pool: UpstreamPool;

  constructor(socket: Socket, key: string, pool: UpstreamPool) {
    this.socket = socket;
    this.key = key;
    this.#pool = pool;
    socket.on("connect", () => this.user?.upstreamConnected());
    socket.on("data", (chunk: Buffer) => {
      if (this.user) this.user.upstreamData(chunk);
      else this.socket.destroy();
    });
    socket.on("drain", () => this.user?.upstreamDrained());
    socket.on("error", () => {});
    socket.on("close", () => {
      const user = this.user;
      this.user = undefined;
      if (user) user.upstreamClosed(socket.errored ?? undefined);
      else this.#pool.forget(this);
    });
  }
}

export interface UpstreamPoolOptions {
  /** Most connections (busy and idle) per worker; further requests wait for one. Default 256. */
  maxSockets?: number;
  /** Most idle connections kept per worker. Default 64. */
  maxIdle?: number;
  /** An idle connection unused this long is closed. Default 30 s. */
  idleTimeoutMs?: number;
}

interface Slot {
  idle: UpstreamConnection[];
  /** Connections lent out or being opened. */
  busy: number;
  waiting: { user: UpstreamUser; use: (connection: UpstreamConnection) => void }[];
}

/**
 * Keep-alive TCP connections to workers for the proxy's fast path, per worker address: the most
 * recently used idle connection first, so a quiet pool lets its spare connections time out.
 */
export class UpstreamPool {
  readonly #slots = new Map<string, Slot>();
  readonly #maxSockets: number;
  readonly #maxIdle: number;
  readonly #idleTimeoutMs: number;
  readonly #sweeper: NodeJS.Timeout;
  #destroyed = false;

  constructor(options: UpstreamPoolOptions = {}) {
    this.#maxSockets = options.maxSockets ?? 256;
    this.#maxIdle = options.maxIdle ?? 64;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(100, this.#idleTimeoutMs / 4));
    this.#sweeper.unref();
  }

  /**
   * A connection to `endpoint` for `user`, now or when one frees up; a new connection may still be
   * connecting (`socket.connecting`). `cancelled` is checked before a freed connection is handed
   * over, so a request that went away does not take it.
   */
  acquire(
    endpoint: Endpoint,
    user: UpstreamUser,
    use: (connection: UpstreamConnection) => void,
    cancelled?: () => boolean,
  ): void {
    const key = `${endpoint.host}:${endpoint.port}`;
    let slot = this.#slots.get(key);
    if (slot === undefined) this.#slots.set(key, (slot = { idle: [], busy: 0, waiting: [] }));
    const idle = slot.idle.pop();
    if (idle !== undefined) {
      slot.busy++;
      idle.user = user;
      use(idle);
      return;
    }
    if (slot.busy < this.#maxSockets) {
      slot.busy++;
      use(this.#open(endpoint, key, user));
      return;
    }
    slot.waiting.push({
      user,
      use: (connection) => {
        if (cancelled?.()) {
          connection.user = undefined;
          this.release(connection, true);
        } else use(connection);
      },
    });
  }

  /** Returns a connection; `reusable` only when it is at a message boundary and kept alive. */
  release(connection: UpstreamConnection, reusable: boolean): void {
    connection.user = undefined;
    const slot = this.#slots.get(connection.key);
    const socket = connection.socket;
    if (slot === undefined) {
      socket.destroy();
      return;
    }
    const usable = reusable && !this.#destroyed && !socket.destroyed && socket.readyState === "open";
    if (usable) connection.reused = true;
    else socket.destroy();
    const waiter = slot.waiting.shift();
    if (waiter !== undefined) {
      if (usable) {
        connection.user = waiter.user;
        waiter.use(connection);
      } else {
        const [host, port] = splitKey(connection.key);
        waiter.use(this.#open({ host, port }, connection.key, waiter.user));
      }
      return;
    }
    slot.busy--;
    if (!usable || slot.idle.length >= this.#maxIdle) {
      if (usable) socket.destroy();
      this.#forgetIfEmpty(connection.key, slot);
      return;
    }
    connection.idleSince = performance.now();
    slot.idle.push(connection);
  }

  /** An idle connection closed (by the worker). */
  forget(connection: UpstreamConnection): void {
    const slot = this.#slots.get(connection.key);
    if (slot === undefined) return;
    const index = slot.idle.indexOf(connection);
    if (index !== -1) slot.idle.splice(index, 1);
    this.#forgetIfEmpty(connection.key, slot);
  }

  /** Idle and busy connections per worker, for status pages. */
  stats(): { endpoint: string; idle: number; busy: number; waiting: number }[] {
    return [...this.#slots.entries()].map(([endpoint, slot]) => ({
      endpoint,
      idle: slot.idle.length,
      busy: slot.busy,
      waiting: slot.waiting.length,
    }));
  }

  destroy(): void {
    this.#destroyed = true;
    clearInterval(this.#sweeper);
    for (const slot of this.#slots.values()) for (const connection of slot.idle) connection.socket.destroy();
    this.#slots.clear();
  }

  #open(endpoint: Endpoint, key: string, user: UpstreamUser): UpstreamConnection {
    const connection = new UpstreamConnection(
      connect({ host: endpoint.host, port: endpoint.port, noDelay: true }),
      key,
      this,
    );
    connection.user = user;
    return connection;
  }

  /** Closes connections idle longer than the idle timeout (the oldest sit first in each list). */
  #sweep(): void {
    const oldest = performance.now() - this.#idleTimeoutMs;
    for (const slot of this.#slots.values()) {
      while (slot.idle.length > 0 && (slot.idle[0] as UpstreamConnection).idleSince < oldest) {
        (slot.idle.shift() as UpstreamConnection).socket.destroy();
      }
    }
  }

  #forgetIfEmpty(key: string, slot: Slot): void {
    if (slot.busy === 0 && slot.idle.length === 0 && slot.waiting.length === 0) this.#slots.delete(key);
  }
}

function splitKey(key: string): [string, number] {
  const colon = key.lastIndexOf(":");
  return [key.slice(0, colon), Number(key.slice(colon + 1))];
}
