import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { createElasticClient, indexPath } from "./client.ts";
import {
  searchFailureReason,
  searchParams,
  searchSourceProblems,
  semicolonList,
  valueAtLocation,
} from "./search-value.ts";

/** How KEDA's elasticsearch and elastic-forecast scalers reach a deployment: addresses or Elastic Cloud. */
export const elasticConnectionParams = {
  addresses: param.list({
    sources: ["auth", "metadata"],
    optional: true,
    description: "comma-separated Elasticsearch URLs, e.g. http://elasticsearch:9200",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  username: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "user for basic authentication (with addresses)",
  }),
  password: param.string({
    sources: ["auth", "env", "metadata"],
    optional: true,
    secret: true,
    description: "password for basic authentication (with addresses)",
  }),
  cloudID: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "Elastic Cloud deployment ID (with apiKey, instead of addresses)",
  }),
  apiKey: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    secret: true,
    description: "Elastic Cloud API key (with cloudID)",
  }),
};

const params = {
  ...elasticConnectionParams,
  ...searchParams,
};

type Values = {
  addresses?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  cloudID?: string | undefined;
  apiKey?: string | undefined;
};

/** KEDA's rules for how an Elasticsearch deployment is named: addresses with basic auth, or cloudID with apiKey. */
export function elasticEndpointProblems(values: Values): ParamProblem[] {
  const error = (key: string, message: string): ParamProblem[] => [{ key, message, severity: "error" }];
  const addresses = values.addresses ?? [];
  if ((values.cloudID || values.apiKey) && (addresses.length > 0 || values.username || values.password)) {
    return error("cloudID", "can't provide both cloud config and endpoint addresses");
  }
  if (!values.cloudID && !values.apiKey && addresses.length === 0 && !values.username && !values.password) {
    return error("addresses", "must provide either cloud config or endpoint addresses");
  }
  if (Boolean(values.cloudID) !== Boolean(values.apiKey)) {
    return error(
      values.cloudID ? "apiKey" : "cloudID",
      "both cloudID and apiKey must be provided when cloudID or apiKey is used",
    );
  }
  if (addresses.length > 0 && (!values.username || !values.password)) {
    return error(
      values.username ? "password" : "username",
      "both username and password must be provided when addresses is used",
    );
  }
  return [];
}

/**
 * Addresses that are not URLs. (A cloudID that cannot be decoded is reported when the trigger
 * connects, as KEDA reports it when it creates the client.)
 */
export function elasticAddressProblems(values: Values): ParamProblem[] {
  if (values.cloudID) return [];
  return (values.addresses ?? [])
    .filter((address) => !isHttpUrl(address))
    .map((address) => ({
      key: "addresses",
      message: `address "${address}" is not a URL such as http://elasticsearch:9200`,
      severity: "error" as const,
    }));
}

/**
 * The body of KEDA's search template request: the template's id and, when any are given, its
 * parameters (each `key:value`, trimmed; as KEDA splits at every colon, only the text up to a
 * second colon is the value).
 */
export function searchTemplateBody(searchTemplateName: string, parameters: readonly string[]) {
  const params: Record<string, string> = {};
  for (const parameter of parameters) {
    if (parameter === "") continue;
    const parts = parameter.split(":");
    params[(parts[0] ?? "").trim()] = (parts[1] ?? "").trim();
  }
  return Object.keys(params).length > 0 ? { id: searchTemplateName, params } : { id: searchTemplateName };
}

export const elasticsearchScaler: ScalerDefinition<typeof params> = {
  type: "elasticsearch",
  kedaScalerName: "elasticsearchScaler",
  description: "Number at valueLocation in the answer of an Elasticsearch search template or query.",
  testedAgainst:
    "OpenSearch 2.19 (Maven Central jars) behind fake-elasticsearch (a loopback proxy adding what Elasticsearch's clients check: its product header, and its ML forecast API)",
  example: {
    metadata: {
      addresses: "http://elasticsearch:9200",
      index: "jobs",
      searchTemplateName: "pending-jobs",
      valueLocation: "hits.total.value",
      targetValue: "10",
    },
    authParams: { username: "scaler", password: "scaler-password" },
    metricName: "s0-elasticsearch-pending-jobs",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [...elasticEndpointProblems(values), ...elasticAddressProblems(values)];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    problems.push(...searchSourceProblems(values));
    for (const parameter of semicolonList(values.parameters)) {
      if (parameter !== "" && !parameter.includes(":")) {
        error("parameters", `parameter "${parameter}" is not key:value`);
      }
    }
    return problems;
  },
  metric: (values) => ({
    name: values.searchTemplateName ? `elasticsearch-${values.searchTemplateName}` : "elasticsearch-query",
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
  }),
  connect(values) {
    const client = createElasticClient({ ...values, addresses: values.addresses ?? [] });
    const indexes = indexPath(semicolonList(values.index));
    const [path, body] = values.searchTemplateName
      ? [
          `${indexes}/_search/template`,
          JSON.stringify(searchTemplateBody(values.searchTemplateName, semicolonList(values.parameters))),
        ]
      : [`${indexes}/_search`, values.query ?? ""];
    return {
      async measure(signal) {
        const response = await client.request("POST", path, body, signal);
        if (response.status === 401) {
          throw new Error("elasticsearch authentication failed (HTTP 401): check username and password");
        }
        if (response.status === 403) {
          throw new Error("elasticsearch authorization failed (HTTP 403): user has insufficient permissions");
        }
        let value: number;
        try {
          value = valueAtLocation(response.body, values.valueLocation, values.ignoreNullValues);
        } catch (error) {
          const reason = searchFailureReason(response.status, response.body);
          throw new Error(
            `${(error as Error).message}${reason ? ` (elasticsearch answered ${reason})` : ""}`,
            {
              cause: error,
            },
          );
        }
        return { value, active: value > values.activationTargetValue };
      },
      close: async () => client.close(),
    };
  },
};
