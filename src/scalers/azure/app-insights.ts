import {
  azureEnvironmentProperty,
  azureScalerCredential,
  scopeOf,
  type TokenCredential,
} from "../../auth/identity/azure.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { isPrivateCloud, monitoringCloud } from "./clouds.ts";

const FROM_ANYWHERE = ["metadata", "auth", "env"] as const;

const params = {
  applicationInsightsId: param.string({
    sources: FROM_ANYWHERE,
    description: "the Application Insights application id",
  }),
  tenantId: param.string({ sources: FROM_ANYWHERE, description: "the Entra ID tenant" }),
  metricId: param.string({ description: "the metric, e.g. requests/count or customMetrics/queueLength" }),
  metricAggregationTimespan: param.string({ description: "the interval back from now as hh:mm" }),
  metricAggregationType: param.string({ description: "the aggregation: avg, sum, min, max, count" }),
  metricFilter: param.string({
    optional: true,
    description: "an OData filter, e.g. cloud/roleName eq 'api'",
  }),
  targetValue: param.float({
    optional: true,
    description: "target value per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  ignoreNullValues: param.bool({
    default: false,
    description: "read a missing or null value as 0 instead of failing",
  }),
  activeDirectoryClientId: param.string({
    sources: FROM_ANYWHERE,
    optional: true,
    description: "the app registration's client id (unless podIdentity azure-workload)",
  }),
  activeDirectoryClientPassword: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "the app registration's client secret",
  }),
  cloud: param.string({
    optional: true,
    description: "AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud or Private",
  }),
  appInsightsResourceURL: param.string({
    optional: true,
    description: "with cloud Private: the Application Insights API URL",
  }),
  activeDirectoryEndpoint: param.string({
    optional: true,
    description: "with cloud Private: the Entra ID authority",
  }),
};

type Values = {
  applicationInsightsId: string;
  tenantId: string;
  metricId: string;
  metricAggregationTimespan: string;
  metricAggregationType: string;
  metricFilter?: string | undefined;
  targetValue?: number | undefined;
  activationTargetValue: number;
  ignoreNullValues: boolean;
  activeDirectoryClientId?: string | undefined;
  activeDirectoryClientPassword?: string | undefined;
  cloud?: string | undefined;
  appInsightsResourceURL?: string | undefined;
  activeDirectoryEndpoint?: string | undefined;
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** KEDA's hh:mm as an ISO 8601 duration: `PT01H02M`; undefined when malformed. */
export function appInsightsTimespan(text: string): string | undefined {
  const parts = text.split(":");
  if (parts.length !== 2 || !parts.every((part) => /^[+-]?\d+$/.test(part))) return undefined;
  const [hours, minutes] = parts.map(Number) as [number, number];
  const pad = (value: number) => String(value).padStart(2, "0");
  return `PT${pad(hours)}H${pad(minutes)}M`;
}

/** The query KEDA sends: aggregation, timespan and (when given) filter, sorted as Go encodes them. */
export function appInsightsQuery(
  values: Pick<Values, "metricAggregationType" | "metricAggregationTimespan" | "metricFilter">,
): string {
  const query = new URLSearchParams();
  query.set("aggregation", values.metricAggregationType);
  if (values.metricFilter) query.set("filter", values.metricFilter);
  query.set("timespan", appInsightsTimespan(values.metricAggregationTimespan) ?? "");
  return query.toString();
}

/** KEDA's value of an answer `{"value": {"<metricId>": {"<aggregation>": n}}}`. */
export function appInsightsValue(body: unknown, metricId: string, aggregation: string): number {
  const value = (body as { value?: Record<string, unknown> } | null)?.value ?? {};
  if (!(metricId in value)) throw new Error(`metric named ${metricId} not found in app insights response`);
  const metric = value[metricId] as Record<string, unknown> | null;
  if (metric === null || typeof metric !== "object" || !(aggregation in metric))
    throw new Error(`metric ${metricId} did not contain aggregation type ${aggregation}`);
  const number = metric[aggregation];
  if (number === null || number === undefined)
    throw new Error(`metric ${metricId} was nil for aggregation type ${aggregation}`);
  if (typeof number !== "number")
    throw new Error(`metric ${metricId} has a ${aggregation} that is not a number`);
  return number;
}

/** The API's URL of the trigger's cloud. */
function resourceUrl(values: Values): string {
  if (isPrivateCloud(values.cloud)) return values.appInsightsResourceURL ?? "";
  return monitoringCloud(values.cloud)?.appInsights ?? "";
}

export const azureAppInsightsScaler: ScalerDefinition<typeof params> = {
  type: "azure-app-insights",
  kedaScalerName: "azureAppInsightsScaler",
  description: "An Application Insights metric, aggregated over the last metricAggregationTimespan.",
  testedAgainst:
    "fake-azure-monitor (a loopback fake of the documented Azure Monitor metrics, Log Analytics query and Application Insights metrics APIs) and fake-entra (of Entra ID's token endpoint)",
  example: {
    metadata: {
      applicationInsightsId: "00000000-0000-0000-0000-000000000003",
      tenantId: "00000000-0000-0000-0000-000000000001",
      metricId: "customMetrics/queueLength",
      metricAggregationTimespan: "0:5",
      metricAggregationType: "avg",
      targetValue: "10",
    },
    authParams: { activeDirectoryClientId: "app-id", activeDirectoryClientPassword: "app-secret" },
    metricName: "s0-azure-app-insights-customMetrics-queueLength",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (!context.asMetricSource && !values.targetValue)
      problems.push(problem("targetValue", "no targetValue given"));
    if (values.metricAggregationTimespan.split(":").length !== 2)
      problems.push(
        problem(
          "metricAggregationTimespan",
          "metricAggregationTimespan not in the correct format. Should be hh:mm",
        ),
      );
    else if (appInsightsTimespan(values.metricAggregationTimespan) === undefined)
      problems.push(
        problem("metricAggregationTimespan", "metricAggregationTimespan must be two whole numbers as hh:mm"),
      );
    if (isPrivateCloud(values.cloud)) {
      if (!values.appInsightsResourceURL)
        problems.push(
          problem("appInsightsResourceURL", "appInsightsResourceURL must be provided for Private cloud type"),
        );
    } else if (monitoringCloud(values.cloud) === undefined) {
      problems.push(
        problem(
          "cloud",
          `there is no cloud environment matching the name ${values.cloud}: use AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or Private`,
        ),
      );
    }
    const authority = azureEnvironmentProperty(
      {
        ...(values.cloud ? { cloud: values.cloud } : {}),
        ...(values.activeDirectoryEndpoint
          ? { activeDirectoryEndpoint: values.activeDirectoryEndpoint }
          : {}),
      },
      "activeDirectoryEndpoint",
      (environment) => environment.activeDirectoryEndpoint,
    );
    if ("error" in authority) problems.push(problem("activeDirectoryEndpoint", authority.error));
    const provider = context.podIdentity?.provider;
    if (provider === undefined) {
      if (!values.activeDirectoryClientId)
        problems.push(problem("activeDirectoryClientId", "no activeDirectoryClientId given"));
      if (!values.activeDirectoryClientPassword)
        problems.push(problem("activeDirectoryClientPassword", "no activeDirectoryClientPassword given"));
    } else if (provider !== "azure-workload") {
      problems.push(
        problem(
          "podIdentity",
          `azure app insights doesn't support pod identity ${provider}; use azure-workload`,
        ),
      );
    }
    return problems;
  },
  metric: (values) => ({
    name: `azure-app-insights-${values.metricId}`,
    target: values.targetValue ?? 0,
    activationTarget: values.activationTargetValue,
  }),
  connect(values, context) {
    const client = createHttpGetClient({ tls: {} });
    const base = resourceUrl(values).replace(/\/+$/, "");
    const url = `${base}/v1/apps/${values.applicationInsightsId}/metrics/${values.metricId}?${appInsightsQuery(values)}`;
    const authority = values.cloud
      ? azureEnvironmentProperty(
          {
            cloud: values.cloud,
            ...(values.activeDirectoryEndpoint
              ? { activeDirectoryEndpoint: values.activeDirectoryEndpoint }
              : {}),
          },
          "activeDirectoryEndpoint",
          (environment) => environment.activeDirectoryEndpoint,
        )
      : undefined;
    let credential: Promise<TokenCredential> | undefined;
    return {
      async measure(signal) {
        if (!isHttpUrl(url)) throw new Error(`the Application Insights URL ${base} is not an http(s) URL`);
        credential ??= azureScalerCredential({
          podIdentity: context.podIdentity,
          tenantId: values.tenantId,
          clientId: values.activeDirectoryClientId,
          clientSecret: values.activeDirectoryClientPassword,
          authorityHost: authority && "value" in authority ? authority.value : undefined,
          env: context.processEnvironment,
        });
        credential.catch(() => (credential = undefined));
        const token = await (await credential).getToken(scopeOf(base), { abortSignal: signal });
        if (!token) throw new Error("the credential gave no token for Application Insights");
        const response = await client.get(
          new URL(url),
          { Authorization: `Bearer ${token.token}`, Accept: "application/json" },
          signal,
        );
        if (response.status !== 200) {
          throw new Error(
            `app insights request failed with status code ${response.status}${response.status === 401 || response.status === 403 ? " (check the identity's access to the application)" : response.status === 404 ? " (no such application or metric)" : ""}: ${appInsightsError(response.body)}`,
          );
        }
        let value: number;
        try {
          value = appInsightsValue(JSON.parse(response.body), values.metricId, values.metricAggregationType);
        } catch (error) {
          if (!values.ignoreNullValues) throw error;
          value = 0;
        }
        return { value, active: value > values.activationTargetValue };
      },
      close: async () => client.close(),
    };
  },
};

/** The API's error body: `{"error": {"code", "message"}}`. */
function appInsightsError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown } };
    if (typeof parsed.error?.message === "string")
      return typeof parsed.error.code === "string"
        ? `${parsed.error.code}: ${parsed.error.message}`
        : parsed.error.message;
  } catch {
    // not JSON
  }
  return bodyExcerpt(body) || "(empty)";
}
