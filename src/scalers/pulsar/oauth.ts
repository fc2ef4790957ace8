import { STATUS_CODES } from "node:http";
import { bodyExcerpt } from "../shared/excerpt.ts";
import type { HttpClient } from "../shared/http-get.ts";

/** An OAuth 2.0 client-credentials grant (RFC 6749 §4.4), as Go's clientcredentials package asks for it. */
export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  /** Extra form fields (e.g. audience). */
  endpointParams: Readonly<Record<string, readonly string[]>>;
}

/** Go's oauth2 renews a token this long before it expires. */
const EXPIRY_DELTA_MS = 10_000;

/**
 * A token source that fetches an access token with the client's credentials and reuses it until
 * shortly before it expires. Like Go's AuthStyleAutoDetect it first sends the credentials as HTTP
 * basic authentication and, if the server refuses that, in the form.
 */
export function clientCredentialsTokens(
  http: HttpClient,
  credentials: ClientCredentials,
  now: () => number = Date.now,
) {
  let cached: { token: string; expiresAt: number } | undefined;
  let credentialsInForm = false;

  const form = (withCredentials: boolean) => {
    const fields = new URLSearchParams({ grant_type: "client_credentials" });
    if (credentials.scopes.length > 0) fields.set("scope", credentials.scopes.join(" "));
    for (const [key, values] of Object.entries(credentials.endpointParams)) {
      for (const value of values) fields.append(key, value);
    }
    if (withCredentials) {
      fields.set("client_id", credentials.clientId);
      fields.set("client_secret", credentials.clientSecret);
    }
    return fields.toString();
  };

  const request = (inForm: boolean, signal: AbortSignal) => {
    const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
    if (!inForm) {
      const user = `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(user).toString("base64")}`;
    }
    return http.post(new URL(credentials.tokenUrl), headers, form(inForm), signal);
  };

  return async function token(signal: AbortSignal): Promise<string> {
    if (cached && cached.expiresAt > now()) return cached.token;
    let response = await request(credentialsInForm, signal);
    if (!credentialsInForm && response.status >= 400 && response.status < 500) {
      const retry = await request(true, signal);
      if (retry.status < 300) credentialsInForm = true;
      response = retry.status < 300 ? retry : response;
    }
    if (response.status < 200 || response.status > 299) {
      throw new Error(
        `oauth2: cannot fetch token: ${response.status} ${STATUS_CODES[response.status] ?? ""} Response: ${bodyExcerpt(response.body, 200)}`,
      );
    }
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(response.body) as typeof parsed;
    } catch {
      parsed = Object.fromEntries(new URLSearchParams(response.body));
    }
    if (typeof parsed.access_token !== "string" || parsed.access_token === "") {
      throw new Error("oauth2: server response missing access_token");
    }
    const expiresIn = Number(parsed.expires_in);
    cached = {
      token: parsed.access_token,
      expiresAt:
        Number.isFinite(expiresIn) && expiresIn > 0 ? now() + expiresIn * 1000 - EXPIRY_DELTA_MS : Infinity,
    };
    return cached.token;
  };
}

/** Go's url.ParseQuery for endpointParams: `audience=abc&x=1` as lists of values. */
export function parseEndpointParams(text: string | undefined): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(text ?? "")) (values[key] ??= []).push(value);
  return values;
}
