import { goQueryEscape } from "../metric-name.ts";
import { bodyExcerpt } from "./excerpt.ts";
import type { HttpClient } from "./http-get.ts";

/**
 * OAuth 2.0 client credentials (RFC 6749 section 4.4) as golang.org/x/oauth2/clientcredentials
 * does it for KEDA's scalers (kafka's oauthbearer, rabbitmq's management API): the token is asked
 * for with the client's credentials in a basic Authorization header first and, when the endpoint
 * refuses that, in the form body; a token is reused until ten seconds before it expires.
 */
export interface ClientCredentialsConfig {
  tokenUrl: string;
  /** What errors call the token endpoint: the parameter that names it (the URL may be a secret). */
  endpointLabel: string;
  clientId: string;
  clientSecret: string;
  /** Sent space-separated as `scope` when the list is not empty (an empty entry counts). */
  scopes?: readonly string[] | undefined;
  /** Extra form parameters (KEDA's `endpointParams`, a query string); may not override `scope`. */
  endpointParams?: ReadonlyMap<string, readonly string[]> | undefined;
}

export interface OAuthToken {
  accessToken: string;
  /** The Authorization scheme: the token_type the endpoint gave ("Bearer" when none). */
  type: string;
  /** Epoch milliseconds; undefined when the endpoint gave no expires_in (the token never expires). */
  expiresAt: number | undefined;
}

/** Where a token comes from: the cached one while valid, else the endpoint. */
export interface TokenSource {
  token(signal: AbortSignal): Promise<OAuthToken>;
}

/** Tokens count as expired this long before their expiry (oauth2's expiryDelta). */
const EXPIRY_DELTA_MS = 10_000;

type AuthStyle = "header" | "params";

/** Go's url.Values.Encode: keys sorted, each value escaped with QueryEscape. */
function encodeForm(values: Map<string, readonly string[]>): string {
  return [...values.keys()]
    .sort()
    .flatMap((key) => (values.get(key) ?? []).map((value) => `${goQueryEscape(key)}=${goQueryEscape(value)}`))
    .join("&");
}

/** The form a token request sends, before the client credentials; throws where oauth2 refuses. */
export function tokenRequestForm(config: ClientCredentialsConfig): Map<string, readonly string[]> {
  const form = new Map<string, readonly string[]>([["grant_type", ["client_credentials"]]]);
  if (config.scopes && config.scopes.length > 0) form.set("scope", [config.scopes.join(" ")]);
  for (const [key, values] of config.endpointParams ?? []) {
    if (form.has(key) && key !== "grant_type") {
      throw new Error(`endpointParams cannot override the token request's "${key}" parameter`);
    }
    form.set(key, values);
  }
  return form;
}

/** oauth2's Token.Type(): the well-known schemes capitalized, "Bearer" when none is given. */
function tokenType(type: unknown): string {
  if (typeof type !== "string" || type === "") return "Bearer";
  const known: Record<string, string> = { bearer: "Bearer", mac: "MAC", basic: "Basic" };
  return known[type.toLowerCase()] ?? type;
}

/** The token in a successful answer: JSON, or a form as some older endpoints answer. */
function parseTokenResponse(body: string, contentType: string | undefined, now: number): OAuthToken {
  let fields: Record<string, unknown>;
  if (contentType?.startsWith("application/x-www-form-urlencoded") || contentType?.startsWith("text/plain")) {
    fields = Object.fromEntries(new URLSearchParams(body));
  } else {
    try {
      fields = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new Error(`the token endpoint answered with something that is not JSON: ${bodyExcerpt(body)}`);
    }
  }
  const accessToken = fields.access_token;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new Error("the token endpoint's answer has no access_token");
  }
  const expiresIn = Number(fields.expires_in);
  return {
    accessToken,
    type: tokenType(fields.token_type),
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : undefined,
  };
}

/** An error answer's `error` and `error_description` (RFC 6749 section 5.2), else an excerpt. */
function describeRefusal(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === "string") {
      const description = typeof parsed.error_description === "string" ? `: ${parsed.error_description}` : "";
      return `HTTP ${status}, ${parsed.error}${description}`;
    }
  } catch {
    // not JSON: the excerpt below
  }
  const excerpt = bodyExcerpt(body);
  return excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status}`;
}

/**
 * A client credentials token source over `http` (whose TLS options apply to the token endpoint,
 * as KEDA passes its transport to oauth2). `now` is for tests.
 */
export function clientCredentialsTokenSource(
  config: ClientCredentialsConfig,
  http: Pick<HttpClient, "post">,
  now: () => number = Date.now,
): TokenSource {
  let cached: OAuthToken | undefined;
  let pending: Promise<OAuthToken> | undefined;
  // oauth2 remembers the style that worked for an endpoint.
  let knownStyle: AuthStyle | undefined;
  const url = new URL(config.tokenUrl);

  async function request(style: AuthStyle, signal: AbortSignal) {
    const form = new Map(tokenRequestForm(config));
    const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
    if (style === "header") {
      const credentials = `${goQueryEscape(config.clientId)}:${goQueryEscape(config.clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
    } else {
      form.set("client_id", [config.clientId]);
      if (config.clientSecret) form.set("client_secret", [config.clientSecret]);
    }
    const response = await http.post(url, headers, encodeForm(form), signal);
    return response;
  }

  async function fetchToken(signal: AbortSignal): Promise<OAuthToken> {
    const styles: AuthStyle[] = knownStyle ? [knownStyle] : ["header", "params"];
    let refusal = "";
    for (const style of styles) {
      const response = await request(style, signal);
      if (response.status >= 200 && response.status < 300) {
        knownStyle = style;
        const contentType = response.headers?.["content-type"];
        return parseTokenResponse(
          response.body,
          typeof contentType === "string" ? contentType : undefined,
          now(),
        );
      }
      refusal = describeRefusal(response.status, response.body);
    }
    throw new Error(`the token endpoint refused the client credentials (${refusal})`);
  }

  return {
    async token(signal) {
      if (cached && (cached.expiresAt === undefined || cached.expiresAt - EXPIRY_DELTA_MS > now())) {
        return cached;
      }
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      try {
        cached = await pending;
      } catch (error) {
        if (signal.aborted) throw error;
        throw new Error(
          `cannot get an OAuth2 token from ${config.endpointLabel}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      return cached;
    },
  };
}
