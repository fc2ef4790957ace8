import type { ParamProblem } from "../params.ts";
import { parseGoQuery } from "../shared/go-url.ts";
import { certAndKeyProblems } from "../shared/tls.ts";
import type { RabbitMqMode, RabbitMqParams } from "./params.ts";

export type RabbitMqProtocol = "amqp" | "http";

/** What a valid trigger resolves to: the protocol to speak, the mode to measure and its target. */
export interface RabbitMqTrigger {
  protocol: RabbitMqProtocol;
  mode: RabbitMqMode;
  value: number;
}

const DEFAULT_QUEUE_LENGTH = 20;

/** The protocol for `auto` follows the host URL's scheme, as KEDA does. */
export function resolveProtocol(
  params: Pick<RabbitMqParams, "protocol" | "host">,
): RabbitMqProtocol | ParamProblem {
  if (!URL.canParse(params.host)) {
    return problem(
      "host",
      "host is not a URL: use amqp://rabbitmq:5672/vhost or http://rabbitmq:15672/vhost (or amqps, https), with the credentials in the URL or in username and password",
    );
  }
  if (params.protocol !== "auto") return params.protocol;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(params.host)?.[1]?.toLowerCase();
  if (scheme === "amqp" || scheme === "amqps") return "amqp";
  if (scheme === "http" || scheme === "https") return "http";
  return problem(
    "host",
    scheme
      ? `unknown host URL scheme "${scheme}"; use amqp, amqps, http or https, or set protocol`
      : "host must be a URL starting with amqp://, amqps://, http:// or https://",
  );
}

/**
 * Resolves mode and value with KEDA's rules: nothing set means QueueLength 20; the deprecated
 * `queueLength` means QueueLength mode and excludes mode/value; otherwise mode and value go
 * together. Like KEDA, a value of 0 counts as not set.
 */
export function resolveModeAndValue(params: {
  mode?: RabbitMqMode | undefined;
  value?: number | undefined;
  queueLength?: number | undefined;
}): { mode: RabbitMqMode; value: number } | ParamProblem {
  const value = params.value || undefined;
  const queueLength = params.queueLength || undefined;
  if (queueLength === undefined && params.mode === undefined && value === undefined) {
    return { mode: "QueueLength", value: DEFAULT_QUEUE_LENGTH };
  }
  if (queueLength !== undefined) {
    if (params.mode !== undefined || value !== undefined) {
      return problem(
        "queueLength",
        "queueLength is deprecated and cannot be combined with mode and value; use mode and value",
      );
    }
    return { mode: "QueueLength", value: queueLength };
  }
  if (params.mode === undefined) return problem("mode", "mode must be specified when value is set");
  if (value === undefined) return problem("value", "value must be specified (and not 0) when mode is set");
  return { mode: params.mode, value };
}

/** Every cross-parameter rule of KEDA's RabbitMQ scaler; returns the resolved trigger when valid. */
export function resolveTrigger(
  params: RabbitMqParams,
): { trigger: RabbitMqTrigger } | { problems: ParamProblem[] } {
  const problems: ParamProblem[] = [...certAndKeyProblems(params)];
  if (params.pageSize < 1) problems.push(problem("pageSize", "pageSize must be 1 or greater"));
  if (Boolean(params.username) !== Boolean(params.password)) {
    problems.push(
      problem(params.username ? "password" : "username", "username and password must be given together"),
    );
  }
  const protocol = resolveProtocol(params);
  problems.push(...authProblems(params, protocol));
  const modeAndValue = resolveModeAndValue(params);
  if (isProblem(protocol)) problems.push(protocol);
  if (isProblem(modeAndValue)) problems.push(modeAndValue);
  if (isProblem(protocol) || isProblem(modeAndValue)) return { problems };

  if (protocol === "amqp") {
    if (params.useRegex) problems.push(problem("useRegex", "useRegex needs the http protocol"));
    if (params.excludeUnacknowledged) {
      problems.push(problem("excludeUnacknowledged", "excludeUnacknowledged needs the http protocol"));
    }
    if (modeAndValue.mode !== "QueueLength") {
      problems.push(
        problem("mode", `mode ${modeAndValue.mode} needs the http protocol (the management API)`),
      );
    }
    if (params.timeout !== undefined)
      problems.push(problem("timeout", "timeout applies to the http protocol only"));
  }
  return problems.length > 0 ? { problems } : { trigger: { protocol, ...modeAndValue } };
}

/** KEDA's scopes: split on commas, each trimmed (an empty entry stays). */
export function scopesOf(params: Pick<RabbitMqParams, "scopes">): string[] | undefined {
  return params.scopes === undefined ? undefined : params.scopes.split(",").map((scope) => scope.trim());
}

/** KEDA's endpointParams: a query string (Go's url.ParseQuery); a string for an error. */
export function endpointParamsOf(
  params: Pick<RabbitMqParams, "endpointParams">,
): Map<string, string[]> | undefined | string {
  if (params.endpointParams === undefined) return undefined;
  try {
    return parseGoQuery(params.endpointParams);
  } catch (error) {
    return `endpointParams is not a query string such as audience=rabbitmq&resource=api: ${(error as Error).message}`;
  }
}

/**
 * KEDA's rules for OAuth2 (client credentials) and Azure workload identity: only for the
 * management API, OAuth2 complete and never mixed with a user name and password or the identity.
 */
function authProblems(params: RabbitMqParams, resolved: RabbitMqProtocol | ParamProblem): ParamProblem[] {
  const problems: ParamProblem[] = [];
  // An explicit protocol decides even when the host cannot be read (it may come from the environment).
  const protocol = params.protocol === "auto" ? resolved : params.protocol;
  if (protocol === "amqp" && params.workloadIdentityResource) {
    problems.push(
      problem(
        "workloadIdentityResource",
        "workloadIdentityResource needs the http protocol (the management API)",
      ),
    );
  }
  const oauth = (["oauthTokenURI", "clientID", "clientSecret"] as const).filter((key) => params[key]);
  if (oauth.length === 0) return problems;
  const missing = (["oauthTokenURI", "clientID", "clientSecret"] as const).filter((key) => !params[key]);
  if (missing.length > 0) {
    problems.push(
      problem(
        missing[0] as string,
        "OAuth2 needs oauthTokenURI, clientID and clientSecret in the TriggerAuthentication",
      ),
    );
    return problems;
  }
  if (protocol === "amqp") {
    problems.push(
      problem("oauthTokenURI", "OAuth2 works with the http protocol (the management API) only, not amqp"),
    );
  }
  if ((params.username && params.password) || params.workloadIdentityResource) {
    problems.push(
      problem(
        "clientID",
        "OAuth2 cannot be combined with username and password or with workloadIdentityResource; use one",
      ),
    );
  }
  if (params.oauthTokenURI && !URL.canParse(params.oauthTokenURI)) {
    problems.push(
      problem("oauthTokenURI", "oauthTokenURI must be a URL such as https://idp.example.com/token"),
    );
  }
  const endpointParams = endpointParamsOf(params);
  if (typeof endpointParams === "string") problems.push(problem("endpointParams", endpointParams));
  return problems;
}

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

function isProblem<T>(result: T | ParamProblem): result is ParamProblem {
  return typeof result === "object" && result !== null && "severity" in result;
}
