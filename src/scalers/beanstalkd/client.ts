import { connect, type Socket } from "node:net";
import { messageOf } from "../../util/errors.ts";

/**
 * A small client of beanstalkd's text protocol (doc/protocol.txt in beanstalkd's source), enough
 * for `stats-tube`. A command is one line ending in CRLF; the answer is `OK <bytes>` followed by
 * that many bytes of YAML and CRLF, or one line such as `NOT_FOUND` or `BAD_FORMAT`. Answers come
 * in the order of the commands, so one connection serves several triggers. There is no
 * maintained Node client of beanstalkd worth depending on for this one command.
 */

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

export type Reply = { status: string; body?: string };

export class BeanstalkdClient {
  readonly #host: string;
  readonly #port: number;
  readonly #connectTimeoutMs: number;
  #socket: Socket | undefined;
  #connected: Promise<Socket> | undefined;
  #buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];

  constructor(host: string, port: number, connectTimeoutMs: number) {
    this.#host = host;
    this.#port = port;
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  get address(): string {
    return `${this.#host}:${this.#port}`;
  }

  /** The tube's statistics, or undefined when beanstalkd has no such tube (NOT_FOUND). */
  async statsTube(tube: string, signal: AbortSignal): Promise<Record<string, string> | undefined> {
    const reply = await this.#command(`stats-tube ${tube}`, signal);
    if (reply.status === "NOT_FOUND") return undefined;
    if (reply.status !== "OK" || reply.body === undefined) {
      throw new Error(`beanstalkd at ${this.address} answered stats-tube with ${reply.status}`);
    }
    return parseYamlMap(reply.body);
  }

  close(): void {
    this.#fail(new Error("the connection was closed"));
  }

  async #command(line: string, signal: AbortSignal): Promise<Reply> {
    const socket = await this.#connect();
    signal.throwIfAborted();
    return new Promise<Reply>((resolve, reject) => {
      // An answer that arrives after the deadline would answer the next command: start afresh.
      const onAbort = () => this.#fail(new Error("no answer before the deadline"));
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.push({
        resolve: (reply) => {
          signal.removeEventListener("abort", onAbort);
          resolve(reply);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      socket.write(`${line}\r\n`);
    });
  }

  #connect(): Promise<Socket> {
    this.#connected ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.#host, port: this.#port });
      this.#socket = socket;
      // Events of a socket that was replaced (after an abort or error) concern nobody any more.
      const current = () => this.#socket === socket;
      // Timers run before I/O in each turn of the event loop: after a busy moment the timer may
      // fire while the connection is already made and its event waiting. setImmediate runs after
      // that I/O, so only a connection that really is not there fails (KEDA's dial timeout).
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (!socket.connecting) return;
            socket.destroy();
            reject(
              new Error(
                `connection to beanstalkd at ${this.address} failed: no connection within ${this.#connectTimeoutMs} ms (timeout)`,
              ),
            );
          }),
        this.#connectTimeoutMs,
      );
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.on("data", (chunk) => {
        if (current()) this.#receive(chunk);
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        const wrapped = new Error(`connection to beanstalkd at ${this.address} failed: ${messageOf(error)}`);
        reject(wrapped);
        if (current()) this.#fail(wrapped);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        reject(new Error(`beanstalkd at ${this.address} closed the connection`));
        if (current()) this.#fail(new Error(`beanstalkd at ${this.address} closed the connection`));
      });
    });
    const connected = this.#connected;
    connected.catch(() => {
      if (this.#connected === connected) this.#connected = undefined;
    });
    return connected;
  }

  /** Ends the connection and fails every command waiting for an answer; the next command reconnects. */
  #fail(error: Error): void {
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#connected = undefined;
    this.#buffer = Buffer.alloc(0);
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const reply = takeReply(this.#buffer);
      if (reply === undefined) return;
      this.#buffer = this.#buffer.subarray(reply.length);
      this.#pending.shift()?.resolve(reply.reply);
    }
  }
}

/** The first complete reply in `buffer` and its length in bytes, or undefined when incomplete. */
export function takeReply(buffer: Buffer): { reply: Reply; length: number } | undefined {
  const end = buffer.indexOf("\r\n");
  if (end < 0) return undefined;
  const line = buffer.subarray(0, end).toString("latin1");
  const ok = /^OK (\d+)$/.exec(line);
  if (!ok) return { reply: { status: line }, length: end + 2 };
  const size = Number(ok[1]);
  const total = end + 2 + size + 2;
  if (buffer.length < total) return undefined;
  return {
    reply: { status: "OK", body: buffer.subarray(end + 2, end + 2 + size).toString("utf8") },
    length: total,
  };
}

/** beanstalkd's statistics: a YAML document of `key: value` lines. */
export function parseYamlMap(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([\w-]+):\s*(.*?)\s*$/.exec(line);
    if (match) result[match[1] as string] = (match[2] as string).replace(/^"(.*)"$/, "$1");
  }
  return result;
}
