import { messageOf } from "../../util/errors.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization, joinHostPort } from "../shared/go-url.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

// KEDA's lookup orders: the authentication first, then the metadata (then the environment).
const SERVER_SOURCES = ["auth", "metadata"] as const;
const SECRET_SOURCES = ["auth", "metadata", "env"] as const;

const params = {
  connectionString: param.string({
    sources: SECRET_SOURCES,
    optional: true,
    secret: true,
    description: "CouchDB URL, e.g. http://admin:password@couchdb:5984/; replaces host and port",
  }),
  host: param.string({ sources: SERVER_SOURCES, optional: true, description: "CouchDB host" }),
  port: param.string({ sources: SERVER_SOURCES, optional: true, description: "CouchDB port" }),
  username: param.string({
    sources: SERVER_SOURCES,
    optional: true,
    description: "user name (KEDA itself always authenticates as admin)",
  }),
  password: param.string({ sources: SECRET_SOURCES, optional: true, secret: true, description: "password" }),
  dbName: param.string({ sources: SERVER_SOURCES, optional: true, description: "database to query" }),
  query: param.string({
    optional: true,
    description:
      'Mango query: {"selector": {…}, "fields": […]}; the documents it returns are counted (only selector and ' +
      "fields are sent, as KEDA does, so CouchDB returns at most its default limit of 25)",
  }),
  queryValue: param.int({
    optional: true,
    description: "target number of documents per replica (not needed as a scalingModifiers source)",
  }),
  activationQueryValue: param.int({
    default: 0,
    description: "active when more documents than this are found",
  }),
};

type CouchParams = ParsedParams<typeof params>;

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** The server's base URL: connectionString, or http://host:port. */
export function couchDbBaseUrl(values: CouchParams): string {
  return values.connectionString || `http://${joinHostPort(values.host ?? "", values.port ?? "")}`;
}

/**
 * The body KEDA posts to `_find`: only the query's selector and fields (other keys such as limit
 * are dropped, so CouchDB's default limit of 25 documents applies).
 */
export function couchDbFindBody(query: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query);
  } catch (error) {
    throw new Error(`error unmarshaling query: ${messageOf(error)}`, { cause: error });
  }
  const request = (typeof parsed === "object" && parsed !== null ? parsed : {}) as {
    selector?: unknown;
    fields?: unknown;
  };
  return JSON.stringify({ selector: request.selector ?? null, fields: request.fields ?? null });
}

/** The number of documents in a `_find` answer; errors name CouchDB's reason. */
export function couchDbCount(response: HttpResponse, database: string): number {
  let body: { docs?: unknown; error?: unknown; reason?: unknown } | undefined;
  try {
    body = JSON.parse(response.body) as typeof body;
  } catch {
    body = undefined;
  }
  if (response.status < 200 || response.status > 299) {
    const reason = body && typeof body.reason === "string" ? `: ${String(body.error)}: ${body.reason}` : "";
    const hint =
      response.status === 401
        ? " (check the password)"
        : response.status === 404
          ? ` (does the database "${database}" exist?)`
          : "";
    throw new Error(`error executing query: CouchDB answered HTTP ${response.status}${reason}${hint}`);
  }
  if (!Array.isArray(body?.docs)) throw new Error("error executing query: CouchDB's answer has no docs list");
  return body.docs.length;
}

export const couchDbScaler: ScalerDefinition<typeof params> = {
  type: "couchdb",
  kedaScalerName: "couchDBScaler",
  description: "Number of documents a CouchDB Mango query (_find) returns.",
  testedAgainst: "pouchdb-server 4.2 (the CouchDB HTTP API with Mango _find)",
  example: {
    metadata: {
      dbName: "jobs",
      query: '{"selector": {"status": "pending"}, "fields": ["_id"]}',
      queryValue: "5",
    },
    authParams: { host: "couchdb-0.couchdb", port: "5984", username: "admin", password: "example-password" },
    metricName: "s0-coucdb-jobs",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (!values.connectionString) {
      const missing = (["host", "port", "username", "password", "dbName"] as const).find(
        (key) => !values[key],
      );
      if (missing) problems.push(problem(missing, `no ${missing} given (or give connectionString)`));
    }
    if (!values.queryValue && !context.asMetricSource) {
      problems.push(problem("queryValue", "no queryValue given (a number other than 0)"));
    }
    if (!isHttpUrl(couchDbBaseUrl(values))) {
      problems.push(
        problem(
          values.connectionString ? "connectionString" : "host",
          "the CouchDB address is not an http(s) URL",
        ),
      );
    }
    if (values.query === undefined) {
      problems.push({ key: "query", message: "no query given; measuring will fail", severity: "warning" });
    } else {
      try {
        couchDbFindBody(values.query);
      } catch (error) {
        problems.push({
          key: "query",
          message: `${messageOf(error)}; measuring will fail`,
          severity: "warning",
        });
      }
    }
    return problems;
  },
  metric: (values) => ({
    // KEDA's name, spelling included.
    name: `coucdb-${values.dbName ?? ""}`,
    target: values.queryValue ?? 0,
    activationTarget: values.activationQueryValue,
  }),
  connect(values) {
    const base = new URL(couchDbBaseUrl(values));
    const findUrl = new URL(
      `${encodeURIComponent(values.dbName ?? "")}/_find`,
      base.href.endsWith("/") ? base : `${base.href}/`,
    );
    // Credentials in the URL are sent as basic authentication by the HTTP client; a password
    // parameter replaces them. KEDA authenticates as admin; Tidal uses username when it is given.
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/json",
    };
    if (values.password)
      headers.Authorization = basicAuthorization(values.username || "admin", values.password);
    else if (base.username || base.password) {
      headers.Authorization = basicAuthorization(
        decodeURIComponent(base.username),
        decodeURIComponent(base.password),
      );
    }
    findUrl.username = "";
    findUrl.password = "";
    const client = createHttpGetClient({ tls: {} });
    return {
      async measure(signal) {
        const body = couchDbFindBody(values.query ?? "");
        const count = couchDbCount(await client.post(findUrl, headers, body, signal), values.dbName ?? "");
        return { value: count, active: count > values.activationQueryValue };
      },
      close: async () => client.close(),
    };
  },
};
