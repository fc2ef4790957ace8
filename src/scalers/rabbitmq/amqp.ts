import type { ChannelModel, SocketOptions } from "amqplib";
import type { ConnectionOptions } from "node:tls";

export interface AmqpTarget {
  /** amqp[s]:// URL with the credentials and vhost to use. */
  url: string;
  socketOptions: SocketOptions;
  /** Authenticate with the client certificate (SASL EXTERNAL) instead of a user name. */
  saslExternal: boolean;
}

/**
 * The AMQP URL to dial: the host URL with `vhostName` and `username`/`password` applied, as
 * KEDA does. Query parameters (heartbeat, frameMax, …) are kept.
 */
export function amqpUrl(
  host: string,
  overrides: { vhostName?: string | undefined; username?: string | undefined; password?: string | undefined },
): string {
  const url = new URL(host);
  if (overrides.vhostName) url.pathname = `/${encodeURIComponent(overrides.vhostName)}`;
  if (overrides.username && overrides.password) {
    url.username = encodeURIComponent(overrides.username);
    url.password = encodeURIComponent(overrides.password);
  }
  return url.href;
}

/** The URL without credentials, for messages. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.href;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Where and how to connect: TLS options apply to amqps URLs; with a client certificate and no user
 * name RabbitMQ authenticates with SASL EXTERNAL. KEDA names the connection `keda-<ns>-<name>`;
 * Tidal shares one connection between the triggers of many objects, so it is named `tidal`.
 */
export function amqpTarget(
  host: string,
  overrides: { vhostName?: string | undefined; username?: string | undefined; password?: string | undefined },
  tls: ConnectionOptions | undefined,
  timeoutMs: number,
): AmqpTarget {
  const url = amqpUrl(host, overrides);
  const external = tls?.cert !== undefined && url.startsWith("amqps:") && new URL(url).username === "";
  return {
    url,
    socketOptions: {
      ...tls,
      timeout: timeoutMs,
      clientProperties: { connection_name: "tidal" },
    },
    saslExternal: external,
  };
}

/**
 * One AMQP connection, shared by the triggers that use the same server and credentials. It
 * connects on first use and again on the next use after the server closed it. Each reading opens
 * its own channel, because a passive declare of a missing queue makes the server close the channel.
 */
export class AmqpQueueInspector {
  readonly #target: AmqpTarget;
  #connection: Promise<ChannelModel> | undefined;
  #closed = false;

  constructor(target: AmqpTarget) {
    this.#target = target;
  }

  /** Ready messages in the queue (AMQP's passive declare does not count unacknowledged ones). */
  async messageCount(queueName: string): Promise<number> {
    const connection = await this.#connected();
    const channel = await connection.createChannel();
    // The failed declare rejects below with the server's reason; the channel also emits it.
    channel.on("error", () => undefined);
    try {
      const reply = await channel.checkQueue(queueName);
      return reply.messageCount;
    } catch (error) {
      throw new Error(`cannot read queue "${queueName}": ${(error as Error).message}`, { cause: error });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = await this.#connection?.catch(() => undefined);
    this.#connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  #connected(): Promise<ChannelModel> {
    if (this.#connection !== undefined) return this.#connection;
    const { url, socketOptions, saslExternal } = this.#target;
    // amqplib loads only when a RabbitMQ trigger connects.
    const attempt = import("amqplib")
      .then(({ connect, credentials }) =>
        connect(
          url,
          saslExternal ? { ...socketOptions, credentials: credentials.external() } : socketOptions,
        ),
      )
      .then(
        (connection) => {
          // A dropped connection is forgotten, so the next reading reconnects.
          connection.on("error", () => undefined);
          connection.on("close", () => this.#forget(attempt));
          if (this.#closed) void connection.close().catch(() => undefined);
          return connection;
        },
        (error: unknown) => {
          this.#forget(attempt);
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`cannot connect to RabbitMQ at ${displayUrl(this.#target.url)}: ${reason}`, {
            cause: error,
          });
        },
      );
    this.#connection = attempt;
    return attempt;
  }

  #forget(attempt: Promise<ChannelModel>): void {
    if (this.#connection === attempt) this.#connection = undefined;
  }
}
