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

/** libpq settings from `connection`, or from the separate parameters as KEDA assembles them. */
export function connectionSettings(values: PostgresParams): ConnectionSettings {
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

function settingsProblems(values: PostgresParams): ParamProblem[] {
  if (!values.connection) {
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
    postgresTarget(connectionSettings(values));
    return [];
  } catch (error) {
    const reason = messageOf(error);
    return values.connection
      ? [{ key: "connection", message: `the connection string is invalid: ${reason}`, severity: "error" }]
      : [{ key: separateSettingKey(reason), message: reason, severity: "error" }];
  }
}

/** The separate parameter a postgresTarget error is about (it names it first). */
function separateSettingKey(reason: string): (typeof SEPARATE_SETTINGS)[number] {
  if (reason.startsWith("port ")) return "port";
  if (reason.startsWith("sslmode ")) return "sslmode";
  return "host";
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
  testedAgainst: "PostgreSQL 15 (Debian)",
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
    "Result of a PostgreSQL query (first column of the first row); with Tidal's tidalPush, LISTEN/NOTIFY wakes it at once.",
  params,
  validate(values, context) {
    return [
      ...settingsProblems(values),
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
    const target = postgresTarget(connectionSettings(values));
    const lease = context.pool.acquire(
      poolKey("postgresql", JSON.stringify(target), context.timeoutMs),
      async () => new PostgresPool(target, context.timeoutMs),
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
