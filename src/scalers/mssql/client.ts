import type { TokenCredential } from "../../auth/identity/azure.ts";
import { messageOf } from "../../util/errors.ts";
import type { Connection as TediousConnection, Request as TediousRequest } from "tedious";
import type { MssqlSettings } from "./connection.ts";

interface Tedious {
  Connection: typeof TediousConnection;
  Request: typeof TediousRequest;
}

const DEFAULT_PORT = 1433;

/**
 * One tedious connection to SQL Server, opened on first use and opened again after it fails or
 * closes. Queries run one at a time (a TDS connection serves one request at a time); an aborted
 * query closes its connection.
 */
export class MssqlClient {
  readonly #settings: MssqlSettings;
  readonly #timeoutMs: number;
  readonly #credential: (() => Promise<TokenCredential>) | undefined;
  #connection: Promise<TediousConnection> | undefined;
  /** The connection #connection resolved to, while it is open. */
  #current: TediousConnection | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Settles when the last request's callback has run. */
  #settled: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(settings: MssqlSettings, timeoutMs: number, credential?: () => Promise<TokenCredential>) {
    this.#settings = settings;
    this.#timeoutMs = timeoutMs;
    this.#credential = credential;
  }

  /** Where the client connects, for messages: host, instance and port. */
  get where(): string {
    const { host, instanceName, port } = this.#settings;
    return `${host}${instanceName ? `\\${instanceName}` : ""}${instanceName && port === undefined ? "" : `:${port ?? DEFAULT_PORT}`}`;
  }

  /** Runs `sql` and gives the rows of its first result set, each as its column values. */
  query(sql: string, signal: AbortSignal): Promise<unknown[][]> {
    const run = this.#queue.then(() => this.#run(sql, signal));
    // The next query waits until this one is over on the connection too (an aborted one once
    // its connection has closed), not only until its caller gave up.
    this.#queue = run.catch(() => undefined).then(() => this.#settled);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#current = undefined;
    if (connection) await connection.then((open) => open.close()).catch(() => undefined);
  }

  /**
   * A query on a connection that turns out to be closed (the server restarted or failed over) is
   * run once more on a new one, as Go's database/sql does with a bad connection.
   */
  async #run(sql: string, signal: AbortSignal): Promise<unknown[][]> {
    signal.throwIfAborted();
    const connection = await this.#open(signal);
    try {
      return await this.#request(connection, sql, signal);
    } catch (error) {
      if (signal.aborted || !connection.closed) throw error;
      this.#forget(connection);
      return this.#request(await this.#open(signal), sql, signal);
    }
  }

  async #request(connection: TediousConnection, sql: string, signal: AbortSignal): Promise<unknown[][]> {
    const { Request } = await tedious();
    let done: () => void = () => undefined;
    this.#settled = new Promise((resolve) => (done = resolve));
    return new Promise<unknown[][]>((resolve, reject) => {
      const rows: unknown[][] = [];
      let results = 0;
      const onAbort = () => {
        // The connection is closed rather than the query cancelled: the next query then runs
        // on a new connection, whatever state the server left the old one in.
        this.#forget(connection);
        connection.close();
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const request = new Request(sql, (error) => {
        done();
        signal.removeEventListener("abort", onAbort);
        if (error) reject(new Error(`query failed: ${messageOf(error)}`, { cause: error }));
        else resolve(rows);
      });
      request.on("columnMetadata", () => {
        results += 1;
      });
      request.on("row", (columns: { value: unknown }[]) => {
        if (results === 1) rows.push(columns.map((column) => column.value));
      });
      // A plain SQL batch, as go-mssqldb sends a query without arguments.
      connection.execSqlBatch(request);
    });
  }

  /** Stops handing out `connection` (closed, or about to be). */
  #forget(connection: TediousConnection): void {
    if (this.#current !== connection) return;
    this.#current = undefined;
    this.#connection = undefined;
  }

  #open(signal: AbortSignal): Promise<TediousConnection> {
    if (this.#closed) return Promise.reject(new Error("the SQL Server client is closed"));
    this.#connection ??= this.#connect().catch((error: unknown) => {
      this.#connection = undefined;
      throw error;
    });
    const opening = this.#connection;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      signal.addEventListener("abort", onAbort, { once: true });
      opening.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  async #connect(): Promise<TediousConnection> {
    const { Connection } = await tedious();
    const settings = this.#settings;
    const authentication = this.#credential
      ? { type: "token-credential" as const, options: { credential: await this.#credential() } }
      : { type: "default" as const, options: { userName: settings.user, password: settings.password } };
    const connectTimeout =
      settings.connectionTimeout > 0 ? settings.connectionTimeout * 1000 : this.#timeoutMs;
    const connection = new Connection({
      server: settings.host,
      authentication,
      options: {
        ...(settings.instanceName !== undefined && settings.port === undefined
          ? { instanceName: settings.instanceName }
          : { port: settings.port ?? DEFAULT_PORT }),
        ...(settings.database ? { database: settings.database } : {}),
        encrypt: settings.encrypt === "strict" ? "strict" : settings.encrypt === "true",
        trustServerCertificate: settings.trustServerCertificate,
        ...(settings.hostNameInCertificate ? { serverName: settings.hostNameInCertificate } : {}),
        connectTimeout,
        requestTimeout: this.#timeoutMs,
        appName: "tidal",
      },
    });
    // The server's error messages during login: tedious reports only the last ("Login failed"),
    // SQL Server sends the cause (a database that cannot be opened) before it.
    const serverMessages: string[] = [];
    const onErrorMessage = (token: { message: string }) => serverMessages.push(token.message);
    connection.on("errorMessage", onErrorMessage);
    await new Promise<void>((resolve, reject) => {
      connection.connect((error) => {
        connection.removeListener("errorMessage", onErrorMessage);
        if (error) {
          connection.close();
          const reason = serverMessages.length > 0 ? serverMessages.join(" ") : connectionErrorMessage(error);
          reject(new Error(`cannot connect to SQL Server at ${this.where}: ${reason}`, { cause: error }));
        } else resolve();
      });
    });
    const forget = () => this.#forget(connection);
    this.#current = connection;
    connection.on("end", forget);
    connection.on("error", forget);
    return connection;
  }
}

/** tedious' message, with the socket errors it sums up as "Could not connect (sequence)". */
function connectionErrorMessage(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return (
      error.message.replace(/ - Could not connect \((sequence|parallel)\)$/, "") + ` - ${messageOf(cause)}`
    );
  }
  return messageOf(error);
}

let loaded: Promise<Tedious> | undefined;

/** tedious is loaded only when an mssql trigger connects. */
function tedious(): Promise<Tedious> {
  // A CommonJS module: its exports are the default export.
  loaded ??= import("tedious").then((module) => {
    const exports = module.default;
    return { Connection: exports.Connection, Request: exports.Request };
  });
  return loaded;
}
