import { bodyExcerpt } from "../shared/excerpt.ts";
import type { HttpClient } from "../shared/http-get.ts";

/**
 * OpenStack Identity (Keystone v3) as KEDA's OpenStack scalers use it: a token from
 * `POST <authURL>/v3/auth/tokens` (password or application credential), the service catalog that
 * comes with it, and `HEAD /v3/auth/tokens` to check that a token is still valid.
 */

export interface KeystoneCredentials {
  authUrl: string;
  userId?: string | undefined;
  password?: string | undefined;
  /** Scope the password token to this project; without it Keystone scopes to the user's default project. */
  projectId?: string | undefined;
  appCredentialId?: string | undefined;
  appCredentialSecret?: string | undefined;
}

export interface CatalogEndpoint {
  url: string;
  interface: string;
  region?: string;
  region_id?: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface KeystoneToken {
  token: string;
  catalog: CatalogService[];
}

/**
 * The Identity API's v3 base: `authURL` itself when it already ends in `/v3` (KEDA's documentation
 * writes `http://keystone:5000/v3/`), else `authURL` + `/v3`.
 */
export function identityV3Base(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

/** The body of a token request for the credentials. */
export function tokenRequestBody(credentials: KeystoneCredentials): unknown {
  if (credentials.appCredentialId || (!credentials.userId && credentials.appCredentialSecret)) {
    return {
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: {
            id: credentials.appCredentialId ?? "",
            secret: credentials.appCredentialSecret ?? "",
          },
        },
      },
    };
  }
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { id: credentials.userId ?? "", password: credentials.password ?? "" } },
      },
      ...(credentials.projectId ? { scope: { project: { id: credentials.projectId } } } : {}),
    },
  };
}

/** The message of an OpenStack service's error body (Keystone's or Gnocchi's), else the text. */
export function openstackErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: unknown; title?: unknown };
      description?: unknown;
    };
    // Keystone: {"error": {"message"}}; Gnocchi: {"description"}.
    const message = parsed.error?.message ?? parsed.error?.title ?? parsed.description;
    if (typeof message === "string") return message;
  } catch {
    // not JSON
  }
  return bodyExcerpt(body);
}

function headerValue(headers: HttpResponseHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

type HttpResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * A Keystone session of one trigger: the token is requested on first use and kept until
 * `invalidate()` (a service refused it) or until `validate()` finds Keystone no longer accepts it.
 */
export class KeystoneSession {
  readonly #credentials: KeystoneCredentials;
  readonly #client: HttpClient;
  #current: KeystoneToken | undefined;

  constructor(credentials: KeystoneCredentials, client: HttpClient) {
    this.#credentials = credentials;
    this.#client = client;
  }

  /** The current token, requesting one when there is none. */
  async token(signal: AbortSignal): Promise<KeystoneToken> {
    this.#current ??= await this.#request(signal);
    return this.#current;
  }

  invalidate(): void {
    this.#current = undefined;
  }

  /**
   * KEDA's check before each read of the metrics scaler: `HEAD /v3/auth/tokens` with the token as
   * both subject and authority; an answer of 400 or more means a new token is needed.
   */
  async validToken(signal: AbortSignal): Promise<KeystoneToken> {
    const current = await this.token(signal);
    const url = new URL(`${identityV3Base(this.#credentials.authUrl)}/auth/tokens`);
    const response = await this.#client.send(
      "HEAD",
      url,
      { "X-Auth-Token": current.token, "X-Subject-Token": current.token },
      undefined,
      signal,
    );
    if (response.status < 400) return current;
    this.invalidate();
    return this.token(signal);
  }

  async #request(signal: AbortSignal): Promise<KeystoneToken> {
    const url = new URL(`${identityV3Base(this.#credentials.authUrl)}/auth/tokens`);
    const response = await this.#client.send(
      "POST",
      url,
      { "Content-Type": "application/json", Accept: "application/json" },
      JSON.stringify(tokenRequestBody(this.#credentials)),
      signal,
    );
    if (response.status < 200 || response.status >= 300) {
      const hint =
        response.status === 401
          ? " (check the user id and password, or the application credential)"
          : response.status === 404
            ? " (check authURL: it must be Keystone's address, e.g. http://keystone:5000/v3)"
            : "";
      throw new Error(
        `Keystone refused a token (HTTP ${response.status})${hint}: ${openstackErrorMessage(response.body)}`,
      );
    }
    const token = headerValue(response.headers, "x-subject-token");
    if (!token) throw new Error("Keystone answered without an X-Subject-Token header");
    let catalog: CatalogService[] = [];
    try {
      const parsed = JSON.parse(response.body) as { token?: { catalog?: CatalogService[] } };
      catalog = parsed.token?.catalog ?? [];
    } catch {
      // A token without a readable catalog still authenticates; a lookup in it then finds nothing.
    }
    return { token, catalog };
  }
}

/**
 * The public endpoint of a service type in the catalog (in `region` when given), as gophercloud
 * picks it: exactly one must match.
 */
export function catalogEndpoint(catalog: readonly CatalogService[], type: string, region?: string): string {
  const matches = catalog
    .filter((service) => service.type === type)
    .flatMap((service) => service.endpoints)
    .filter(
      (endpoint) =>
        endpoint.interface === "public" &&
        (!region || endpoint.region === region || endpoint.region_id === region),
    );
  if (matches.length === 0) {
    throw new Error(
      `no public ${type} endpoint${region ? ` in region ${region}` : ""} in the service catalog: set the URL in the trigger, or check regionName`,
    );
  }
  if (matches.length > 1) {
    throw new Error(
      `${matches.length} public ${type} endpoints in the service catalog (${matches.map((endpoint) => endpoint.region ?? "no region").join(", ")}): set regionName or the URL in the trigger`,
    );
  }
  return (matches[0] as CatalogEndpoint).url;
}
