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
import { valueFromResponse, XML_UNSUPPORTED } from "./response-value.ts";

const params = {
  url: param.string({ description: "full URL of the API returning the metric" }),
  valueLocation: param.string({
    description:
      "where the value is: a GJSON path (json), a dotted path (yaml) or a series selector (prometheus)",
  }),
  format: param.enum(["json", "xml", "yaml", "prometheus"], {
    default: "json",
    description: "format of the response: json, yaml or prometheus (text exposition)",
  }),
  targetValue: param.float({
    optional: true,
    description: "target value per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  timeout: param.duration({ optional: true, description: "HTTP timeout (default: the global HTTP timeout)" }),
  aggregateFromKubeServiceEndpoints: param.bool({
    default: false,
    description: "query every endpoint of the Kubernetes service in url and aggregate (not supported yet)",
  }),
  aggregationType: param.enum(["average", "sum", "max", "min"], {
    default: "average",
    description: "how endpoint values are aggregated with aggregateFromKubeServiceEndpoints",
  }),
  ...httpAuthParams,
};

export const metricsApiScaler: ScalerDefinition<typeof params> = {
  type: "metrics-api",
  testedAgainst: "an HTTP server started by the tests",
  example: {
    metadata: { url: "http://api:8080/stats", valueLocation: "components.worker.tasks", targetValue: "5" },
    metricName: "s0-metric-api-components-worker-tasks",
  },
  kedaScalerName: "metricsAPIScaler",
  description: "A number read from an HTTP API returning JSON, YAML or Prometheus text.",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [...httpAuthProblems(values)];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (!context.asMetricSource) {
      if (values.targetValue === undefined) error("targetValue", `missing required parameter "targetValue"`);
      else if (values.targetValue === 0) error("targetValue", "targetValue must not be 0");
    }
    if (!isHttpUrl(values.url)) error("url", `url "${values.url}" is not an http or https URL`);
    if (values.format === "xml") error("format", XML_UNSUPPORTED);
    if (values.aggregateFromKubeServiceEndpoints) {
      error(
        "aggregateFromKubeServiceEndpoints",
        "aggregateFromKubeServiceEndpoints is not supported by Tidal yet",
      );
    }
    if (values.timeout !== undefined && values.timeout <= 0)
      error("timeout", "timeout must be greater than 0");
    return problems;
  },
  // KEDA names it metric-api (singular), unlike the trigger type.
  metric: (values) => ({
    name: `metric-api-${values.valueLocation}`,
    target: values.targetValue ?? 0,
    activationTarget: values.activationTargetValue,
  }),
  connect(values) {
    const authorization = httpAuthorization(values, values.unsafeSsl);
    const client = createHttpGetClient({ tls: authorization.tls });
    const oauth = oauthAuthorization(values, client);
    const url = new URL(values.url);
    for (const [name, value] of Object.entries(authorization.query)) url.searchParams.set(name, value);
    return {
      timeoutMs: values.timeout,
      async measure(signal) {
        const headers = oauth
          ? { ...authorization.headers, Authorization: await oauth(signal) }
          : authorization.headers;
        const response = await client.get(url, headers, signal);
        if (response.status !== 200) {
          const excerpt = response.body.trim().slice(0, 200);
          throw new Error(
            `${url.origin}${url.pathname}: api returned ${response.status}${excerpt ? `: ${excerpt}` : ""}`,
          );
        }
        const value = valueFromResponse(response.body, values.valueLocation, values.format);
        return { value, active: value > values.activationTargetValue };
      },
      close: async () => client.close(),
    };
  },
};
