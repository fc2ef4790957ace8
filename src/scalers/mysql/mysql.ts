import { isIP } from "node:net";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { firstCellAsNumber } from "../shared/query-value.ts";
import { targetValueProblems } from "../shared/target-value.ts";
import type { ScalerDefinition } from "../types.ts";
import { parseMySqlDsn, splitAddress } from "./dsn.ts";
import { MySqlPool, type MySqlTarget, type MySqlTls } from "./pool.ts";

const params = {
  connectionString: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description:
      "Go MySQL DSN user:password@tcp(host:port)/dbname?tls=true; replaces host, port, dbName, username, password",
  }),
  host: param.string({ sources: ["metadata", "auth"], optional: true, description: "MySQL host" }),
  port: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    description: "MySQL port (default 3306)",
  }),
  dbName: param.string({ sources: ["metadata", "auth"], optional: true, description: "database name" }),
  username: param.string({ sources: ["metadata", "auth", "env"], optional: true, description: "user name" }),
  password: param.string({ sources: ["auth", "env"], optional: true, secret: true, description: "password" }),
  query: param.string({ description: "SQL query whose first column of the first row is the metric value" }),
  queryValue: param.float({
    optional: true,
    description: "target value per replica (not needed as a scalingModifiers source)",
  }),
  activationQueryValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
};

type MySqlParams = ParsedParams<typeof params>;
type ServerParams = Partial<
  Pick<MySqlParams, "connectionString" | "host" | "port" | "dbName" | "username" | "password">
>;

const TLS_VALUES: readonly string[] = ["true", "false", "skip-verify", "preferred"] satisfies MySqlTls[];

/** The server, credentials and TLS from `connectionString`, or from the separate parameters. */
export function mySqlTarget(values: ServerParams): MySqlTarget {
  if (!values.connectionString) {
    const host = values.host ?? "";
    const port = values.port ?? "3306";
    // Each on its own: "h:1" as a host or "evil:3306" as a port would otherwise pass as an address.
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      throw new Error("port must be a number from 1 to 65535");
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    if (/[\s/@?#]/.test(host) || (bare.includes(":") && isIP(bare) !== 6))
      throw new Error("host must be a host name or an IP address, without a port (give the port as port)");
    return {
      server: { host: bare, port: Number(port) },
      user: values.username ?? "",
      password: values.password ?? "",
      database: values.dbName ?? "",
      tls: "false",
    };
  }
  const dsn = parseMySqlDsn(values.connectionString);
  const tls = dsn.params.tls ?? "false";
  if (!TLS_VALUES.includes(tls)) throw new Error("tls must be true, false, skip-verify or preferred");
  return {
    server: dsn.network === "unix" ? { socketPath: dsn.address } : splitAddress(dsn.address),
    user: dsn.user,
    password: dsn.password,
    database: dsn.database,
    tls: tls as MySqlTls,
  };
}

function targetProblems(values: MySqlParams): ParamProblem[] {
  if (!values.connectionString && !values.host) {
    return [
      {
        key: "host",
        message: "set host (with port, dbName, username, password), or a connectionString",
        severity: "error",
      },
    ];
  }
  try {
    mySqlTarget(values);
    return [];
  } catch (error) {
    if (!values.connectionString) {
      const message = messageOf(error);
      return [{ key: message.startsWith("host ") ? "host" : "port", message, severity: "error" }];
    }
    const message = `connectionString is not a valid DSN (user:password@tcp(host:port)/dbname): ${messageOf(error)}`;
    return [{ key: "connectionString", message, severity: "error" }];
  }
}

export const mysqlScaler: ScalerDefinition<typeof params> = {
  type: "mysql",
  testedAgainst: "MariaDB (Debian), over the MySQL protocol",
  example: {
    metadata: {
      host: "mysql",
      port: "3306",
      dbName: "stats_db",
      username: "tidal",
      query: "SELECT COUNT(*) FROM jobs",
      queryValue: "4",
    },
    authParams: { password: "pw-123" },
    metricName: "s0-mysql-stats_db",
  },
  kedaScalerName: "mySQLScaler",
  description: "Result of a MySQL or MariaDB query (first column of the first row).",
  params,
  validate(values, context) {
    return [
      ...targetProblems(values),
      ...targetValueProblems("queryValue", values.queryValue, context.asMetricSource),
    ];
  },
  // KEDA names the metric after the database; from a DSN it takes everything after the last "/",
  // query parameters included. Tidal stops at "?", so TLS options do not rename the metric.
  metric: (values) => ({
    name: `mysql-${values.connectionString ? parseMySqlDsn(values.connectionString).database : (values.dbName ?? "")}`,
    target: values.queryValue ?? 0,
    activationTarget: values.activationQueryValue,
  }),
  connect(values, context) {
    const target = mySqlTarget(values);
    const lease = context.pool.acquire(
      poolKey("mysql", JSON.stringify(target), context.timeoutMs),
      async () => new MySqlPool(target, context.timeoutMs),
      (pool) => pool.end(),
    );
    return {
      async measure(signal) {
        const pool = await lease.client;
        const value = firstCellAsNumber(await pool.query(values.query, signal));
        return { value, active: value > values.activationQueryValue };
      },
      close: () => lease.release(),
    };
  },
};
