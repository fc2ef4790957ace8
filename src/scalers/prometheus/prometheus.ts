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
  ...httpAuthParams,
};

export const prometheusScaler: ScalerDefinition<typeof params> = {
  type: "prometheus",
  testedAgainst: "Prometheus (Debian)",
  example: {
    metadata: { serverAddress: "http://prometheus:9090", query: "sum(up)", threshold: "3" },
    metricName: "s0-prometheus",
  },
  kedaScalerName: "prometheusScaler",
  description: "Value of a Prometheus instant query.",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [...httpAuthProblems(values)];
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
  connect(values) {
    const authorization = httpAuthorization(values, values.unsafeSsl);
    const client = createHttpGetClient({ tls: authorization.tls });
    const oauth = oauthAuthorization(values, client);
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
