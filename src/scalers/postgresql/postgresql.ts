import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { azurePodIdentityCredential, type TokenCredential } from "../../auth/identity/azure.ts";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { firstCellAsNumber } from "../shared/query-value.ts";
import { targetValueProblems } from "../shared/target-value.ts";
import type { ScalerDefinition } from "../types.ts";
import { parseConnection, type ConnectionSettings } from "./connection-string.ts";
import { PostgresPool } from "./pool.ts";
import { watchNotifications } from "./push.ts";
import { postgresTarget } from "./target.ts";

// KEDA's lookup orders: the connection string and the password never come from metadata.
const SECRET_SOURCES = ["auth", "env"] as const;
const SERVER_SOURCES = ["auth", "metadata"] as const;

const params = {
  connection: param.string({
    sources: SECRET_SOURCES,
    optional: true,
    secret: true,
    description:
      "libpq connection string (key=value pairs) or postgresql:// URL; replaces host, port, userName, dbName, sslmode",
  }),
  host: param.string({ sources: SERVER_SOURCES, optional: true, description: "PostgreSQL host" }),
  port: param.string({ sources: SERVER_SOURCES, optional: true, description: "PostgreSQL port" }),
  userName: param.string({ sources: SERVER_SOURCES, optional: true, description: "user name" }),
  dbName: param.string({ sources: SERVER_SOURCES, optional: true, description: "database name" }),
  sslmode: param.string({
    sources: SERVER_SOURCES,
    optional: true,
    description: "libpq sslmode: disable, require, verify-ca, verify-full…",
  }),
  password: param.string({ sources: SECRET_SOURCES, optional: true, secret: true, description: "password" }),
  query: param.string({ description: "SQL query whose first column of the first row is the metric value" }),
  targetQueryValue: param.float({
    optional: true,
    description: "target value per replica (not needed as a scalingModifiers source)",
  }),
  activationTargetQueryValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  tidalPush: param.bool({
    default: false,
    description:
      "Tidal's own option, not KEDA's: also evaluate as soon as a notification arrives on tidalPushChannel " +
      "(LISTEN on a dedicated connection; the producer runs NOTIFY or pg_notify())",
  }),
  tidalPushChannel: param.string({
    optional: true,
    description:
      "Tidal's own option: the channel tidalPush listens on, exactly as pg_notify() names it (NOTIFY folds an unquoted name to lower case)",
  }),
};

type PostgresParams = ParsedParams<typeof params>;

const SEPARATE_SETTINGS = ["host", "port", "userName", "dbName", "sslmode"] as const;

/** The scope of Azure Database for PostgreSQL's Entra ID tokens, as KEDA asks for it. */
export const AZURE_POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

/** Whether the trigger signs in with an Entra ID token of its azure-workload pod identity. */
function usesWorkloadIdentity(identity: PodIdentity | undefined): identity is PodIdentity {
  return identity?.provider === "azure-workload";
}

/**
 * libpq settings from `connection`, or from the separate parameters as KEDA assembles them. With
 * the azure-workload pod identity KEDA always assembles them (connection and password unused):
 * the password is the identity's token.
 */
export function connectionSettings(values: PostgresParams, workloadIdentity = false): ConnectionSettings {
  if (workloadIdentity) {
    return {
      host: values.host ?? "",
      port: values.port ?? "",
      user: values.userName ?? "",
      dbname: values.dbName ?? "",
      sslmode: values.sslmode ?? "",
    };
  }
  if (values.connection) return parseConnection(values.connection);
  return {
    host: values.host ?? "",
    port: values.port ?? "",
    user: values.userName ?? "",
    dbname: values.dbName ?? "",
    sslmode: values.sslmode ?? "",
    ...(values.password ? { password: values.password } : {}),
  };
}

function settingsProblems(values: PostgresParams, workloadIdentity: boolean): ParamProblem[] {
  if (workloadIdentity) {
    const missing = SEPARATE_SETTINGS.filter((key) => !values[key]);
    if (missing.length > 0) {
      return missing.map((key) => ({
        key,
        message: `missing required parameter "${key}": with podIdentity azure-workload the connection is built from host, port, userName, dbName and sslmode (connection is not used)`,
        severity: "error" as const,
      }));
    }
  } else if (!values.connection) {
    const missing = SEPARATE_SETTINGS.filter((key) => !values[key]);
    if (missing.length > 0) {
      return missing.map((key) => ({
        key,
        message: `missing required parameter "${key}" (or give a full connection string as "connection")`,
        severity: "error" as const,
      }));
    }
  }
  try {
    postgresTarget(connectionSettings(values, workloadIdentity));
    return [];
  } catch (error) {
    const reason = messageOf(error);
    return values.connection && !workloadIdentity
      ? [{ key: "connection", message: `the connection string is invalid: ${reason}`, severity: "error" }]
      : [{ key: "host", message: reason, severity: "error" }];
  }
}

function pushProblems(values: PostgresParams): ParamProblem[] {
  if (values.tidalPush && !values.tidalPushChannel) {
    return [
      {
        key: "tidalPushChannel",
        message: "tidalPush needs tidalPushChannel: the channel your producer notifies",
        severity: "error",
      },
    ];
  }
  if (!values.tidalPush && values.tidalPushChannel) {
    return [
      {
        key: "tidalPushChannel",
        message: 'tidalPushChannel is used only with tidalPush: "true"',
        severity: "warning",
      },
    ];
  }
  return [];
}

export const postgresqlScaler: ScalerDefinition<typeof params> = {
  type: "postgresql",
  testedAgainst:
    "PostgreSQL 15 (Debian), plain and TLS; azure-workload tokens from fake-entra (a loopback fake of Entra ID)",
  example: {
    metadata: {
      host: "pg",
      port: "5432",
      userName: "tidal",
      dbName: "tidal",
      sslmode: "disable",
      query: "SELECT 1",
      targetQueryValue: "5",
    },
    authParams: { password: "pw-123" },
    metricName: "s0-postgresql",
  },
  kedaScalerName: "postgreSQLScaler",
  description:
    "Result of a PostgreSQL query (first column of the first row); with Tidal's tidalPush, LISTEN/NOTIFY wakes it at once. " +
    "Under podIdentity azure-workload the password is the identity's Entra ID token (Azure Database for PostgreSQL).",
  params,
  validate(values, context) {
    return [
      ...settingsProblems(values, usesWorkloadIdentity(context.podIdentity)),
      ...targetValueProblems("targetQueryValue", values.targetQueryValue, context.asMetricSource),
      ...pushProblems(values),
    ];
  },
  metric: (values) => ({
    name: "postgresql",
    target: values.targetQueryValue ?? 0,
    activationTarget: values.activationTargetQueryValue,
  }),
  connect(values, context) {
    const identity = usesWorkloadIdentity(context.podIdentity) ? context.podIdentity : undefined;
    const target = postgresTarget(connectionSettings(values, identity !== undefined));
    const lease = context.pool.acquire(
      poolKey("postgresql", JSON.stringify(target), JSON.stringify(identity ?? null), context.timeoutMs),
      async () =>
        new PostgresPool(
          target,
          context.timeoutMs,
          identity ? workloadIdentityPassword(identity) : undefined,
        ),
      (pool) => pool.end(),
    );
    return {
      async measure(signal) {
        const pool = await lease.client;
        const value = firstCellAsNumber(await pool.query(values.query, signal));
        return { value, active: value > values.activationTargetQueryValue };
      },
      watch:
        values.tidalPush && values.tidalPushChannel
          ? (wake, onError) =>
              watchNotifications({
                target,
                channel: values.tidalPushChannel as string,
                context,
                wake,
                onError,
              })
          : undefined,
      close: () => lease.release(),
    };
  },
};

/**
 * The password of each new connection under the azure-workload pod identity: an Entra ID token
 * for Azure Database for PostgreSQL, which the credential caches and renews before it expires
 * (KEDA reconnects with a new token once the old one has expired; connections already open stay).
 */
function workloadIdentityPassword(identity: PodIdentity): () => Promise<string> {
  let credential: Promise<TokenCredential> | undefined;
  return async () => {
    credential ??= azurePodIdentityCredential(identity);
    credential.catch(() => (credential = undefined));
    const token = await (await credential).getToken(AZURE_POSTGRES_SCOPE);
    if (!token) throw new Error(`the azure-workload identity gave no token for ${AZURE_POSTGRES_SCOPE}`);
    return token.token;
  };
}
