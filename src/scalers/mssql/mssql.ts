import { azureWorkloadCredential } from "../../auth/identity/azure.ts";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { firstCellAsNumber } from "../shared/query-value.ts";
import type { ScalerDefinition } from "../types.ts";
import { MssqlClient } from "./client.ts";
import { kedaConnectionUrl, parseConnectionString } from "./connection.ts";

const params = {
  connectionString: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description:
      "go-mssqldb connection string: sqlserver://user:password@host:port?database=db or Server=host,port;User ID=…;Password=…;Database=…",
  }),
  username: param.string({ sources: ["auth", "metadata"], optional: true, description: "user name" }),
  password: param.string({ sources: ["auth", "env"], optional: true, secret: true, description: "password" }),
  host: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "SQL Server host (required unless connectionString is given)",
  }),
  port: param.int({ sources: ["auth", "metadata"], optional: true, description: "port (default 1433)" }),
  database: param.string({ sources: ["auth", "metadata"], optional: true, description: "database" }),
  query: param.string({ description: "T-SQL query whose first column of the first row is the metric value" }),
  targetValue: param.float({
    description: "target value (0 only when the trigger feeds a scalingModifiers formula)",
  }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
};

type MssqlParams = ParsedParams<typeof params>;

/** The connection string KEDA uses: connectionString, else the URL it assembles from the parts. */
export function mssqlConnectionString(values: MssqlParams): string {
  if (values.connectionString) return values.connectionString;
  return kedaConnectionUrl({
    host: values.host ?? "",
    ...(values.port !== undefined ? { port: values.port } : {}),
    ...(values.username ? { username: values.username } : {}),
    ...(values.password ? { password: values.password } : {}),
    ...(values.database ? { database: values.database } : {}),
  });
}

export const mssqlScaler: ScalerDefinition<typeof params> = {
  type: "mssql",
  kedaScalerName: "mssqlScaler",
  description:
    "Result of a SQL Server query (first column of the first row; no row is 0), over tedious; user and password or podIdentity azure-workload.",
  testedAgainst:
    "fake-mssql (a loopback fake of SQL Server speaking TDS 7.4: prelogin, SQL and Entra ID logins, SQL batches)",
  example: {
    metadata: {
      host: "mssql",
      port: "1433",
      database: "jobs",
      username: "keda",
      query: "SELECT COUNT(*) FROM jobs",
      targetValue: "5",
    },
    authParams: { password: "pw-123" },
    metricName: "s0-mssql",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (!values.connectionString && !values.host) {
      problems.push({
        key: "host",
        message: "must provide either connectionstring or host",
        severity: "error",
      });
    }
    if (!context.asMetricSource && values.targetValue === 0) {
      problems.push({
        key: "targetValue",
        message: "no targetValue given (it must not be 0)",
        severity: "error",
      });
    }
    const provider = context.podIdentity?.provider;
    if (provider !== undefined && provider !== "none" && provider !== "azure-workload") {
      problems.push({
        key: "podIdentity",
        message: `pod identity ${provider} is not supported for mssql scaler (use azure-workload or none)`,
        severity: "error",
      });
    }
    if (problems.length === 0 && (values.connectionString || values.host)) {
      try {
        parseConnectionString(mssqlConnectionString(values));
      } catch (error) {
        const key = values.connectionString ? "connectionString" : "host";
        problems.push({
          key,
          message: `the connection string is invalid: ${messageOf(error)}`,
          severity: "error",
        });
      }
    }
    return problems;
  },
  metric: (values) => ({
    name: "mssql",
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
  }),
  connect(values, context) {
    const settings = parseConnectionString(mssqlConnectionString(values));
    const identity = context.podIdentity?.provider === "azure-workload" ? context.podIdentity : undefined;
    const env = context.processEnvironment as NodeJS.ProcessEnv | undefined;
    const credential = identity ? () => azureWorkloadCredential(identity, env) : undefined;
    const lease = context.pool.acquire(
      poolKey("mssql", JSON.stringify(settings), JSON.stringify(identity ?? null), context.timeoutMs),
      async () => new MssqlClient(settings, context.timeoutMs, credential),
      (client) => client.close(),
    );
    return {
      async measure(signal) {
        const client = await lease.client;
        const rows = await client.query(values.query, signal);
        // KEDA scans no row as 0 (sql.ErrNoRows).
        const value = rows.length === 0 ? 0 : firstCellAsNumber(rows);
        return { value, active: value > values.activationTargetValue };
      },
      close: () => lease.release(),
    };
  },
};
