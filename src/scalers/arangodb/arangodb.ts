import { createHmac } from "node:crypto";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import { httpAuthParams, httpAuthProblems } from "../shared/http-auth.ts";
import type { HttpClient, HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  endpoints: param.string({
    sources: ["auth", "metadata"],
    description: "ArangoDB endpoint URL, or the coordinators' URLs separated by commas (tried in turn)",
  }),
  dbName: param.string({ sources: ["metadata", "auth"], description: "database to query" }),
  collection: param.string({ description: "collection that must exist in the database" }),
  query: param.string({ description: "AQL query returning one document with a numeric field value" }),
  queryValue: param.float({
    default: 0,
    description: "target value per replica (0 only when the trigger feeds a scalingModifiers formula)",
  }),
  activationQueryValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  connectionLimit: param.int({ optional: true, description: "most connections kept per endpoint" }),
  ...httpAuthParams,
};

/** go-driver's pathEscape of a database or collection name. */
function escape(name: string): string {
  return encodeURIComponent(name);
}

/**
 * The Authorization header for the trigger's authModes: basic with the username and password, or
 * for bearer a superuser JWT that ArangoDB accepts, signed (HS256) with bearerToken as the JWT
 * secret, as go-driver's CreateArangodJwtAuthorizationHeader makes one.
 */
export function arangoAuthorization(values: {
  authModes?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  bearerToken?: string | undefined;
}): string | undefined {
  const modes = new Set(values.authModes ?? []);
  if (modes.has("basic")) return basicAuthorization(values.username ?? "", values.password ?? "");
  if (modes.has("bearer") && values.bearerToken) {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ iss: "arangodb", server_id: "tidal" })}`;
    const signature = createHmac("sha256", values.bearerToken).update(unsigned).digest("base64url");
    return `bearer ${unsigned}.${signature}`;
  }
  return undefined;
}

interface ArangoError {
  error?: boolean;
  errorMessage?: string;
  code?: number;
  errorNum?: number;
}

/** go-driver's ArangoError text for an answer that is not the expected status. */
function arangoError(response: HttpResponse): string {
  try {
    const answer = JSON.parse(response.body) as ArangoError;
    if (answer.errorMessage) return answer.errorMessage;
    if (answer.error)
      return `ArangoError: Code ${answer.code ?? response.status}, ErrorNum ${answer.errorNum ?? 0}`;
  } catch {
    // Not JSON: say what came.
  }
  return `HTTP ${response.status}: ${bodyExcerpt(response.body, 120)}`;
}

/** One request to the first endpoint that can be reached (go-driver fails over on connection errors). */
async function send(
  client: HttpClient,
  endpoints: readonly string[],
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<HttpResponse> {
  let last: unknown;
  for (const endpoint of endpoints) {
    const url = new URL(`${endpoint.replace(/\/+$/, "")}${path}`);
    try {
      return method === "GET"
        ? await client.get(url, headers, signal)
        : await client.post(url, headers, body ?? "", signal);
    } catch (error) {
      if (signal.aborted) throw error;
      last = error;
    }
  }
  throw last instanceof Error ? last : new Error("no endpoint given");
}

interface QueryValues {
  endpoints: string;
  dbName: string;
  collection: string;
  query: string;
}

/** KEDA's reading: the database and collection must exist, the query must return exactly one document. */
export async function arangoQueryValue(
  client: HttpClient,
  values: QueryValues,
  authorization: string | undefined,
  signal: AbortSignal,
): Promise<number> {
  const endpoints = values.endpoints.split(",").map((endpoint) => endpoint.trim());
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const database = `/_db/${escape(values.dbName)}`;
  const current = await send(
    client,
    endpoints,
    "GET",
    `${database}/_api/database/current`,
    headers,
    undefined,
    signal,
  ).catch((error: unknown) => {
    throw new Error(`failed to check if ${values.dbName} database exists, ${(error as Error).message}`, {
      cause: error,
    });
  });
  if (current.status === 404) throw new Error(`${values.dbName} database not found`);
  if (current.status !== 200) {
    throw new Error(`failed to check if ${values.dbName} database exists, ${arangoError(current)}`);
  }
  const collection = await send(
    client,
    endpoints,
    "GET",
    `${database}/_api/collection/${escape(values.collection)}`,
    headers,
    undefined,
    signal,
  );
  if (collection.status === 404)
    throw new Error(`${values.collection} collection not found in ${values.dbName} database`);
  if (collection.status !== 200) {
    throw new Error(`failed to check if ${values.collection} collection exists, ${arangoError(collection)}`);
  }
  const body = JSON.stringify({ query: values.query, count: true });
  const cursor = await send(
    client,
    endpoints,
    "POST",
    `${database}/_api/cursor`,
    { ...headers, "Content-Type": "application/json" },
    body,
    signal,
  );
  if (cursor.status !== 201) throw new Error(`failed to execute the query, ${arangoError(cursor)}`);
  const answer = JSON.parse(cursor.body) as { result?: unknown[]; count?: number };
  if (answer.count !== 1)
    throw new Error(`more than one values received, please check the query (${answer.count ?? 0} documents)`);
  const document = answer.result?.[0];
  const value =
    typeof document === "object" && document !== null ? (document as { value?: unknown }).value : undefined;
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number") {
    throw new Error(
      `query result is not in the specified format, please check the query: value is ${JSON.stringify(value)}, not a number`,
    );
  }
  return value;
}

export const arangoDbScaler: ScalerDefinition<typeof params> = {
  type: "arangodb",
  kedaScalerName: "arangoDBScaler",
  description:
    "Field value of the one document an ArangoDB AQL query returns (the database and collection must exist).",
  testedAgainst:
    "fake-arangodb (a loopback fake of ArangoDB's documented HTTP API: database/current, collection, cursor)",
  example: {
    metadata: {
      endpoints: "https://arangodb:8529",
      dbName: "jobs",
      collection: "tasks",
      query: "RETURN { value: LENGTH(FOR t IN tasks FILTER t.state == 'queued' RETURN 1) }",
      queryValue: "10",
      authModes: "basic",
    },
    authParams: { username: "reader", password: "reader-password" },
    metricName: "s0-arangodb",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [...httpAuthProblems(values)];
    if (!context.asMetricSource && values.queryValue === 0) {
      problems.push({
        key: "queryValue",
        message: "no QueryValue given (a number other than 0)",
        severity: "error",
      });
    }
    for (const endpoint of values.endpoints.split(",")) {
      if (!isHttpUrl(`${endpoint.trim()}/_api/version`)) {
        problems.push({
          key: "endpoints",
          message: `endpoint "${endpoint.trim()}" is not a URL such as https://arangodb:8529`,
          severity: "error",
        });
        break;
      }
    }
    return problems;
  },
  metric: (values) => ({
    name: "arangodb",
    target: values.queryValue,
    activationTarget: values.activationQueryValue,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
    const authorization = arangoAuthorization(values);
    return {
      async measure(signal) {
        let value: number;
        try {
          value = await arangoQueryValue(client, values, authorization, signal);
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(`failed to inspect arangoDB, ${(error as Error).message}`, { cause: error });
        }
        return { value, active: value > values.activationQueryValue };
      },
      close: async () => client.close(),
    };
  },
};
