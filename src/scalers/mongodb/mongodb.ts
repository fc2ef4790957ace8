import type { MongoClient } from "mongodb";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { goEscapePath, joinHostPort } from "../shared/go-url.ts";
import { tlsMaterialParams, tlsSwitchParam } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";

// KEDA's lookup orders: the authentication first, then the metadata (then the environment).
const SERVER_SOURCES = ["auth", "metadata"] as const;
const SECRET_SOURCES = ["auth", "metadata", "env"] as const;

const params = {
  connectionString: param.string({
    sources: SECRET_SOURCES,
    optional: true,
    secret: true,
    description: "mongodb:// or mongodb+srv:// URI; replaces scheme, host, port, username and password",
  }),
  scheme: param.string({
    sources: SERVER_SOURCES,
    default: "mongodb",
    description: "mongodb or mongodb+srv",
  }),
  host: param.string({ sources: SERVER_SOURCES, optional: true, description: "MongoDB host" }),
  port: param.string({
    sources: SERVER_SOURCES,
    optional: true,
    description: "MongoDB port (not with mongodb+srv)",
  }),
  username: param.string({ sources: SERVER_SOURCES, optional: true, description: "user name" }),
  password: param.string({ sources: SECRET_SOURCES, optional: true, secret: true, description: "password" }),
  dbName: param.string({ sources: SERVER_SOURCES, description: "database of the collection" }),
  collection: param.string({ description: "collection whose matching documents are counted" }),
  query: param.string({ description: 'filter as (extended) JSON, e.g. {"status": "pending"}' }),
  queryValue: param.float({ description: "target number of matching documents per replica" }),
  activationQueryValue: param.float({
    default: 0,
    description: "active when more documents than this match",
  }),
  tls: tlsSwitchParam(["auth"], "enable for TLS"),
  ...tlsMaterialParams,
};

type MongoParams = ParsedParams<typeof params>;

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** Go's url.UserPassword escaping as URL.String writes it (`@`, `:`, `/` and the like percent-encoded). */
function userinfoEscape(text: string): string {
  let result = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const character = String.fromCharCode(byte);
    result += /[A-Za-z0-9\-_.~$&+,;=]/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return result;
}

/** The connection string KEDA uses: `connectionString`, or one built from the separate parameters. */
export function mongoConnectionString(values: MongoParams): string {
  if (values.connectionString) return values.connectionString;
  const host =
    values.scheme === "mongodb+srv"
      ? (values.host ?? "")
      : joinHostPort(values.host ?? "", values.port ?? "");
  const user = `${userinfoEscape(values.username ?? "")}:${userinfoEscape(values.password ?? "")}`;
  return `${values.scheme}://${user}@${host}/${goEscapePath(values.dbName)}`;
}

/** KEDA's filter rule: a JSON object with at least one field. */
function queryProblem(query: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(query);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "is not a JSON object";
    if (Object.keys(parsed).length === 0) return "is an empty document; KEDA refuses an empty filter";
    return undefined;
  } catch (error) {
    return `is not JSON: ${messageOf(error)}`;
  }
}

export const mongoDbScaler: ScalerDefinition<typeof params> = {
  type: "mongodb",
  kedaScalerName: "mongoDBScaler",
  description: "Number of documents in a MongoDB collection that match a filter.",
  testedAgainst: "FerretDB 1.24 (MongoDB wire protocol, SQLite storage)",
  example: {
    metadata: { dbName: "jobs", collection: "tasks", query: '{"status": "pending"}', queryValue: "10" },
    authParams: { connectionString: "mongodb://user:password@mongodb:27017/jobs" },
    metricName: "s0-mongodb-tasks",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (!values.connectionString) {
      if (!values.host) problems.push(problem("host", "no host given (or give connectionString)"));
      else if (!values.port && values.scheme !== "mongodb+srv") {
        problems.push(problem("port", "no port given (only mongodb+srv needs none)"));
      } else if (!values.username) problems.push(problem("username", "no username given"));
      else if (!values.password) problems.push(problem("password", "no password given"));
    }
    if (values.tls === "enable") {
      if (!values.cert && !values.key && !values.ca) {
        problems.push(
          problem("tls", "at least one of cert, key, or ca must be provided when TLS is enabled"),
        );
      } else if (Boolean(values.cert) !== Boolean(values.key)) {
        problems.push(
          problem(
            values.cert ? "key" : "cert",
            "both cert and key must be provided when using client certificates",
          ),
        );
      }
    }
    const queryIssue = queryProblem(values.query);
    if (queryIssue) {
      problems.push({
        key: "query",
        message: `query ${queryIssue}; measuring will fail`,
        severity: "warning",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `mongodb-${values.collection}`,
    target: values.queryValue,
    activationTarget: values.activationQueryValue,
  }),
  connect(values, context) {
    const uri = mongoConnectionString(values);
    const tls =
      values.tls === "enable"
        ? {
            tls: true,
            ...(values.ca ? { ca: values.ca } : {}),
            ...(values.cert ? { cert: values.cert } : {}),
            ...(values.key ? { key: values.key } : {}),
            ...(values.keyPassword ? { passphrase: values.keyPassword } : {}),
          }
        : {};
    const lease = context.pool.acquire(
      poolKey("mongodb", uri, JSON.stringify(tls)),
      async () => {
        // The driver is loaded only when a mongodb trigger connects.
        const { MongoClient } = await import("mongodb");
        const client = new MongoClient(uri, {
          ...tls,
          // Within the measurement's deadline, so the driver's own reason (refused, unknown host) is reported.
          serverSelectionTimeoutMS: Math.max(100, Math.floor(context.timeoutMs * 0.8)),
          connectTimeoutMS: context.timeoutMs,
          maxPoolSize: 2,
          appName: "tidal",
        });
        try {
          await client.connect();
          return client;
        } catch (error) {
          await client.close().catch(() => undefined);
          throw new Error(`cannot connect to MongoDB: ${messageOf(error)}`, { cause: error });
        }
      },
      (client: MongoClient) => client.close(),
    );
    return {
      async measure(signal) {
        const client = await lease.client;
        const { BSON } = await import("mongodb");
        let filter: Record<string, unknown>;
        try {
          filter = BSON.EJSON.parse(values.query) as Record<string, unknown>;
        } catch (error) {
          throw new Error(`failed to parse query: ${messageOf(error)}`, { cause: error });
        }
        if (Object.keys(filter).length === 0) throw new Error("failed to parse query: empty bson document");
        const count = await client
          .db(values.dbName)
          .collection(values.collection)
          .countDocuments(filter, { maxTimeMS: context.timeoutMs, signal })
          .catch((error: unknown) => {
            throw signal.aborted
              ? error
              : new Error(`failed to execute query: ${messageOf(error)}`, { cause: error });
          });
        return { value: count, active: count > values.activationQueryValue };
      },
      close: () => lease.release(),
    };
  },
};
