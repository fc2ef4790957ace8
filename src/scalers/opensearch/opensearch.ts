import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import { createHttpGetClient, isHttpUrl, type HttpResponse } from "../shared/http-get.ts";
import { tlsOptions } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";
import { indexPath } from "../elasticsearch/client.ts";
import {
  searchParams,
  searchSourceProblems,
  semicolonList,
  valueAtLocation,
} from "../elasticsearch/search-value.ts";

const params = {
  addresses: param.list({
    sources: ["auth", "metadata"],
    description: "comma-separated OpenSearch URLs, e.g. https://opensearch:9200",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  enableTLS: param.bool({
    sources: ["metadata", "auth"],
    default: false,
    description: "authenticate with clientCert and clientKey instead of username and password",
  }),
  username: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "user for basic authentication",
  }),
  password: param.string({
    sources: ["auth", "env", "metadata"],
    optional: true,
    secret: true,
    description: "password for basic authentication",
  }),
  caCert: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    secret: true,
    description: "CA certificate (PEM) to trust",
  }),
  clientCert: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    secret: true,
    description: "client certificate (PEM), with enableTLS",
  }),
  clientKey: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    secret: true,
    description: "client private key (PEM), with enableTLS",
  }),
  ...searchParams,
};

/** KEDA's Validate of its opensearch metadata. */
export function opensearchProblems(values: {
  enableTLS: boolean;
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  searchTemplateName?: string | undefined;
  query?: string | undefined;
}): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  if (values.enableTLS && (!values.clientCert || !values.clientKey)) {
    error("clientCert", "both clientCert and clientKey must be provided when enableTLS is true");
  }
  if (!values.enableTLS && (!values.username || !values.password)) {
    error(
      values.username ? "password" : "username",
      "both username and password must be provided for basic auth",
    );
  }
  problems.push(...searchSourceProblems(values));
  return problems;
}

/**
 * KEDA's opensearch search template body: the template's id and its parameters, each `key:value`
 * split at the first colon and trimmed; an entry without a key or a value is an error.
 */
export function opensearchTemplateBody(searchTemplateName: string, parameters: readonly string[]) {
  const params: Record<string, string> = {};
  for (const parameter of parameters) {
    if (parameter === "") continue;
    const colon = parameter.indexOf(":");
    const key = colon < 0 ? "" : parameter.slice(0, colon).trim();
    const value = colon < 0 ? "" : parameter.slice(colon + 1).trim();
    if (key === "" || value === "")
      throw new Error(`invalid parameter format "${parameter}", expected key:value`);
    params[key] = value;
  }
  return Object.keys(params).length > 0 ? { id: searchTemplateName, params } : { id: searchTemplateName };
}

/** An error answer as opensearch-go reports it: status, type and reason of the server's error. */
function opensearchError(response: HttpResponse): Error {
  if (response.status === 401)
    return new Error("opensearch authentication failed (HTTP 401): check username and password");
  if (response.status === 403) {
    return new Error("opensearch authorization failed (HTTP 403): user has insufficient permissions");
  }
  try {
    const { error } = JSON.parse(response.body) as { error?: { type?: unknown; reason?: unknown } | string };
    if (typeof error === "object" && error !== null) {
      return new Error(
        `status: ${response.status}, type: ${String(error.type)}, reason: ${String(error.reason)}`,
      );
    }
    if (typeof error === "string") return new Error(`status: ${response.status}, error: ${error}`);
  } catch {
    // not JSON
  }
  return new Error(`status: ${response.status}`);
}

export const opensearchScaler: ScalerDefinition<typeof params> = {
  type: "opensearch",
  kedaScalerName: "opensearchScaler",
  description: "Number at valueLocation in the answer of an OpenSearch search template or query.",
  testedAgainst: "OpenSearch 2.19 (Maven Central jars, basic authentication by a test plugin)",
  example: {
    metadata: {
      addresses: "http://opensearch:9200",
      index: "jobs",
      query: '{"query":{"term":{"status":"pending"}}}',
      valueLocation: "hits.total.value",
      targetValue: "10",
    },
    authParams: { username: "admin", password: "admin-password" },
    metricName: "s0-opensearch-query",
  },
  params,
  validate(values) {
    const problems = opensearchProblems(values);
    for (const address of values.addresses) {
      if (!isHttpUrl(address)) {
        problems.push({
          key: "addresses",
          message: `address "${address}" is not a URL such as http://opensearch:9200`,
          severity: "error",
        });
      }
    }
    if (values.searchTemplateName) {
      try {
        opensearchTemplateBody(values.searchTemplateName, semicolonList(values.parameters));
      } catch (error) {
        problems.push({ key: "parameters", message: (error as Error).message, severity: "error" });
      }
    }
    if (values.query) {
      try {
        JSON.parse(values.query);
      } catch {
        problems.push({ key: "query", message: "invalid query JSON", severity: "error" });
      }
    }
    return problems;
  },
  metric: (values) => ({
    name: values.searchTemplateName ? `opensearch-${values.searchTemplateName}` : "opensearch-query",
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
  }),
  connect(values) {
    const tls = tlsOptions({
      ca: values.caCert,
      ...(values.enableTLS ? { cert: values.clientCert, key: values.clientKey } : {}),
      unsafeSsl: values.unsafeSsl,
    });
    const http = createHttpGetClient({ tls });
    const headers: Record<string, string> = values.enableTLS
      ? {}
      : { Authorization: basicAuthorization(values.username ?? "", values.password ?? "") };
    const addresses = values.addresses.map((address) => address.replace(/\/+$/, ""));
    const indexes = indexPath(semicolonList(values.index));
    const [path, body] = values.searchTemplateName
      ? [
          `${indexes}/_search/template`,
          JSON.stringify(opensearchTemplateBody(values.searchTemplateName, semicolonList(values.parameters))),
        ]
      : [`${indexes}/_search`, values.query ?? ""];
    let next = 0;
    let pinged = false;
    const send = async (method: "GET" | "POST", requestPath: string, signal: AbortSignal) => {
      let lastError: unknown;
      for (let attempt = 0; attempt < addresses.length; attempt += 1) {
        const url = new URL(`${addresses[next % addresses.length] as string}${requestPath}`);
        next += 1;
        try {
          return method === "GET"
            ? await http.get(url, headers, signal)
            : await http.post(url, { ...headers, "Content-Type": "application/json" }, body, signal);
        } catch (error) {
          if (signal.aborted) throw error;
          lastError = error;
        }
      }
      throw lastError as Error;
    };
    return {
      async measure(signal) {
        // KEDA pings the cluster once, when it creates the scaler.
        if (!pinged) {
          const ping = await send("GET", "/", signal);
          if (ping.status >= 400) throw opensearchError(ping);
          pinged = true;
        }
        const response = await send("POST", path, signal);
        if (response.status >= 400) throw opensearchError(response);
        const value = valueAtLocation(response.body, values.valueLocation, values.ignoreNullValues);
        return { value, active: value > values.activationTargetValue };
      },
      close: async () => http.close(),
    };
  },
};
