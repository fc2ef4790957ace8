import type { Client as KustoClient } from "azure-kusto-data";
import { azureEnvironmentProperty, azureScalerCredential } from "../../auth/identity/azure.ts";
import { untilAborted } from "../../auth/identity/gcp.ts";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";

const FROM_ANYWHERE = ["metadata", "auth", "env"] as const;

const params = {
  endpoint: param.string({
    description: "the cluster's URL, e.g. https://mycluster.westeurope.kusto.windows.net",
  }),
  databaseName: param.string({ description: "the database the query runs in" }),
  query: param.string({ description: "a Kusto query whose one row's first column is the metric" }),
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
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "the app registration's client secret",
  }),
  cloud: param.string({
    optional: true,
    description:
      "AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud or Private",
  }),
  activeDirectoryEndpoint: param.string({
    optional: true,
    description: "with cloud Private: the Entra ID authority",
  }),
};

type Values = {
  endpoint: string;
  databaseName: string;
  query: string;
  threshold: number;
  activationThreshold: number;
  tenantId?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  cloud?: string | undefined;
  activeDirectoryEndpoint?: string | undefined;
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

function authorityOf(values: Pick<Values, "cloud" | "activeDirectoryEndpoint">) {
  return azureEnvironmentProperty(
    {
      ...(values.cloud ? { cloud: values.cloud } : {}),
      ...(values.activeDirectoryEndpoint ? { activeDirectoryEndpoint: values.activeDirectoryEndpoint } : {}),
    },
    "activeDirectoryEndpoint",
    (environment) => environment.activeDirectoryEndpoint,
  );
}

/** KEDA's value of a primary result: one row, a real, int or long first column, ≥ 0. */
export function dataExplorerValue(
  table: { columns: readonly { type: string | null }[]; rows: readonly (readonly unknown[])[] } | undefined,
  query: string,
): number {
  if (!table || table.rows.length === 0) throw new Error(`query ${query} has no results`);
  if (table.rows.length !== 1) throw new Error(`query ${query} result had more than a single result row`);
  const type = table.columns[0]?.type ?? null;
  if (type === null) throw new Error("query has no results");
  if (type !== "real" && type !== "int" && type !== "long") throw new Error(`data type ${type} is not valid`);
  const raw = table.rows[0]?.[0];
  const value = typeof raw === "number" ? raw : Number(raw);
  if (raw === null || raw === undefined || Number.isNaN(value))
    throw new Error(`failed to convert result ${String(raw)} to int`);
  if (value < 0) throw new Error(`query result must be >= 0 but received: ${value}`);
  return value;
}

interface ExplorerClient {
  client: KustoClient;
}

function acquireClient(values: Values, context: ScalerContext) {
  const authority = authorityOf(values);
  const authorityHost = "value" in authority ? authority.value : undefined;
  const identity = context.podIdentity ? JSON.stringify(context.podIdentity) : "";
  const key = poolKey(
    "azure-data-explorer",
    values.endpoint,
    identity,
    identity ? "" : (authorityHost ?? ""),
    identity ? "" : (values.tenantId ?? ""),
    identity ? "" : (values.clientId ?? ""),
    identity ? "" : (values.clientSecret ?? ""),
  );
  return context.pool.acquire(
    key,
    async (): Promise<ExplorerClient> => {
      const credential = await azureScalerCredential({
        podIdentity: context.podIdentity,
        tenantId: values.tenantId,
        clientId: values.clientId,
        clientSecret: values.clientSecret,
        authorityHost,
        env: context.processEnvironment,
      });
      const { Client, KustoConnectionStringBuilder } = await import("azure-kusto-data");
      return {
        client: new Client(KustoConnectionStringBuilder.withTokenCredential(values.endpoint, credential)),
      };
    },
    async ({ client }) => client.close(),
  );
}

/** A Kusto error's own words: the service's error body, else the transport's message. */
function kustoMessage(error: unknown): string {
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  const body = response?.data as
    { error?: { message?: string; "@message"?: string; code?: string } } | undefined;
  const detail = body?.error?.["@message"] ?? body?.error?.message;
  if (response?.status !== undefined) {
    const hint =
      response.status === 401 || response.status === 403
        ? " (check the identity's access to the database)"
        : "";
    return `Data Explorer answered HTTP ${response.status}${hint}${detail ? `: ${detail}` : ""}`;
  }
  return messageOf(error);
}

export const azureDataExplorerScaler: ScalerDefinition<typeof params> = {
  type: "azure-data-explorer",
  kedaScalerName: "azureDataExplorerScaler",
  description: "The value of a Kusto query in an Azure Data Explorer database (one row, a number ≥ 0).",
  testedAgainst:
    "fake-kusto (a loopback fake of Azure Data Explorer's documented REST query API v2) and fake-entra (of Entra ID's token endpoint)",
  example: {
    metadata: {
      endpoint: "https://mycluster.westeurope.kusto.windows.net",
      databaseName: "jobs",
      query: "Jobs | where Status == 'pending' | count",
      threshold: "10",
      tenantId: "00000000-0000-0000-0000-000000000001",
      clientId: "app-id",
    },
    authParams: { clientSecret: "app-secret" },
    metricName: "s0-azure-data-explorer-jobs",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const authority = authorityOf(values);
    if ("error" in authority) problems.push(problem("activeDirectoryEndpoint", authority.error));
    const provider = context.podIdentity?.provider;
    if (provider === undefined) {
      if (!values.tenantId) problems.push(problem("tenantId", "missing required parameter tenantId"));
      if (!values.clientId) problems.push(problem("clientId", "missing required parameter clientId"));
      if (!values.clientSecret)
        problems.push(
          problem(
            "clientSecret",
            "clientSecret was not found in the authentication: give it in a TriggerAuthentication, or use podIdentity azure-workload",
          ),
        );
    } else if (provider !== "azure-workload") {
      problems.push(
        problem(
          "podIdentity",
          `azure data explorer doesn't support pod identity ${provider}; use azure-workload`,
        ),
      );
    }
    return problems;
  },
  metric: (values) => ({
    name: `azure-data-explorer-${values.databaseName}`,
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values, context) {
    const lease = acquireClient(values, context);
    return {
      async measure(signal) {
        const { client } = await untilAborted(lease.client, signal);
        let table;
        try {
          const result = await untilAborted(client.execute(values.databaseName, values.query), signal);
          const primary = result.primaryResults[0];
          table = primary && {
            columns: primary.columns.map((column) => ({ type: column.type })),
            rows: [...primary.rows()].map((row) => primary.columns.map((_, index) => row.getValueAt(index))),
          };
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(
            `failed to get azure data explorer metric result from query ${values.query}: ${kustoMessage(error)}`,
            {
              cause: error,
            },
          );
        }
        const value = dataExplorerValue(table, values.query);
        return { value, active: value > values.activationThreshold };
      },
      close: () => lease.release(),
    };
  },
};
