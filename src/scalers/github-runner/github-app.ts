import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import type { HttpClient } from "../shared/http-get.ts";

/**
 * GitHub App authentication as KEDA's client does it (ghinstallation): a JWT signed with the
 * app's private key (RS256, issuer the app id) is exchanged at
 * `POST /app/installations/{id}/access_tokens` for an installation token, which is sent as
 * `Authorization: token …` until shortly before it expires.
 */

/** Reads the app's private key (PEM); the error never quotes it. */
export function appPrivateKey(pem: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") throw new Error("not RSA");
    return key;
  } catch {
    throw new Error("appKey is not an RSA private key in PEM form: give the GitHub App's private key file");
  }
}

/** The app's JWT: issued 30 s ago (clock skew), valid for 2 minutes from then. */
export function appJwt(applicationId: string, key: KeyObject, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000) - 30;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: issuedAt, exp: issuedAt + 120, iss: applicationId })}`;
  return `${unsigned}.${sign("RSA-SHA256", Buffer.from(unsigned), key).toString("base64url")}`;
}

export class InstallationToken {
  readonly #apiUrl: string;
  readonly #applicationId: string;
  readonly #installationId: string;
  readonly #key: KeyObject;
  readonly #client: HttpClient;
  #token: { value: string; expiresAt: number } | undefined;

  constructor(options: {
    apiUrl: string;
    applicationId: string;
    installationId: string;
    key: KeyObject;
    client: HttpClient;
  }) {
    this.#apiUrl = options.apiUrl;
    this.#applicationId = options.applicationId;
    this.#installationId = options.installationId;
    this.#key = options.key;
    this.#client = options.client;
  }

  /** A valid installation token, requesting a new one a minute before the current one expires. */
  async get(signal: AbortSignal): Promise<string> {
    if (this.#token && this.#token.expiresAt - 60_000 > Date.now()) return this.#token.value;
    const url = new URL(`${this.#apiUrl}/app/installations/${this.#installationId}/access_tokens`);
    const response = await this.#client.post(
      url,
      {
        Accept: "application/vnd.github.v3+json",
        Authorization: `Bearer ${appJwt(this.#applicationId, this.#key)}`,
      },
      "",
      signal,
    );
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(
        `GitHub refused an installation token for app ${this.#applicationId}, installation ${this.#installationId} (HTTP ${response.status}): ${githubMessage(response.body)}`,
      );
    }
    let parsed: { token?: unknown; expires_at?: unknown };
    try {
      parsed = JSON.parse(response.body) as typeof parsed;
    } catch {
      throw new Error("GitHub answered the installation token request with something that is not JSON");
    }
    if (typeof parsed.token !== "string") throw new Error("GitHub's installation token answer has no token");
    const expiresAt = typeof parsed.expires_at === "string" ? Date.parse(parsed.expires_at) : Number.NaN;
    this.#token = {
      value: parsed.token,
      expiresAt: Number.isNaN(expiresAt) ? Date.now() + 3_600_000 : expiresAt,
    };
    return parsed.token;
  }
}

/** GitHub's error body is `{"message": …, "documentation_url": …}`. */
export function githubMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 200);
}
