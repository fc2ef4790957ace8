import type { ConnectionOptions } from "node:tls";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { parseGoQuery } from "./go-url.ts";
import type { HttpClient } from "./http-get.ts";
import { clientCredentialsTokenSource } from "./oauth2.ts";
import { tlsOptions } from "./tls.ts";

/**
 * KEDA's shared HTTP authentication block (pkg/scalers/authentication), used by the scalers that
 * call an HTTP API: `authModes` names the methods, their credentials come from a
 * TriggerAuthentication (the API key may also sit in metadata).
 */
const AUTH_MODES = ["apiKey", "basic", "tls", "bearer", "custom", "oauth"] as const;
type AuthMode = (typeof AUTH_MODES)[number];

/** At most one of these may be used: each sets the Authorization header. */
const EXCLUSIVE_MODES: readonly AuthMode[] = ["bearer", "basic", "oauth"];

export const httpAuthParams = {
  authModes: param.list({
    sources: ["metadata", "auth"],
    aliases: ["authMode"],
    optional: true,
    description: "comma-separated authentication methods: apiKey, basic, tls, bearer, custom, oauth",
  }),
  username: param.string({
    sources: ["auth"],
    optional: true,
    description: "user name for basic authentication",
  }),
  password: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "password for basic authentication",
  }),
  bearerToken: param.string({
    sources: ["auth"],
    aliases: ["token"],
    optional: true,
    secret: true,
    description: "token for bearer authentication",
  }),
  ca: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "CA certificate (PEM) to trust",
  }),
  cert: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client certificate (PEM) for tls authentication",
  }),
  key: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client private key (PEM) for tls authentication",
  }),
  customAuthHeader: param.string({
    sources: ["auth"],
    optional: true,
    description: "header name for custom authentication",
  }),
  customAuthValue: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "header value for custom authentication",
  }),
  oauthTokenURI: param.string({
    sources: ["auth"],
    optional: true,
    description: "token endpoint for oauth authentication (OAuth 2.0 client credentials)",
  }),
  clientID: param.string({
    sources: ["auth"],
    optional: true,
    description: "client id for oauth authentication",
  }),
  clientSecret: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client secret for oauth authentication",
  }),
  scopes: param.string({
    sources: ["auth"],
    aliases: ["scope"],
    optional: true,
    description: "comma-separated scopes for oauth authentication",
  }),
  endpointParams: param.string({
    sources: ["auth"],
    optional: true,
    description: "extra token request parameters for oauth authentication, as a query string",
  }),
  apiKey: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    secret: true,
    description: "key for apiKey authentication",
  }),
  method: param.enum(["header", "query"], {
    sources: ["metadata", "auth"],
    default: "header",
    description: "where the API key goes: a header or a query parameter",
  }),
  keyParamName: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    description: "header (default X-API-KEY) or query parameter (default api_key) carrying the API key",
  }),
};

/** The parsed block (any scaler's parameters that include httpAuthParams). */
export interface HttpAuthParams {
  authModes?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  bearerToken?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  customAuthHeader?: string | undefined;
  customAuthValue?: string | undefined;
  apiKey?: string | undefined;
  oauthTokenURI?: string | undefined;
  clientID?: string | undefined;
  clientSecret?: string | undefined;
  scopes?: string | undefined;
  endpointParams?: string | undefined;
  method: "header" | "query";
  keyParamName?: string | undefined;
}

function enabledModes(params: HttpAuthParams): Set<string> {
  return new Set(params.authModes ?? []);
}

/** KEDA's checks on the block: known modes, one Authorization method, each mode's credentials present. */
export function httpAuthProblems(params: HttpAuthParams): ParamProblem[] {
  const modes = enabledModes(params);
  const problems: ParamProblem[] = [];
  const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  const unknown = [...modes].filter((mode) => !(AUTH_MODES as readonly string[]).includes(mode));
  if (unknown.length > 0) {
    error("authModes", `authModes "${unknown.join(",")}" must be among ${AUTH_MODES.join(", ")}`);
  }
  const exclusive = EXCLUSIVE_MODES.filter((mode) => modes.has(mode));
  if (exclusive.length > 1)
    error("authModes", `authModes may contain only one of ${EXCLUSIVE_MODES.join(", ")}`);
  if (modes.has("oauth")) {
    if (!params.oauthTokenURI || !params.clientID) {
      error(
        params.oauthTokenURI ? "clientID" : "oauthTokenURI",
        "oauth authentication needs oauthTokenURI and clientID",
      );
    } else if (!URL.canParse(params.oauthTokenURI)) {
      error("oauthTokenURI", "oauthTokenURI must be a URL such as https://idp.example.com/token");
    }
    if (params.endpointParams !== undefined) {
      try {
        parseGoQuery(params.endpointParams);
      } catch (cause) {
        error(
          "endpointParams",
          `endpointParams is not a query string such as audience=api: ${(cause as Error).message}`,
        );
      }
    }
  }
  if (modes.has("bearer") && !params.bearerToken)
    error("bearerToken", "bearer authentication needs bearerToken");
  if (modes.has("basic") && !params.username) error("username", "basic authentication needs username");
  if (modes.has("tls") && !(params.cert && params.key))
    error("cert", "tls authentication needs cert and key");
  if (modes.has("custom") && !(params.customAuthHeader && params.customAuthValue)) {
    error("customAuthHeader", "custom authentication needs customAuthHeader and customAuthValue");
  }
  if (modes.has("apiKey") && !params.apiKey) error("apiKey", "apiKey authentication needs apiKey");
  return problems;
}

/** What the enabled modes add to a request. */
export interface HttpAuthorization {
  headers: Record<string, string>;
  query: Record<string, string>;
  tls: ConnectionOptions;
}

/**
 * Headers, query parameters and TLS options for the enabled modes. A CA is trusted whenever one is
 * given; the client certificate is used in tls mode.
 */
export function httpAuthorization(params: HttpAuthParams, unsafeSsl: boolean): HttpAuthorization {
  const modes = enabledModes(params);
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  if (modes.has("basic")) {
    const credentials = Buffer.from(`${params.username ?? ""}:${params.password ?? ""}`).toString("base64");
    headers.Authorization = `Basic ${credentials}`;
  }
  if (modes.has("bearer")) headers.Authorization = `Bearer ${params.bearerToken ?? ""}`;
  if (modes.has("custom") && params.customAuthHeader)
    headers[params.customAuthHeader] = params.customAuthValue ?? "";
  if (modes.has("apiKey") && params.apiKey) {
    if (params.method === "query") query[params.keyParamName ?? "api_key"] = params.apiKey;
    else headers[params.keyParamName ?? "X-API-KEY"] = params.apiKey;
  }
  const useClientCertificate = modes.has("tls");
  const tls = tlsOptions({
    ca: params.ca,
    cert: useClientCertificate ? params.cert : undefined,
    key: useClientCertificate ? params.key : undefined,
    unsafeSsl,
  });
  return { headers, query, tls };
}

/**
 * With authModes oauth: the Authorization header of a client credentials token (scopes trimmed and
 * blank ones dropped, as KEDA's authentication block normalizes them), asked for through `client`
 * (the trigger's TLS settings) and reused until shortly before it expires. Undefined otherwise.
 */
export function oauthAuthorization(
  params: HttpAuthParams,
  client: Pick<HttpClient, "post">,
): ((signal: AbortSignal) => Promise<string>) | undefined {
  if (!enabledModes(params).has("oauth") || !params.oauthTokenURI || !params.clientID) return undefined;
  const scopes = (params.scopes ?? "")
    .split(",")
    .map((scope) => scope.trim())
    .filter((scope) => scope !== "");
  const source = clientCredentialsTokenSource(
    {
      tokenUrl: params.oauthTokenURI,
      endpointLabel: "oauthTokenURI",
      clientId: params.clientID,
      clientSecret: params.clientSecret ?? "",
      scopes,
      endpointParams: params.endpointParams === undefined ? undefined : parseGoQuery(params.endpointParams),
    },
    client,
  );
  return async (signal) => {
    const token = await source.token(signal);
    return `${token.type} ${token.accessToken}`;
  };
}
