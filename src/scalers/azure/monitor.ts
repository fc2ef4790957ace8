import type { MetricsQueryClient } from "@azure/monitor-query";
import { azureScalerCredential } from "../../auth/identity/azure.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";
import { isPrivateCloud, monitoringCloud } from "./clouds.ts";
import { azureErrorMessage } from "./errors.ts";

const CREDENTIAL_SOURCES = ["metadata", "env", "auth"] as const;
export const AGGREGATION_TYPES = ["Average", "Count", "Maximum", "Minimum", "None", "Total"] as const;

const params = {
  resourceURI: param.string({
    description:
      "the resource as <provider namespace>/<type>/<name>, e.g. Microsoft.ContainerService/managedClusters/aks",
  }),
  tenantId: param.string({ description: "the Entra ID tenant of the subscription" }),
  subscriptionId: param.string({ description: "the subscription of the resource" }),
  resourceGroupName: param.string({ description: "the resource group of the resource" }),
  metricName: param.string({ description: "the Azure Monitor metric, e.g. kube_pod_status_ready" }),
  metricNamespace: param.string({ optional: true, description: "the metric's namespace" }),
  metricFilter: param.string({
    optional: true,
    description: "a filter on the metric's dimensions, e.g. namespace eq 'default'",
  }),
  metricAggregationInterval: param.string({
    optional: true,
    description: "the interval back from now as h:m:s (default 0:5:0)",
  }),
  metricAggregationType: param.string({ description: "Average, Count, Maximum, Minimum or Total" }),
  targetValue: param.float({
    optional: true,
    description: "target value per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  activeDirectoryClientId: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    description: "the app registration's client id (unless podIdentity azure-workload)",
  }),
  activeDirectoryClientPassword: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    secret: true,
    description: "the app registration's client secret",
  }),
  cloud: param.string({
    optional: true,
    description: "AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud or Private",
  }),
  azureResourceManagerEndpoint: param.string({
    optional: true,
    description: "with cloud Private: the Resource Manager endpoint",
  }),
};

type Values = {
  resourceURI: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroupName: string;
  metricName: string;
  metricNamespace?: string | undefined;
  metricFilter?: string | undefined;
  metricAggregationInterval?: string | undefined;
  metricAggregationType: string;
  targetValue?: number | undefined;
  activationTargetValue: number;
  activeDirectoryClientId?: string | undefined;
  activeDirectoryClientPassword?: string | undefined;
  cloud?: string | undefined;
  azureResourceManagerEndpoint?: string | undefined;
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** KEDA's interval: h:m:s back from now (5 minutes without one), in milliseconds; undefined when malformed. */
export function aggregationIntervalMs(text: string | undefined): number | undefined {
  if (!text) return 5 * 60_000;
  const parts = text.split(":");
  if (parts.length !== 3 || !parts.every((part) => /^[+-]?\d+$/.test(part))) return undefined;
  const [hours, minutes, seconds] = parts.map(Number) as [number, number, number];
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/** The resource's full id: /subscriptions/…/resourceGroups/…/providers/<namespace>/<type>/<name>. */
export function monitorResourceId(
  values: Pick<Values, "resourceURI" | "subscriptionId" | "resourceGroupName">,
): string {
  const [namespace, type, name] = values.resourceURI.split("/");
  return `/subscriptions/${values.subscriptionId}/resourceGroups/${values.resourceGroupName}/providers/${namespace}/${type}/${name}`;
}

/** The Resource Manager endpoint and audience of the trigger's cloud. */
function resourceManager(values: Values): { endpoint: string; audience: string } {
  if (isPrivateCloud(values.cloud)) {
    const endpoint = values.azureResourceManagerEndpoint ?? "";
    return { endpoint, audience: endpoint };
  }
  return (monitoringCloud(values.cloud) ?? monitoringCloud(undefined))!.resourceManager;
}

interface MetricPoint {
  average?: number;
  total?: number;
  maximum?: number;
  minimum?: number;
  count?: number;
}

/**
 * KEDA's value of an answer: the last point of the first time series, in the field of the
 * aggregation type (compared ignoring case).
 */
export function monitorValue(
  metrics: readonly { timeseries?: { data?: MetricPoint[] }[] }[],
  aggregation: string,
): number {
  if (metrics.length !== 1)
    throw new Error(`expected one metric in Azure Monitor's answer, got ${metrics.length}`);
  const series = metrics[0]?.timeseries ?? [];
  if (series.length === 0) throw new Error("got a metric result without timeseries");
  const data = series[0]?.data ?? [];
  if (data.length === 0) throw new Error("got a metric result without any metric values");
  const last = data.at(-1) as MetricPoint;
  const field = (
    { average: "average", total: "total", maximum: "maximum", minimum: "minimum", count: "count" } as const
  )[aggregation.toLowerCase() as "average"];
  const value = field === undefined ? undefined : last[field];
  if (typeof value !== "number") throw new Error(`unsupported aggregation type ${aggregation}`);
  return value;
}

interface MonitorClient {
  client: MetricsQueryClient;
  endpoint: string;
}

function acquireClient(values: Values, context: ScalerContext) {
  const { endpoint, audience } = resourceManager(values);
  const identity = context.podIdentity ? JSON.stringify(context.podIdentity) : "";
  const key = poolKey(
    "azure-monitor",
    endpoint,
    audience,
    identity,
    identity ? "" : values.tenantId,
    identity ? "" : (values.activeDirectoryClientId ?? ""),
    identity ? "" : (values.activeDirectoryClientPassword ?? ""),
  );
  return context.pool.acquire(
    key,
    async (): Promise<MonitorClient> => {
      const credential = await azureScalerCredential({
        podIdentity: context.podIdentity,
        tenantId: values.tenantId,
        clientId: values.activeDirectoryClientId,
        clientSecret: values.activeDirectoryClientPassword,
        env: context.processEnvironment,
      });
      const { MetricsQueryClient } = await import("@azure/monitor-query");
      return {
        client: new MetricsQueryClient(credential, { endpoint, audience, retryOptions: { maxRetries: 0 } }),
        endpoint,
      };
    },
    async () => {},
  );
}

export const azureMonitorScaler: ScalerDefinition<typeof params> = {
  type: "azure-monitor",
  kedaScalerName: "azureMonitorScaler",
  description:
    "An Azure Monitor metric of a resource (the last point of its first time series, in the given aggregation).",
  testedAgainst:
    "fake-azure-monitor (a loopback fake of the documented Azure Monitor metrics, Log Analytics query and Application Insights metrics APIs) and fake-entra (of Entra ID's token endpoint)",
  example: {
    metadata: {
      resourceURI: "Microsoft.ContainerService/managedClusters/aks",
      tenantId: "00000000-0000-0000-0000-000000000001",
      subscriptionId: "00000000-0000-0000-0000-000000000002",
      resourceGroupName: "prod",
      metricName: "kube_pod_status_ready",
      metricAggregationType: "Average",
      targetValue: "5",
    },
    authParams: { activeDirectoryClientId: "app-id", activeDirectoryClientPassword: "app-secret" },
    metricName: "s0-azure-monitor-kube_pod_status_ready",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (!context.asMetricSource && !values.targetValue)
      problems.push(problem("targetValue", "no targetValue given"));
    if (values.resourceURI.split("/").length !== 3)
      problems.push(
        problem(
          "resourceURI",
          "resourceURI not in the correct format. Should be namespace/resource_type/resource_name",
        ),
      );
    if (!(AGGREGATION_TYPES as readonly string[]).includes(values.metricAggregationType))
      problems.push(
        problem(
          "metricAggregationType",
          `invalid metricAggregationType given: use one of ${AGGREGATION_TYPES.join(", ")}`,
        ),
      );
    if (
      values.metricAggregationInterval !== undefined &&
      aggregationIntervalMs(values.metricAggregationInterval) === undefined
    )
      problems.push(
        problem(
          "metricAggregationInterval",
          "metricAggregationInterval not in the correct format. Should be hh:mm:ss",
        ),
      );
    if (isPrivateCloud(values.cloud)) {
      if (!values.azureResourceManagerEndpoint)
        problems.push(
          problem(
            "azureResourceManagerEndpoint",
            "azureResourceManagerEndpoint must be provided for Private cloud type",
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
    const provider = context.podIdentity?.provider;
    if (provider === undefined) {
      if (!values.activeDirectoryClientId)
        problems.push(problem("activeDirectoryClientId", "no activeDirectoryClientId given"));
      if (!values.activeDirectoryClientPassword)
        problems.push(problem("activeDirectoryClientPassword", "no activeDirectoryClientPassword given"));
    } else if (provider !== "azure-workload") {
      problems.push(
        problem("podIdentity", `azure Monitor doesn't support pod identity ${provider}; use azure-workload`),
      );
    }
    return problems;
  },
  metric: (values) => ({
    name: `azure-monitor-${values.metricName}`,
    target: values.targetValue ?? 0,
    activationTarget: values.activationTargetValue,
  }),
  connect(values, context) {
    const lease = acquireClient(values, context);
    const resourceId = monitorResourceId(values);
    const intervalMs = aggregationIntervalMs(values.metricAggregationInterval) ?? 5 * 60_000;
    return {
      async measure(signal) {
        const { client, endpoint } = await lease.client;
        const endTime = new Date();
        let metrics;
        try {
          // The SDK's path is "/{resourceUri}/providers/…": the id goes in without its leading slash.
          ({ metrics } = await client.queryResource(resourceId.slice(1), [values.metricName], {
            timespan: { startTime: new Date(endTime.getTime() - intervalMs), endTime },
            aggregations: [values.metricAggregationType as "Average"],
            ...(values.metricFilter ? { filter: values.metricFilter } : {}),
            ...(values.metricNamespace ? { metricNamespace: values.metricNamespace } : {}),
            abortSignal: signal,
          }));
        } catch (error) {
          throw new Error(
            `metric ${values.metricName} of ${resourceId}: ${azureErrorMessage(error, `Azure Monitor at ${endpoint}`)}`,
            {
              cause: error,
            },
          );
        }
        const value = monitorValue(metrics as never, values.metricAggregationType);
        return { value, active: value > values.activationTargetValue };
      },
      close: () => lease.release(),
    };
  },
};
