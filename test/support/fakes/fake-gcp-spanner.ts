/**
 * fake-gcp-spanner: a loopback fake of Cloud Spanner's documented gRPC API (google.spanner.v1.Spanner,
 * loaded from the protos the client library ships), as the Node.js client calls it for a
 * single-use read-only query:
 *
 * - sessions: `CreateSession` (multiplexed or not), `BatchCreateSessions`, `GetSession`,
 *   `DeleteSession`, for databases the test created (`NOT_FOUND` "Database not found: …" else);
 * - `ExecuteStreamingSql` and `ExecuteSql`: the answer the test registered for the SQL text, as
 *   PartialResultSets (metadata with the row type, then the values, INT64 as strings); other SQL
 *   is `INVALID_ARGUMENT`.
 *
 * Over TLS (the fakes' certificate) every call needs `authorization: Bearer <token>` that the
 * shared FakeGoogleTokens accept (the self-signed JWT of a trusted service account), else
 * `UNAUTHENTICATED`; in emulator mode (plaintext, as the Spanner emulator) none is needed.
 * Other methods answer `UNIMPLEMENTED`. gRPC clients trust the fakes' certificate through
 * GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=`fakeTls().caFile` (gRPC reads its roots from that file, not
 * from Node's certificate store).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { FakeGoogleTokens } from "./google-auth.ts";
import { fakeTls } from "./tls.ts";

export interface FakeSpannerResult {
  /** Column names and Spanner type codes, e.g. [{ name: "n", type: "INT64" }]. */
  columns: { name: string; type: string }[];
  /** Rows of values as Spanner encodes them (INT64 as strings, null for NULL). */
  rows: (string | number | boolean | null)[][];
}

export interface FakeGcpSpanner {
  /** host:port */
  readonly host: string;
  /** https://host:port, or http:// in emulator mode */
  readonly origin: string;
  /** Calls by method name and database, with the gRPC status they ended with. */
  readonly calls: { method: string; database: string; sql?: string; code: number }[];
  addDatabase(database: { project: string; instance: string; database: string }): void;
  setResult(sql: string, result: FakeSpannerResult): void;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

function loadSpannerService(): grpc.ServiceDefinition {
  const apiRoot = join(dirname(require.resolve("@google-cloud/spanner-api/package.json")), "build", "protos");
  // google-gax's protos (google/api, google/rpc); its package exports no package.json.
  const gaxRoot = join(dirname(require.resolve("google-gax")), "..", "protos");
  const definition = protoLoader.loadSync("google/spanner/v1/spanner.proto", {
    includeDirs: [apiRoot, gaxRoot],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { spanner: { v1: { Spanner: { service: grpc.ServiceDefinition } } } };
  };
  return loaded.google.spanner.v1.Spanner.service;
}

type Call =
  | grpc.ServerUnaryCall<Record<string, unknown>, unknown>
  | grpc.ServerWritableStream<Record<string, unknown>, unknown>;

export async function startFakeGcpSpanner(options: {
  tokens?: FakeGoogleTokens;
  emulator?: boolean;
}): Promise<FakeGcpSpanner> {
  const databases = new Set<string>();
  const sessions = new Map<string, string>(); // session name -> database
  const results = new Map<string, FakeSpannerResult>();
  const calls: FakeGcpSpanner["calls"] = [];
  let sessionCount = 0;

  const fail = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

  /** Checks the call's credentials; returns the error to answer with, if any. */
  function authProblem(call: Call): Error | undefined {
    if (options.emulator) return undefined;
    const header = call.metadata.get("authorization")[0];
    const principal = options.tokens?.check(typeof header === "string" ? header : undefined);
    if (principal === undefined || "rejected" in principal)
      return fail(
        grpc.status.UNAUTHENTICATED,
        `Request had invalid authentication credentials: ${principal?.rejected ?? "no token"}`,
      );
    return undefined;
  }

  function unary(
    method: string,
    handle: (request: Record<string, unknown>) => { database: string; reply: unknown },
  ) {
    return (
      call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const problem = authProblem(call);
      let database = String(
        call.request.database ?? sessions.get(String(call.request.session ?? call.request.name ?? "")) ?? "",
      );
      if (problem) {
        calls.push({ method, database, code: (problem as grpc.ServiceError).code });
        return callback(problem as grpc.ServiceError);
      }
      try {
        const { database: of, reply } = handle(call.request);
        database = of;
        calls.push({ method, database, code: grpc.status.OK });
        callback(null, reply);
      } catch (error) {
        calls.push({ method, database, code: (error as grpc.ServiceError).code ?? grpc.status.INTERNAL });
        callback(error as grpc.ServiceError);
      }
    };
  }

  const newSession = (database: string, multiplexed: boolean) => {
    if (!databases.has(database)) throw fail(grpc.status.NOT_FOUND, `Database not found: ${database}`);
    sessionCount += 1;
    const name = `${database}/sessions/fake-${sessionCount}`;
    sessions.set(name, database);
    return { name, multiplexed, createTime: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 } };
  };

  const databaseOfSession = (session: string) => {
    const database = sessions.get(session);
    if (database === undefined) throw fail(grpc.status.NOT_FOUND, `Session not found: ${session}`);
    return database;
  };

  const resultOf = (sql: string) => {
    const result = results.get(sql.trim());
    if (result === undefined)
      throw fail(grpc.status.INVALID_ARGUMENT, `Syntax error: Unexpected query text [at 1:1]`);
    return result;
  };

  const encode = (value: string | number | boolean | null) =>
    value === null
      ? { nullValue: "NULL_VALUE" }
      : typeof value === "boolean"
        ? { boolValue: value }
        : typeof value === "number"
          ? { numberValue: value }
          : { stringValue: value };

  const metadataOf = (result: FakeSpannerResult) => ({
    rowType: { fields: result.columns.map((column) => ({ name: column.name, type: { code: column.type } })) },
  });

  const server = new grpc.Server();
  server.addService(loadSpannerService(), {
    createSession: unary("CreateSession", (request) => {
      const database = String(request.database);
      const session = (request.session ?? {}) as { multiplexed?: boolean };
      return { database, reply: newSession(database, Boolean(session.multiplexed)) };
    }),
    batchCreateSessions: unary("BatchCreateSessions", (request) => {
      const database = String(request.database);
      const count = Math.max(1, Number(request.sessionCount ?? 1));
      return {
        database,
        reply: { session: Array.from({ length: count }, () => newSession(database, false)) },
      };
    }),
    getSession: unary("GetSession", (request) => {
      const name = String(request.name);
      return { database: databaseOfSession(name), reply: { name } };
    }),
    deleteSession: unary("DeleteSession", (request) => {
      const name = String(request.name);
      const database = databaseOfSession(name);
      sessions.delete(name);
      return { database, reply: {} };
    }),
    executeSql: unary("ExecuteSql", (request) => {
      const database = databaseOfSession(String(request.session));
      const result = resultOf(String(request.sql ?? ""));
      return {
        database,
        reply: {
          metadata: metadataOf(result),
          rows: result.rows.map((row) => ({ values: row.map(encode) })),
        },
      };
    }),
    executeStreamingSql: (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => {
      const problem = authProblem(call);
      const sql = String(call.request.sql ?? "");
      let database = sessions.get(String(call.request.session)) ?? "";
      if (problem) {
        calls.push({ method: "ExecuteStreamingSql", database, sql, code: grpc.status.UNAUTHENTICATED });
        return call.destroy(problem);
      }
      try {
        database = databaseOfSession(String(call.request.session));
        const result = resultOf(sql);
        call.write({ metadata: metadataOf(result), values: result.rows.flat().map(encode), last: true });
        calls.push({ method: "ExecuteStreamingSql", database, sql, code: grpc.status.OK });
        call.end();
      } catch (error) {
        calls.push({ method: "ExecuteStreamingSql", database, sql, code: (error as grpc.ServiceError).code });
        call.destroy(error as Error);
      }
    },
  });

  const tls = await fakeTls();
  const credentials = options.emulator
    ? grpc.ServerCredentials.createInsecure()
    : grpc.ServerCredentials.createSsl(
        null,
        [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
        false,
      );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const host = `127.0.0.1:${port}`;
  return {
    host,
    origin: `${options.emulator ? "http" : "https"}://${host}`,
    calls,
    addDatabase: ({ project, instance, database }) =>
      void databases.add(`projects/${project}/instances/${instance}/databases/${database}`),
    setResult: (sql, result) => void results.set(sql.trim(), result),
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
}
