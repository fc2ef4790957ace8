import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join, posix } from "node:path";
import type { ConnectionOptions } from "node:tls";

/**
 * Vault's HTTP API (`/v1/<path>`, JSON in and out, `X-Vault-Token`, `X-Vault-Namespace`), spoken
 * directly: the few calls Tidal makes need no client library. Settings a Vault client reads from
 * its environment (VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, ...) are read as KEDA's Go client
 * reads them from the operator's environment.
 */

/** What Vault answers for a secret, a login or a token lookup. */
export interface VaultAnswer {
  data?: Record<string, unknown> | null;
  auth?: { client_token?: string; renewable?: boolean; lease_duration?: number } | null;
  warnings?: string[] | null;
}

/** An error answer: HTTP status and Vault's `errors` list (which never holds the request's token). */
export class VaultError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "VaultError";
    this.status = status;
  }
}

export interface VaultClientOptions {
  address: string;
  /** Vault Enterprise / OpenBao namespace (X-Vault-Namespace). */
  namespace?: string | undefined;
  token?: string | undefined;
  tls: ConnectionOptions;
  /** Deadline of each call. */
  signal?: AbortSignal | undefined;
}

/** KEDA's Go client waits 60 s for an answer. */
const CALL_TIMEOUT_MS = 60_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** TLS settings from VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT/KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY. */
export function vaultTlsFromEnv(env: Readonly<Record<string, string | undefined>>): ConnectionOptions {
  const tls: ConnectionOptions = {};
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(
        `${variable}: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? error}`,
        { cause: error },
      );
    }
  };
  const cas: string[] = [];
  if (env.VAULT_CACERT) cas.push(read("VAULT_CACERT", env.VAULT_CACERT));
  else if (env.VAULT_CAPATH) {
    const folder = env.VAULT_CAPATH;
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch (error) {
      throw new Error(
        `VAULT_CAPATH: cannot read "${folder}": ${(error as NodeJS.ErrnoException).code ?? error}`,
        { cause: error },
      );
    }
    for (const name of names.sort()) cas.push(read("VAULT_CAPATH", join(folder, name)));
  }
  if (cas.length > 0) tls.ca = cas;
  if (env.VAULT_CLIENT_CERT && env.VAULT_CLIENT_KEY) {
    tls.cert = read("VAULT_CLIENT_CERT", env.VAULT_CLIENT_CERT);
    tls.key = read("VAULT_CLIENT_KEY", env.VAULT_CLIENT_KEY);
  }
  if (env.VAULT_TLS_SERVER_NAME) tls.servername = env.VAULT_TLS_SERVER_NAME;
  const skip = env.VAULT_SKIP_VERIFY?.trim().toLowerCase();
  if (skip !== undefined && ["1", "t", "true"].includes(skip)) tls.rejectUnauthorized = false;
  return tls;
}

/** The URL of API path `path` on a Vault at `address` (a path in the address is kept, as Go's client does). */
export function vaultUrl(address: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`address "${address}" is not a URL such as https://vault.example:8200`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`address "${address}" must start with http:// or https://`);
  url.pathname = posix.join(url.pathname, "v1", path);
  return url;
}

/** One call to Vault's API; resolves to its JSON answer, or undefined for 404 without errors (a missing secret). */
export async function vaultCall(
  options: VaultClientOptions,
  method: "GET" | "POST" | "PUT",
  path: string,
  body?: unknown,
): Promise<VaultAnswer | undefined> {
  const url = vaultUrl(options.address, path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { "X-Vault-Request": "true", accept: "application/json" };
  if (options.token) headers["X-Vault-Token"] = options.token;
  if (options.namespace) headers["X-Vault-Namespace"] = options.namespace;
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const call = (url.protocol === "https:" ? https : http).request(
      url,
      { ...(url.protocol === "https:" ? options.tls : {}), method, headers, signal, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) response.destroy(new Error("answer larger than 4 MiB"));
          else chunks.push(chunk);
        });
        response.on("error", reject);
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    call.on("error", (error: NodeJS.ErrnoException) => {
      if (signal.aborted)
        reject(
          new Error(
            timeout.aborted ? `no answer from ${url.origin} within ${CALL_TIMEOUT_MS / 1000}s` : "cancelled",
          ),
        );
      else reject(new Error(`cannot reach ${url.origin}: ${error.code ?? error.message}`));
    });
    call.end(payload);
  });
  let parsed: (VaultAnswer & { errors?: unknown }) | undefined;
  try {
    parsed = text.trim() === "" ? undefined : (JSON.parse(text) as VaultAnswer & { errors?: unknown });
  } catch {
    parsed = undefined;
  }
  const errors = Array.isArray(parsed?.errors) ? parsed.errors.map(String).filter(Boolean) : [];
  if (status === 404 && errors.length === 0) return undefined;
  if (status >= 200 && status < 300) {
    if (status === 204) return {};
    if (parsed === undefined)
      throw new VaultError(status, `${method} ${url.pathname}: the answer is not JSON`);
    return parsed;
  }
  const detail = errors.length > 0 ? errors.join("; ").slice(0, 500) : text.slice(0, 200) || "no details";
  throw new VaultError(status, `${method} ${url.pathname}: HTTP ${status}: ${detail}`);
}
