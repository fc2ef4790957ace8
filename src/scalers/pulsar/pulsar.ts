import { STATUS_CODES } from "node:http";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import { httpAuthParams } from "../shared/http-auth.ts";
import { createHttpGetClient, isHttpUrl, type HttpResponse } from "../shared/http-get.ts";
import { tlsOptions } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";
import { clientCredentialsTokens, parseEndpointParams } from "./oauth.ts";

const AUTH_MODES = ["apiKey", "basic", "tls", "bearer", "custom", "oauth"] as const;
const EXCLUSIVE_MODES = ["bearer", "basic", "oauth"] as const;

const params = {
  adminURL: param.string({
    sources: ["metadata", "env"],
    description: "Pulsar admin (web service) URL, e.g. http://pulsar:8080",
  }),
  topic: param.string({
    sources: ["metadata", "env"],
    description: "topic, e.g. persistent://public/default/jobs",
  }),
  subscription: param.string({
    sources: ["metadata", "env"],
    description: "subscription whose backlog is read",
  }),
  msgBacklogThreshold: param.int({ default: 10, description: "target backlog per replica" }),
  activationMsgBacklogThreshold: param.int({
    default: 0,
    description: "active when the backlog is greater than this",
  }),
  isPartitionedTopic: param.bool({
    default: false,
    description: "read partitioned-stats (all partitions) instead of stats",
  }),
  tls: param.string({
    optional: true,
    description: "enable: with cert and key in the authentication, add tls to authModes (KEDA's older form)",
  }),
  authModes: httpAuthParams.authModes,
  bearerToken: httpAuthParams.bearerToken,
  username: httpAuthParams.username,
  password: httpAuthParams.password,
  ca: httpAuthParams.ca,
  cert: httpAuthParams.cert,
  key: httpAuthParams.key,
  oauthTokenURI: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "OAuth token endpoint (client credentials)",
  }),
  scopes: param.list({
    sources: ["auth", "metadata"],
    aliases: ["scope"],
    optional: true,
    description: "OAuth scopes, comma-separated",
  }),
  clientID: param.string({ sources: ["auth", "metadata"], optional: true, description: "OAuth client ID" }),
  clientSecret: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "OAuth client secret (may be omitted with mutual TLS)",
  }),
  endpointParams: param.string({
    sources: ["auth", "metadata"],
    aliases: ["EndpointParams"],
    optional: true,
    description: "extra token request fields as a query string, e.g. audience=pulsar",
  }),
  customAuthHeader: httpAuthParams.customAuthHeader,
  customAuthValue: httpAuthParams.customAuthValue,
  apiKey: httpAuthParams.apiKey,
  method: httpAuthParams.method,
  keyParamName: httpAuthParams.keyParamName,
};

interface AuthValues {
  tls?: string | undefined;
  authModes?: string[] | undefined;
  bearerToken?: string | undefined;
  username?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  oauthTokenURI?: string | undefined;
  clientID?: string | undefined;
  customAuthHeader?: string | undefined;
  customAuthValue?: string | undefined;
  apiKey?: string | undefined;
}

/** The authentication modes in force: authModes, plus tls for KEDA's older `tls: enable` with a cert or key. */
export function pulsarAuthModes(values: AuthValues): Set<string> {
  const modes = new Set(values.authModes ?? []);
  if (values.tls === "enable" && (values.cert || values.key)) modes.add("tls");
  return modes;
}

/** KEDA's checks of its authentication block, with its messages. */
export function pulsarAuthProblems(values: AuthValues): ParamProblem[] {
  const modes = pulsarAuthModes(values);
  const problems: ParamProblem[] = [];
  const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  const present = (value: string | undefined) => (value ? "<present>" : "<empty>");
  const unknown = [...modes].filter((mode) => !(AUTH_MODES as readonly string[]).includes(mode));
  if (unknown.length > 0)
    error("authModes", `authModes "${unknown.join(",")}" must be among ${AUTH_MODES.join(", ")}`);
  const exclusive = EXCLUSIVE_MODES.filter((mode) => modes.has(mode));
  if (exclusive.length > 1)
    error("authModes", `authModes may contain only one of ${EXCLUSIVE_MODES.join(", ")}`);
  if (problems.length > 0) return problems;
  if (modes.has("bearer") && !values.bearerToken) {
    error("bearerToken", "bearer token=<empty> is required when bearer auth is enabled");
  } else if (modes.has("basic") && !values.username) {
    error("username", "username=<empty> is required when basic auth is enabled");
  } else if (modes.has("tls") && (!values.cert || !values.key)) {
    error(
      "cert",
      `cert=${present(values.cert)} and key=${present(values.key)} are required when tls auth is enabled`,
    );
  } else if (modes.has("oauth") && (!values.oauthTokenURI || !values.clientID)) {
    error(
      "oauthTokenURI",
      `oauthTokenURI=${present(values.oauthTokenURI)} and clientID=${present(values.clientID)} are required when oauth is enabled`,
    );
  } else if (modes.has("custom") && (!values.customAuthHeader || !values.customAuthValue)) {
    error(
      "customAuthHeader",
      `customAuthHeader=${present(values.customAuthHeader)} and customAuthValue=${present(values.customAuthValue)} are required when custom auth is enabled`,
    );
  } else if (modes.has("apiKey") && !values.apiKey) {
    error("apiKey", "apiKey is required when apiKey auth is enabled");
  }
  return problems;
}

/** KEDA's stats URL: the admin API's stats (or partitioned-stats) of the topic, `persistent://` removed. */
export function pulsarStatsUrl(adminURL: string, topic: string, partitioned: boolean): string {
  const path = topic.replaceAll("persistent://", "");
  return `${adminURL}/admin/v2/persistent/${path}/${partitioned ? "partitioned-stats" : "stats"}`;
}

/**
 * Whether a redirect keeps the credentials, as KEDA decides for Pulsar's broker redirects: to the
 * same host (any port, any letter case) and never from https down to http.
 */
export function redirectKeepsCredentials(from: URL, to: URL): boolean {
  if (from.hostname.toLowerCase() !== to.hostname.toLowerCase()) return false;
  return !(from.protocol === "https:" && to.protocol !== "https:");
}

/** The backlog of a subscription in a stats answer; errors as KEDA words them. */
export function subscriptionBacklog(response: HttpResponse, subscription: string): number {
  const status = `${response.status} ${STATUS_CODES[response.status] ?? ""}`.trim();
  const reason = pulsarReason(response.body);
  if (response.status === 404) {
    throw new Error(`error requesting stats from admin url, response status is (404): ${status}${reason}`);
  }
  if (response.status !== 200) {
    throw new Error(`error requesting stats from admin url, response status is: ${status}${reason}`);
  }
  let stats: { subscriptions?: Record<string, { msgBacklog?: unknown }> | null };
  try {
    stats = JSON.parse(response.body) as typeof stats;
  } catch (error) {
    throw new Error(`error unmarshalling response: ${(error as Error).message}`, { cause: error });
  }
  const found = stats?.subscriptions?.[subscription];
  if (found === undefined || found === null) throw new Error(`have not subscription found! ${subscription}`);
  const backlog = found.msgBacklog ?? 0;
  if (typeof backlog !== "number")
    throw new Error("error unmarshalling response: msgBacklog is not a number");
  return backlog;
}

/** Pulsar's own reason in an error answer (`{"reason":"Topic not found"}`), for the message. */
function pulsarReason(body: string): string {
  try {
    const { reason } = JSON.parse(body) as { reason?: unknown };
    return typeof reason === "string" && reason !== "" ? ` (${reason})` : "";
  } catch {
    return "";
  }
}

export const pulsarScaler: ScalerDefinition<typeof params> = {
  type: "pulsar",
  kedaScalerName: "pulsarScaler",
  description: "Backlog of a Pulsar subscription, from the admin API's topic stats.",
  testedAgainst: "Apache Pulsar 4.2 standalone (Maven Central jars)",
  example: {
    metadata: {
      adminURL: "http://pulsar:8080",
      topic: "persistent://public/default/jobs",
      subscription: "workers",
    },
    metricName: "s0-pulsar-persistent---public-default-jobs-workers",
  },
  params,
  validate(values) {
    const problems = pulsarAuthProblems(values);
    if (!isHttpUrl(pulsarStatsUrl(values.adminURL, values.topic, values.isPartitionedTopic))) {
      problems.push({
        key: "adminURL",
        message: `adminURL "${values.adminURL}" is not a URL such as http://pulsar:8080`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `pulsar-${values.topic}-${values.subscription}`,
    target: values.msgBacklogThreshold,
    activationTarget: values.activationMsgBacklogThreshold,
  }),
  connect(values) {
    const modes = pulsarAuthModes(values);
    const tls =
      values.ca || modes.has("tls")
        ? tlsOptions({
            ca: values.ca,
            ...(modes.has("tls") ? { cert: values.cert, key: values.key } : {}),
            unsafeSsl: false,
          })
        : {};
    const http = createHttpGetClient({
      tls,
      keepAuthorization: (from, to) => redirectKeepsCredentials(from, to),
    });
    const headers: Record<string, string> = {};
    if (modes.has("bearer")) {
      headers.Authorization = `Bearer ${values.bearerToken ?? ""}`;
      headers["X-Pulsar-Auth-Method-Name"] = "token";
    } else if (modes.has("basic")) {
      headers.Authorization = basicAuthorization(values.username ?? "", values.password ?? "");
      headers["X-Pulsar-Auth-Method-Name"] = "basic";
    } else if (modes.has("tls")) {
      headers["X-Pulsar-Auth-Method-Name"] = "tls";
    }
    const token = modes.has("oauth")
      ? clientCredentialsTokens(http, {
          tokenUrl: values.oauthTokenURI ?? "",
          clientId: values.clientID ?? "",
          // Go's library needs a secret; with mutual TLS (RFC 8705) KEDA sends a placeholder.
          clientSecret: values.clientSecret || "unused",
          scopes: values.scopes ?? [],
          endpointParams: parseEndpointParams(values.endpointParams),
        })
      : undefined;
    const url = new URL(pulsarStatsUrl(values.adminURL, values.topic, values.isPartitionedTopic));
    return {
      async measure(signal) {
        let backlog: number;
        try {
          const requestHeaders = token
            ? { ...headers, Authorization: `Bearer ${await token(signal)}` }
            : headers;
          backlog = subscriptionBacklog(await http.get(url, requestHeaders, signal), values.subscription);
        } catch (error) {
          if (signal.aborted) throw error;
          const message = (error as Error).message;
          if (message.startsWith("have not subscription found!")) throw error;
          throw new Error(`error requesting stats from url: ${message}`, { cause: error });
        }
        return { value: backlog, active: backlog > values.activationMsgBacklogThreshold };
      },
      close: async () => http.close(),
    };
  },
};
