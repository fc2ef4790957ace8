import type { ServiceAccountToken } from "../../auth/sources.ts";
import { parseDuration } from "../../util/go/duration.ts";
import { isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";

const HOUR_MS = 3_600_000;

/**
 * KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY as KEDA reads it: a Go duration from 1h to 6h, 1h when
 * unset or empty. An invalid value stops the operator at start, as it stops KEDA's.
 */
export function boundTokenExpirySeconds(raw: string | undefined): number {
  if (raw === undefined || raw === "") return HOUR_MS / 1000;
  const ms = /^\d+$/.test(raw) && raw !== "0" ? undefined : parseDuration(raw);
  if (ms === undefined)
    throw new Error(`KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY is not a duration such as 1h or 90m: "${raw}"`);
  if (ms < HOUR_MS || ms > 6 * HOUR_MS)
    throw new Error(`KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY must be between 1h and 6h, got ${raw}`);
  return Math.floor(ms / 1000);
}

interface TokenRequestAnswer {
  status?: { token?: string; expirationTimestamp?: string };
}

/**
 * Service account tokens from the TokenRequest API (`create serviceaccounts/token`), as KEDA asks
 * for them: the API server's default audience and KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY. Where
 * KEDA asks for a new token each time it builds a scaler, one token per service account is shared
 * until 80% of its lifetime has passed (when a kubelet refreshes projected tokens); triggers that
 * use it are rebuilt then, so a token never reaches its expiry in use.
 */
export class ServiceAccountTokens {
  readonly #api: KubeClient;
  readonly #expirationSeconds: number;
  readonly #now: () => number;
  readonly #tokens = new Map<string, Promise<ServiceAccountToken>>();

  constructor(api: KubeClient, options: { expirationSeconds: number; now?: () => number }) {
    this.#api = api;
    this.#expirationSeconds = options.expirationSeconds;
    this.#now = options.now ?? Date.now;
  }

  async get(namespace: string, name: string): Promise<ServiceAccountToken> {
    const key = `${namespace}/${name}`;
    const cached = this.#tokens.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && this.#now() < token.refreshAt) return token;
      if (this.#tokens.get(key) !== cached) return this.get(namespace, name);
    }
    const pending = this.#request(namespace, name);
    this.#tokens.set(key, pending);
    pending.catch(() => {
      if (this.#tokens.get(key) === pending) this.#tokens.delete(key);
    });
    return pending;
  }

  async #request(namespace: string, name: string): Promise<ServiceAccountToken> {
    const issuedAt = this.#now();
    let answer: TokenRequestAnswer;
    try {
      answer = await this.#api.create<TokenRequestAnswer>(
        resourcePath("v1", "serviceaccounts", namespace, name, "token"),
        {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: this.#expirationSeconds },
        },
      );
    } catch (error) {
      if (isNotFound(error))
        throw new Error(`service account "${name}" not found in namespace "${namespace}"`, { cause: error });
      throw new Error(
        `cannot request a token for service account "${name}" in namespace "${namespace}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    const token = answer.status?.token;
    if (!token)
      throw new Error(
        `the TokenRequest for service account "${name}" in namespace "${namespace}" returned no token`,
      );
    const stated = Date.parse(answer.status?.expirationTimestamp ?? "");
    const expiresAt = Number.isFinite(stated) ? stated : issuedAt + this.#expirationSeconds * 1000;
    return { token, expiresAt, refreshAt: issuedAt + Math.max(0, expiresAt - issuedAt) * 0.8 };
  }
}
