/**
 * fake-mssql: a loopback fake of SQL Server speaking the part of TDS 7.4 (MS-TDS) a client needs
 * to log in and run a query: PRELOGIN (answered with encryption not supported), LOGIN7 with SQL
 * Server authentication (user, de-obfuscated password, database), answered with ENVCHANGE,
 * LOGINACK and DONE, or with SQL Server's ERROR 18456 / 4060; federated authentication (a LOGIN7
 * with the FEDAUTH feature, answered with FEDAUTHINFO, then a FEDAUTH_TOKEN message whose Entra
 * ID access token the test registered); SQL_BATCH requests answered with
 * COLMETADATA, ROW and DONE tokens for the queries the test registers (int, bigint, float, bit and
 * nvarchar columns, NULLs), an ERROR for others, or no answer; ATTENTION answered with DONE_ATTN. Every packet
 * fits one TDS packet, which is all these small answers need.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

const PRELOGIN = 0x12;
const LOGIN7 = 0x10;
const SQL_BATCH = 0x01;
const ATTENTION = 0x06;
const FEDAUTH_TOKEN = 0x08;
const FEATURE_FEDAUTH = 0x02;
/** The service principal name SQL Database names in FEDAUTHINFO; clients ask Entra ID for `<spn>/.default`. */
export const MSSQL_SPN = "https://database.windows.net/";
const TABULAR_RESULT = 0x04;
const DONE_COUNT = 0x10;
const DONE_ERROR = 0x02;
const DONE_ATTN = 0x20;

export type ColumnType = "int" | "bigint" | "float" | "bit" | "nvarchar";

export interface Column {
  name: string;
  type: ColumnType;
}

export type Cell = number | string | boolean | null;

/** What a query gives: a result set, or SQL Server's error. */
export type QueryResult =
  | { columns: Column[]; rows: Cell[][] }
  | { error: { number: number; message: string; state?: number; class?: number } }
  /** No answer until the client sends ATTENTION (a query that runs too long). */
  | { hang: true };

export interface FakeLogin {
  user: string;
  database: string;
  appName: string;
}

export class FakeMssql {
  /** SQL logins: user → password. */
  readonly logins = new Map<string, string>();
  readonly databases = new Set<string>(["master"]);
  /** Entra ID access tokens accepted for federated authentication → the principal they name. */
  readonly accessTokens = new Map<string, string>();
  /** Query text (as sent) → its result. */
  readonly queries = new Map<string, QueryResult>();
  /** Logins accepted, in order. */
  readonly sessions: FakeLogin[] = [];
  /** SQL batches received (after login), in order. */
  readonly batches: string[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      socket.on("error", () => undefined);
      this.#serve(socket);
    });
  }

  static async start(): Promise<FakeMssql> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new FakeMssql(server);
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Open client connections. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Closes every client connection, as a server restart or a failover does. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    let buffered = Buffer.alloc(0);
    let message: Buffer[] = [];
    let session: FakeLogin | undefined;
    let federated: { database: string; appName: string } | undefined;
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 8) {
        const length = buffered.readUInt16BE(2);
        if (buffered.length < length) return;
        const type = buffered[0] as number;
        const status = buffered[1] as number;
        message.push(buffered.subarray(8, length));
        buffered = buffered.subarray(length);
        if ((status & 0x01) === 0) continue;
        const payload = Buffer.concat(message);
        message = [];
        if (type === PRELOGIN) socket.write(packet(preloginResponse()));
        else if (type === LOGIN7) {
          const answer = this.#login(payload);
          session = answer.session;
          federated = answer.federated;
          socket.write(packet(answer.tokens));
          if (!session && !federated) socket.end();
        } else if (type === FEDAUTH_TOKEN && federated) {
          const answer = this.#federatedLogin(payload, federated);
          session = answer.session;
          federated = undefined;
          socket.write(packet(answer.tokens));
          if (!session) socket.end();
        } else if (type === SQL_BATCH && session) {
          const answer = this.#batch(payload);
          if (answer) socket.write(packet(answer));
        } else if (type === ATTENTION) socket.write(packet(done(DONE_ATTN, 0)));
        else socket.destroy();
      }
    });
  }

  #login(payload: Buffer): {
    session?: FakeLogin;
    federated?: { database: string; appName: string };
    tokens: Buffer;
  } {
    const field = (
      offset: number,
      decode: (bytes: Buffer) => string = (bytes) => bytes.toString("utf16le"),
    ) => {
      const start = payload.readUInt16LE(offset);
      const length = payload.readUInt16LE(offset + 2);
      return decode(payload.subarray(start, start + length * 2));
    };
    const user = field(40);
    const password = field(44, deobfuscate);
    const appName = field(48);
    const database = field(68) || "master";
    if (features(payload).has(FEATURE_FEDAUTH)) {
      // Federated authentication: tell the client where to get a token; it sends one next.
      return { federated: { database, appName }, tokens: Buffer.concat([fedAuthInfo(), done(0, 0)]) };
    }
    if (this.logins.get(user) !== password) {
      return {
        tokens: Buffer.concat([error(18456, 1, 14, `Login failed for user '${user}'.`), done(DONE_ERROR, 0)]),
      };
    }
    return this.#accepted(user, database, appName);
  }

  #federatedLogin(
    payload: Buffer,
    login: { database: string; appName: string },
  ): { session?: FakeLogin; tokens: Buffer } {
    const length = payload.readUInt32LE(4);
    const token = payload.subarray(8, 8 + length).toString("utf16le");
    const principal = this.accessTokens.get(token);
    if (principal === undefined) {
      return {
        tokens: Buffer.concat([
          error(18456, 1, 14, "Login failed for user '<token-identified principal>'."),
          done(DONE_ERROR, 0),
        ]),
      };
    }
    return this.#accepted(principal, login.database, login.appName);
  }

  #accepted(user: string, database: string, appName: string): { session?: FakeLogin; tokens: Buffer } {
    if (!this.databases.has(database)) {
      return {
        tokens: Buffer.concat([
          error(4060, 1, 11, `Cannot open database "${database}" requested by the login. The login failed.`),
          error(18456, 1, 14, `Login failed for user '${user}'.`),
          done(DONE_ERROR, 0),
        ]),
      };
    }
    const session = { user, database, appName };
    this.sessions.push(session);
    return {
      session,
      tokens: Buffer.concat([
        envChange(1, database, "master"),
        envChange(4, "4096", "4096"),
        loginAck(),
        done(0, 0),
      ]),
    };
  }

  #batch(payload: Buffer): Buffer | undefined {
    const headers = payload.readUInt32LE(0);
    const sql = payload.subarray(headers).toString("utf16le");
    this.batches.push(sql);
    // The session settings a driver sends after logging in.
    if (/^\s*set\s/i.test(sql)) return done(0, 0);
    const result = this.queries.get(sql);
    if (result === undefined) {
      return Buffer.concat([
        error(2812, 62, 16, `Could not find stored procedure '${sql.split(/\s/)[0]}'.`),
        done(DONE_ERROR, 0),
      ]);
    }
    if ("hang" in result) return undefined;
    if ("error" in result) {
      const { number, message, state = 1, class: severity = 16 } = result.error;
      return Buffer.concat([error(number, state, severity, message), done(DONE_ERROR, 0)]);
    }
    return Buffer.concat([
      columnMetadata(result.columns),
      ...result.rows.map((row) => rowToken(result.columns, row)),
      done(DONE_COUNT, result.rows.length),
    ]);
  }
}

/** The ids of the LOGIN7 feature extensions (TDS 7.4: ibExtension points at their offset). */
function features(payload: Buffer): Set<number> {
  const ids = new Set<number>();
  const pointer = payload.readUInt16LE(56);
  if (payload.readUInt16LE(58) !== 4 || pointer + 4 > payload.length) return ids;
  let offset = payload.readUInt32LE(pointer);
  while (offset < payload.length && payload[offset] !== 0xff) {
    ids.add(payload[offset] as number);
    offset += 5 + payload.readUInt32LE(offset + 1);
  }
  return ids;
}

/** FEDAUTHINFO: the STS URL and the SPN to ask a token for. */
function fedAuthInfo(): Buffer {
  const entries: [number, Buffer][] = [
    [0x01, Buffer.from("https://login.microsoftonline.com/common", "utf16le")],
    [0x02, Buffer.from(MSSQL_SPN, "utf16le")],
  ];
  const headerLength = 4 + entries.length * 9;
  const header = Buffer.alloc(headerLength);
  header.writeUInt32LE(entries.length, 0);
  let offset = headerLength;
  entries.forEach(([id, data], index) => {
    const at = 4 + index * 9;
    header[at] = id;
    header.writeUInt32LE(data.length, at + 1);
    header.writeUInt32LE(offset, at + 5);
    offset += data.length;
  });
  const body = Buffer.concat([header, ...entries.map(([, data]) => data)]);
  const head = Buffer.alloc(5);
  head[0] = 0xee;
  head.writeUInt32LE(body.length, 1);
  return Buffer.concat([head, body]);
}

function packet(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = TABULAR_RESULT;
  header[1] = 0x01;
  header.writeUInt16BE(payload.length + 8, 2);
  header[6] = 1;
  return Buffer.concat([header, payload]);
}

/** PRELOGIN answer: version, encryption not supported, no instance, thread id, no MARS. */
function preloginResponse(): Buffer {
  const options: [number, Buffer][] = [
    [0x00, Buffer.from([16, 0, 0x07, 0xd0, 0, 0])],
    [0x01, Buffer.from([0x02])],
    [0x02, Buffer.from([0x00])],
    [0x03, Buffer.alloc(4)],
    [0x04, Buffer.from([0x00])],
  ];
  const headerLength = options.length * 5 + 1;
  const header = Buffer.alloc(headerLength);
  let offset = headerLength;
  options.forEach(([token, data], index) => {
    header[index * 5] = token;
    header.writeUInt16BE(offset, index * 5 + 1);
    header.writeUInt16BE(data.length, index * 5 + 3);
    offset += data.length;
  });
  header[headerLength - 1] = 0xff;
  return Buffer.concat([header, ...options.map(([, data]) => data)]);
}

/** LOGIN7 passwords: each byte's nibbles swapped, then XOR 0xA5. */
function deobfuscate(bytes: Buffer): string {
  const plain = Buffer.from(
    bytes.map((byte) => {
      const value = byte ^ 0xa5;
      return ((value & 0x0f) << 4) | (value >> 4);
    }),
  );
  return plain.toString("utf16le");
}

function bVarChar(text: string): Buffer {
  const bytes = Buffer.from(text, "utf16le");
  return Buffer.concat([Buffer.from([text.length]), bytes]);
}

function usVarChar(text: string): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16LE(text.length);
  return Buffer.concat([length, Buffer.from(text, "utf16le")]);
}

function withLength(token: number, body: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head[0] = token;
  head.writeUInt16LE(body.length, 1);
  return Buffer.concat([head, body]);
}

function envChange(type: number, value: string, old: string): Buffer {
  return withLength(0xe3, Buffer.concat([Buffer.from([type]), bVarChar(value), bVarChar(old)]));
}

function loginAck(): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(0x74000004);
  return withLength(
    0xad,
    Buffer.concat([
      Buffer.from([1]),
      version,
      bVarChar("Microsoft SQL Server"),
      Buffer.from([16, 0, 0x07, 0xd0]),
    ]),
  );
}

function error(number: number, state: number, severity: number, message: string): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(number, 0);
  head[4] = state;
  head[5] = severity;
  const line = Buffer.alloc(4);
  line.writeUInt32LE(1);
  return withLength(
    0xaa,
    Buffer.concat([head, usVarChar(message), bVarChar("fake-mssql"), bVarChar(""), line]),
  );
}

function done(status: number, rows: number): Buffer {
  const token = Buffer.alloc(13);
  token[0] = 0xfd;
  token.writeUInt16LE(status, 1);
  token.writeUInt16LE(0xc1, 3);
  token.writeBigUInt64LE(BigInt(rows), 5);
  return token;
}

const NVARCHAR_MAX_BYTES = 8000;
/** Latin1_General_CI_AS. */
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

function typeInfo(type: ColumnType): Buffer {
  switch (type) {
    case "int":
      return Buffer.from([0x26, 4]);
    case "bigint":
      return Buffer.from([0x26, 8]);
    case "float":
      return Buffer.from([0x6d, 8]);
    case "bit":
      return Buffer.from([0x68, 1]);
    case "nvarchar": {
      const head = Buffer.alloc(3);
      head[0] = 0xe7;
      head.writeUInt16LE(NVARCHAR_MAX_BYTES, 1);
      return Buffer.concat([head, COLLATION]);
    }
  }
}

function columnMetadata(columns: readonly Column[]): Buffer {
  const count = Buffer.alloc(3);
  count[0] = 0x81;
  count.writeUInt16LE(columns.length, 1);
  const described = columns.map((column) => {
    const head = Buffer.alloc(6);
    head.writeUInt16LE(0x0001, 4); // flags: nullable
    return Buffer.concat([head, typeInfo(column.type), bVarChar(column.name)]);
  });
  return Buffer.concat([count, ...described]);
}

function rowToken(columns: readonly Column[], row: readonly Cell[]): Buffer {
  const values = columns.map((column, index) => cellBytes(column.type, row[index] ?? null));
  return Buffer.concat([Buffer.from([0xd1]), ...values]);
}

function cellBytes(type: ColumnType, cell: Cell): Buffer {
  if (type === "nvarchar") {
    if (cell === null) return Buffer.from([0xff, 0xff]);
    return usVarCharBytes(String(cell));
  }
  if (cell === null) return Buffer.from([0]);
  switch (type) {
    case "int": {
      const value = Buffer.alloc(5);
      value[0] = 4;
      value.writeInt32LE(Number(cell), 1);
      return value;
    }
    case "bigint": {
      const value = Buffer.alloc(9);
      value[0] = 8;
      value.writeBigInt64LE(BigInt(cell), 1);
      return value;
    }
    case "float": {
      const value = Buffer.alloc(9);
      value[0] = 8;
      value.writeDoubleLE(Number(cell), 1);
      return value;
    }
    case "bit":
      return Buffer.from([1, cell ? 1 : 0]);
  }
}

/** An nvarchar value: its length in bytes, then UTF-16LE. */
function usVarCharBytes(text: string): Buffer {
  const bytes = Buffer.from(text, "utf16le");
  const length = Buffer.alloc(2);
  length.writeUInt16LE(bytes.length);
  return Buffer.concat([length, bytes]);
}
