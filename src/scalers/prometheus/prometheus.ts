import {
  azureEnvironmentProperty,
  azurePodIdentityCredential,
  type AzureEnvironment,
  type TokenCredential,
} from "../../auth/identity/azure.ts";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import {
  httpAuthorization,
  httpAuthParams,
  httpAuthProblems,
  oauthAuthorization,
} from "../shared/http-auth.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { prometheusQueryUrl, prometheusQueryValue } from "./query.ts";

const params = {
  serverAddress: param.string({ description: "Prometheus base URL, e.g. http://prometheus:9090" }),
  query: param.string({ description: "PromQL instant query returning one value" }),
  threshold: param.float({
    optional: true,
    description: "target value per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
  namespace: param.string({
    optional: true,
    description: "namespace query parameter, for multi-tenant Thanos",
  }),
  queryParameters: param.map({
    optional: true,
    description: "extra query parameters as key=value,key2=value2",
  }),
  customHeaders: param.map({
    optional: true,
    description: "extra request headers as name=value,name2=value2",
  }),
  ignoreNullValues: param.bool({
    default: true,
    description: "read an empty result or NaN/Inf as 0 instead of failing",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  timeout: param.duration({ optional: true, description: "HTTP timeout (default: the global HTTP timeout)" }),
  cloud: param.string({
    optional: true,
    description:
      "with podIdentity azure-workload (Azure Managed Prometheus): AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud or Private",
  }),
  azureManagedPrometheusResourceURL: param.string({
    optional: true,
    description:
      "with podIdentity azure-workload and cloud Private: the token scope of Azure Managed Prometheus",
  }),
  ...httpAuthParams,
};

/** Azure Managed Prometheus's token scope per cloud, as KEDA has them. */
const MANAGED_PROMETHEUS_SCOPES: Record<string, string> = {
  AZUREPUBLICCLOUD: "https://prometheus.monitor.azure.com/.default",
  AZUREUSGOVERNMENTCLOUD: "https://prometheus.monitor.azure.us/.default",
  AZURECHINACLOUD: "https://prometheus.monitor.azure.cn/.default",
};

/** The scope of Azure Managed Prometheus tokens for the trigger's cloud, or why there is none. */
export function managedPrometheusScope(metadata: {
  cloud?: string | undefined;
  azureManagedPrometheusResourceURL?: string | undefined;
}): { value: string } | { error: string } {
  const given = Object.fromEntries(
    Object.entries(metadata).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  let unavailable = "";
  const property = azureEnvironmentProperty(
    given,
    "azureManagedPrometheusResourceURL",
    (environment: AzureEnvironment) => {
      const scope = MANAGED_PROMETHEUS_SCOPES[environment.name.toUpperCase()];
      if (scope === undefined) unavailable = environment.name;
      return scope ?? "";
    },
  );
  if (unavailable) return { error: `azure managed prometheus is not available in cloud ${unavailable}` };
  return property;
}

function podIdentityOf(identity: PodIdentity | undefined): PodIdentity | undefined {
  return identity && identity.provider !== "none" ? identity : undefined;
}

export const prometheusScaler: ScalerDefinition<typeof params> = {
  type: "prometheus",
  testedAgainst:
    "Prometheus (Debian); HTTPS, bearer and azure-workload tokens through a checking proxy in front of it",
  example: {
    metadata: { serverAddress: "http://prometheus:9090", query: "sum(up)", threshold: "3" },
    metricName: "s0-prometheus",
  },
  kedaScalerName: "prometheusScaler",
  description: "Value of a Prometheus instant query.",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [...httpAuthProblems(values)];
    const identity = podIdentityOf(context.podIdentity);
    if (identity && (values.authModes ?? []).length > 0) {
      problems.push({
        key: "authModes",
        message: `pod identity cannot be enabled with other auth types: remove authModes or the podIdentity (${identity.provider})`,
        severity: "error",
      });
    }
    if (
      (identity?.provider === "aws" || identity?.provider === "gcp") &&
      (values.authModes ?? []).length === 0
    ) {
      problems.push({
        key: "serverAddress",
        message: `podIdentity ${identity.provider}: Tidal does not yet sign Prometheus queries for ${identity.provider === "aws" ? "Amazon" : "Google Cloud"} Managed Prometheus as KEDA does; the queries go without credentials`,
        severity: "warning",
      });
    }
    if (identity?.provider === "azure-workload" && (values.authModes ?? []).length === 0) {
      const scope = managedPrometheusScope(values);
      if ("error" in scope) problems.push({ key: "cloud", message: scope.error, severity: "error" });
    }
    if (values.threshold === undefined && !context.asMetricSource) {
      problems.push({
        key: "threshold",
        message: `missing required parameter "threshold"`,
        severity: "error",
      });
    }
    if (!isHttpUrl(`${values.serverAddress}/api/v1/query`)) {
      problems.push({
        key: "serverAddress",
        message: `serverAddress "${values.serverAddress}" is not a URL such as http://prometheus:9090`,
        severity: "error",
      });
    }
    if (values.timeout !== undefined && values.timeout <= 0) {
      problems.push({ key: "timeout", message: "timeout must be greater than 0", severity: "error" });
    }
    return problems;
  },
  metric: (values) => ({
    name: "prometheus",
    target: values.threshold ?? 0,
    activationTarget: values.activationThreshold,
  }),
  connect(values, context) {
    const authorization = httpAuthorization(values, values.unsafeSsl);
    const client = createHttpGetClient({ tls: authorization.tls });
    const identity = podIdentityOf(context.podIdentity);
    const oauth =
      oauthAuthorization(values, client) ??
      (identity?.provider === "azure-workload" && (values.authModes ?? []).length === 0
        ? managedPrometheusAuthorization(identity, values)
        : undefined);
    const headers = { ...values.customHeaders, ...authorization.headers };
    return {
      timeoutMs: values.timeout,
      async measure(signal) {
        const url = prometheusQueryUrl(values, authorization.query, Date.now());
        const requestHeaders = oauth ? { ...headers, Authorization: await oauth(signal) } : headers;
        const value = prometheusQueryValue(await client.get(url, requestHeaders, signal), values);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};

/**
 * Azure Managed Prometheus: with the azure-workload pod identity and no authModes, each query
 * carries the identity's Entra ID token for the cloud's Managed Prometheus scope, as KEDA's round
 * tripper sends it (the credential renews the token before it expires).
 */
function managedPrometheusAuthorization(
  identity: PodIdentity,
  values: { cloud?: string | undefined; azureManagedPrometheusResourceURL?: string | undefined },
): (signal: AbortSignal) => Promise<string> {
  const scope = managedPrometheusScope(values);
  let credential: Promise<TokenCredential> | undefined;
  return async (signal) => {
    if ("error" in scope) throw new Error(scope.error);
    credential ??= azurePodIdentityCredential(identity);
    credential.catch(() => (credential = undefined));
    const token = await (await credential).getToken(scope.value, { abortSignal: signal });
    if (!token) throw new Error(`the azure-workload identity gave no token for ${scope.value}`);
    return `Bearer ${token.token}`;
  };
}
