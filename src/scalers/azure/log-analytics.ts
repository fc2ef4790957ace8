import type { LogsQueryClient } from "@azure/monitor-query";
import { azureScalerCredential } from "../../auth/identity/azure.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";
import { isPrivateCloud, monitoringCloud } from "./clouds.ts";
import { azureErrorMessage } from "./errors.ts";

const FROM_ANYWHERE = ["auth", "metadata", "env"] as const;

const params = {
  workspaceId: param.string({ sources: FROM_ANYWHERE, description: "the Log Analytics workspace id" }),
  query: param.string({ description: "a Kusto query whose first row's first column is the metric" }),
  threshold: param.float({ description: "target value per replica" }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
  tenantId: param.string({
    sources: FROM_ANYWHERE,
    optional: true,
    description: "the Entra ID tenant (unless podIdentity azure-workload)",
  }),
  clientId: param.string({
    sources: FROM_ANYWHERE,
    optional: true,
    description: "the app registration's client id",
  }),
  clientSecret: param.string({
    sources: FROM_ANYWHERE,
    optional: true,
    secret: true,
    description: "the app registration's client secret",
  }),
  cloud: param.string({
    default: "azurePublicCloud",
    description: "AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud or Private",
  }),
  logAnalyticsResourceURL: param.string({
    optional: true,
    description: "with cloud Private: the Log Analytics API URL",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  timeout: param.duration({ optional: true, description: "HTTP timeout (default: the global HTTP timeout)" }),
};

type Values = {
  workspaceId: string;
  query: string;
  threshold: number;
  activationThreshold: number;
  tenantId?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  cloud: string;
  logAnalyticsResourceURL?: string | undefined;
  unsafeSsl: boolean;
  timeout?: number | undefined;
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

interface Column {
  name?: string;
  type?: string;
}

/** KEDA's value of a query's answer: exactly one table and one row; the first column, real, int or long, ≥ 0. */
export function logAnalyticsValue(
  tables: readonly { columnDescriptors?: Column[]; rows?: unknown[][] }[],
): number {
  const table = tables[0];
  if (!table || !table.columnDescriptors?.length || !table.rows?.length)
    throw new Error(
      "error validating Log Analytics request. Details: there is no results after running your query",
    );
  if (tables.length > 1)
    throw new Error(
      `error validating Log Analytics request. Details: too many tables in query result: ${tables.length}, expected: 1`,
    );
  if (table.rows.length > 1)
    throw new Error(
      `error validating Log Analytics request. Details: too many rows in query result: ${table.rows.length}, expected: 1`,
    );
  const row = table.rows[0] as unknown[];
  const type = table.columnDescriptors[0]?.type;
  const value = row[0];
  if (row.length === 0 || type === undefined || value === null || value === undefined)
    throw new Error("error parsing the response: the first column is empty, check your query");
  if (type !== "real" && type !== "int" && type !== "long")
    throw new Error(
      `error validating Log Analytics request. Details: value data type should be real, int or long, but received ${type}`,
    );
  if (typeof value !== "number")
    throw new Error("error validating Log Analytics request. Details: cannot convert result to type float64");
  if (value < 0)
    throw new Error(
      `error validating Log Analytics request. Details: value should be >=0, but received ${value}`,
    );
  return value;
}

function endpointOf(values: Values): { endpoint: string; audience: string } {
  if (isPrivateCloud(values.cloud)) {
    const url = (values.logAnalyticsResourceURL ?? "").replace(/\/+$/, "");
    return { endpoint: `${url}/v1`, audience: url };
  }
  return (monitoringCloud(values.cloud) ?? monitoringCloud(undefined))!.logAnalytics;
}

/**
 * KEDA asks with the query alone; the JavaScript client always writes a `timespan`, empty when none
 * is given. This drops the empty one, so the service applies no time range beyond the query's own.
 */
const withoutEmptyTimespan = {
  name: "tidalWithoutEmptyTimespan",
  sendRequest(request: { body?: unknown }, next: (request: never) => Promise<never>) {
    if (typeof request.body === "string") {
      try {
        const body = JSON.parse(request.body) as { timespan?: string };
        if (body.timespan === "") {
          delete body.timespan;
          request.body = JSON.stringify(body);
        }
      } catch {
        // not JSON: sent as it is
      }
    }
    return next(request as never);
  },
};

interface LogsClient {
  client: LogsQueryClient;
  endpoint: string;
}

function acquireClient(values: Values, context: ScalerContext) {
  const { endpoint, audience } = endpointOf(values);
  const identity = context.podIdentity ? JSON.stringify(context.podIdentity) : "";
  const key = poolKey(
    "azure-log-analytics",
    endpoint,
    String(values.unsafeSsl),
    identity,
    identity ? "" : (values.tenantId ?? ""),
    identity ? "" : (values.clientId ?? ""),
    identity ? "" : (values.clientSecret ?? ""),
  );
  return context.pool.acquire(
    key,
    async (): Promise<LogsClient> => {
      const credential = await azureScalerCredential({
        podIdentity: context.podIdentity,
        tenantId: values.tenantId,
        clientId: values.clientId,
        clientSecret: values.clientSecret,
        env: context.processEnvironment,
      });
      const { LogsQueryClient } = await import("@azure/monitor-query");
      // The SDK adds /v1 to an endpoint it is given; the audience is the API's URL.
      const client = new LogsQueryClient(credential, {
        endpoint: endpoint.replace(/\/v1$/, ""),
        audience,
        retryOptions: { maxRetries: 0 },
        additionalPolicies: [{ policy: withoutEmptyTimespan, position: "perCall" }],
        // unsafeSsl: an agent that skips certificate verification, as KEDA's HTTP client does.
        ...(values.unsafeSsl
          ? { agent: new (await import("node:https")).Agent({ rejectUnauthorized: false, keepAlive: true }) }
          : {}),
      });
      return { client, endpoint };
    },
    async () => {},
  );
}

export const azureLogAnalyticsScaler: ScalerDefinition<typeof params> = {
  type: "azure-log-analytics",
  kedaScalerName: "azureLogAnalyticsScaler",
  description:
    "The first value of a Kusto query over a Log Analytics workspace (one table, one row, a number ≥ 0).",
  testedAgainst:
    "fake-azure-monitor (a loopback fake of the documented Azure Monitor metrics, Log Analytics query and Application Insights metrics APIs) and fake-entra (of Entra ID's token endpoint)",
  example: {
    metadata: {
      workspaceId: "00000000-0000-0000-0000-000000000004",
      query: "Jobs | where Status == 'pending' | count",
      threshold: "10",
    },
    authParams: {
      tenantId: "00000000-0000-0000-0000-000000000001",
      clientId: "app-id",
      clientSecret: "app-secret",
    },
    metricName: "s0-azure-log-analytics-00000000-0000-0000-0000-000000000004",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const provider = context.podIdentity?.provider;
    if (provider === undefined) {
      for (const key of ["tenantId", "clientId", "clientSecret"] as const) {
        if (!values[key])
          problems.push(
            problem(
              key,
              `${key} was not found in metadata or the authentication: give it, or use podIdentity azure-workload`,
            ),
          );
      }
    } else if (provider !== "azure-workload") {
      problems.push(
        problem(
          "podIdentity",
          `Log Analytics Scaler doesn't support pod identity ${provider}; use azure-workload`,
        ),
      );
    }
    if (isPrivateCloud(values.cloud)) {
      if (!values.logAnalyticsResourceURL)
        problems.push(
          problem(
            "logAnalyticsResourceURL",
            "logAnalyticsResourceURL must be provided for Private cloud type",
          ),
        );
    } else if (monitoringCloud(values.cloud) === undefined) {
      problems.push(
        problem(
          "cloud",
          `there is no cloud environment matching the name ${values.cloud}: use AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or Private`,
        ),
      );
    }
    if (values.timeout !== undefined && values.timeout < 0)
      problems.push(problem("timeout", "timeout cannot be negative"));
    return problems;
  },
  metric: (values) => ({
    name: `azure-log-analytics-${values.workspaceId}`,
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values, context) {
    const lease = acquireClient(values, context);
    return {
      ...(values.timeout ? { timeoutMs: values.timeout } : {}),
      async measure(signal) {
        const { client, endpoint } = await lease.client;
        let tables;
        try {
          const result = await client.queryWorkspace(values.workspaceId, values.query, undefined as never, {
            abortSignal: signal,
          });
          tables = result.status === "Success" ? result.tables : result.partialTables;
        } catch (error) {
          throw new Error(
            `workspace ${values.workspaceId}: ${azureErrorMessage(error, `Log Analytics at ${endpoint}`)}`,
            { cause: error },
          );
        }
        const value = logAnalyticsValue(tables);
        return { value, active: value > values.activationThreshold };
      },
      close: () => lease.release(),
    };
  },
};
