import { createHash, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AuthClient } from "google-auth-library";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { messageOf } from "../../util/errors.ts";
import { createRedactor } from "../../util/redact.ts";

/**
 * Google Cloud credentials as KEDA reads them, for the gcp scalers and the gcpSecretManager store:
 * a service-account key (JSON) given as a parameter, through an environment variable or in a file,
 * or the workload's own identity (`podIdentity.provider: gcp`: Application Default Credentials,
 * which on GKE means the metadata server and workload identity). The SDKs are loaded only when a
 * client is built, by the modules that build one.
 */

/** Where a trigger's (or store's) Google credentials come from. */
export type GcpCredentialSource =
  | { kind: "workload" }
  /** A service-account key's JSON; `origin` names where it came from, for messages. */
  | { kind: "key"; json: string; origin: string }
  /** A file holding a service-account key. */
  | { kind: "keyFile"; path: string; origin: string };

export interface GcpCredentialInputs {
  podIdentity?: PodIdentity | undefined;
  /** The authentication parameter `GoogleApplicationCredentials`. */
  applicationCredentials?: string | undefined;
  /** The value of the variable `credentialsFromEnv` names. */
  credentialsFromEnv?: string | undefined;
  /** The path in the variable `credentialsFromEnvFile` names. */
  credentialsFile?: string | undefined;
}

/**
 * KEDA's order: podIdentity provider `gcp`, then the authentication parameter
 * GoogleApplicationCredentials, then credentialsFromEnv, then credentialsFromEnvFile. Undefined
 * when none is given.
 */
export function gcpCredentialSource(inputs: GcpCredentialInputs): GcpCredentialSource | undefined {
  if (inputs.podIdentity?.provider === "gcp") return { kind: "workload" };
  if (inputs.applicationCredentials) {
    return { kind: "key", json: inputs.applicationCredentials, origin: "GoogleApplicationCredentials" };
  }
  if (inputs.credentialsFromEnv) {
    return { kind: "key", json: inputs.credentialsFromEnv, origin: "the variable credentialsFromEnv names" };
  }
  if (inputs.credentialsFile) {
    return {
      kind: "keyFile",
      path: inputs.credentialsFile,
      origin: `the key file ${inputs.credentialsFile} (credentialsFromEnvFile)`,
    };
  }
  return undefined;
}

/** What a scaler says when a trigger has no Google credentials at all. */
export const NO_GCP_CREDENTIALS =
  "no Google credentials: give a service-account key as the authentication parameter GoogleApplicationCredentials, " +
  "through credentialsFromEnv or credentialsFromEnvFile, or use a TriggerAuthentication with podIdentity provider gcp";

/** A service-account key file's fields (snake_case, as Google writes them). */
export interface ServiceAccountKey {
  type: "service_account";
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  universe_domain?: string;
  [field: string]: unknown;
}

/**
 * Reads a service-account key as KEDA does (only type service_account). Errors say what is wrong
 * and where the key came from, and never quote any part of it.
 */
export function parseServiceAccountKey(text: string, origin: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text it failed on: its message must not leave here.
    throw new Error(`${origin} is not JSON: give the contents of a service-account key file`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${origin} is not a JSON object: give the contents of a service-account key file`);
  }
  const key = parsed as Record<string, unknown>;
  if (key.type !== "service_account") {
    const type = typeof key.type === "string" && /^[\w-]{1,40}$/.test(key.type) ? `"${key.type}"` : "missing";
    throw new Error(
      `${origin} is not a service-account key (its type is ${type}; it must be "service_account")`,
    );
  }
  for (const field of ["client_email", "private_key"] as const) {
    if (typeof key[field] !== "string" || key[field] === "") {
      throw new Error(`${origin} has no ${field}: give the whole service-account key file`);
    }
  }
  try {
    createPrivateKey(key.private_key as string);
  } catch {
    throw new Error(`the private_key in ${origin} is not a PEM private key`);
  }
  return key as ServiceAccountKey;
}

/** What a Google SDK client is built with. */
export interface GcpClientOptions {
  /** The key's client; absent means Application Default Credentials (the workload's identity). */
  authClient?: AuthClient;
  /** The key's project_id, or the workload's project. */
  projectId?: string;
}

/** A loaded credential: what an SDK client needs, and what messages must never show. */
export interface GcpIdentity {
  /** For connection pools: a digest of the credential, never the credential. */
  readonly id: string;
  /** The service-account key, or undefined for the workload's identity. */
  readonly key: ServiceAccountKey | undefined;
  /**
   * Options for one SDK client (each gets its own auth client: the libraries configure it). With
   * `scopes` the key exchanges a signed assertion for an access token, as Cloud Storage's client
   * does; without, the API libraries (google-gax) sign their own tokens (self-signed JWTs).
   */
  clientOptions(scopes?: readonly string[]): Promise<GcpClientOptions>;
  /** Removes the key (whole or any secret field of it) from a text. */
  redact(text: string): string;
}

/** Reads the key (a file is read now) and checks it. Errors never quote the key. */
export async function loadGcpIdentity(source: GcpCredentialSource): Promise<GcpIdentity> {
  if (source.kind === "workload") {
    return {
      id: "workload",
      key: undefined,
      // Naming the project spares the libraries their own search for it, which runs the gcloud
      // command; when it cannot be found here they search as usual.
      clientOptions: async () => {
        const projectId = await workloadProjectId().catch(() => undefined);
        return projectId ? { projectId } : {};
      },
      redact: (text) => text,
    };
  }
  let json: string;
  if (source.kind === "keyFile") {
    try {
      json = await readFile(source.path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot read ${source.origin}: ${code === "ENOENT" ? "no such file" : (code ?? "read failed")}`,
        { cause: error },
      );
    }
  } else json = source.json;
  const redact = createRedactor([json, ...keySecrets(json)]);
  const key = parseServiceAccountKey(json, source.origin);
  return {
    id: createHash("sha256").update(json).digest("hex").slice(0, 32),
    key,
    async clientOptions(scopes) {
      const { JWT } = await import("google-auth-library");
      const authClient = new JWT({
        email: key.client_email,
        key: key.private_key,
        ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
        ...(scopes ? { scopes: [...scopes] } : {}),
        ...(key.universe_domain ? { universeDomain: key.universe_domain } : {}),
      });
      return { authClient, ...(key.project_id ? { projectId: key.project_id } : {}) };
    },
    redact,
  };
}

/** The parts of a key text that must never be shown: the private key, each of its lines, its id. */
function keySecrets(json: string): string[] {
  try {
    const parsed = JSON.parse(json) as Record<string, unknown>;
    const privateKey = typeof parsed.private_key === "string" ? parsed.private_key : "";
    return [
      privateKey,
      ...privateKey.split("\n").filter((line) => line.length >= 16 && !line.startsWith("-----")),
      typeof parsed.private_key_id === "string" ? parsed.private_key_id : "",
    ];
  } catch {
    return [];
  }
}

/**
 * The project of the workload's identity, as KEDA finds it: CLOUDSDK_CORE_PROJECT (set by the
 * workload-identity hook outside GKE), else the metadata server's project-id.
 */
export async function workloadProjectId(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.CLOUDSDK_CORE_PROJECT;
  if (fromEnv !== undefined) return fromEnv;
  const { gcpMetadata } = await import("google-auth-library");
  try {
    const project: unknown = await gcpMetadata.project("project-id");
    return String(project);
  } catch (error) {
    throw new Error(
      `cannot find the Google Cloud project of the workload identity: set CLOUDSDK_CORE_PROJECT, or run where the metadata server answers (${messageOf(error)})`,
      { cause: error },
    );
  }
}

/** Google APIs Tidal calls, and the variable that points each at another endpoint. */
export const GCP_ENDPOINT_VARIABLES = {
  monitoring: "TIDAL_GCP_MONITORING_ENDPOINT",
  secretmanager: "TIDAL_GCP_SECRET_MANAGER_ENDPOINT",
  storage: "TIDAL_GCP_STORAGE_ENDPOINT",
  spanner: "TIDAL_GCP_SPANNER_ENDPOINT",
} as const;
export type GcpApi = keyof typeof GCP_ENDPOINT_VARIABLES;

export interface GcpEndpoint {
  protocol: "http" | "https";
  host: string;
  port: number;
  /** `http://127.0.0.1:8085`, for messages and the storage client. */
  origin: string;
}

/**
 * The endpoint an API is pointed at by Tidal's environment (`TIDAL_GCP_<API>_ENDPOINT`: a URL, or
 * host:port for HTTPS), e.g. a private endpoint or a local stand-in; undefined means Google's.
 */
export function gcpEndpointOverride(
  api: GcpApi,
  env: NodeJS.ProcessEnv = process.env,
): GcpEndpoint | undefined {
  const variable = GCP_ENDPOINT_VARIABLES[api];
  const raw = env[variable]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    throw new Error(
      `${variable} "${raw}" is not a URL such as https://monitoring.example.com or http://127.0.0.1:8085`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${variable} "${raw}" must be an http or https URL`);
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  const port = url.port ? Number(url.port) : protocol === "http" ? 80 : 443;
  return { protocol, host: url.hostname, port, origin: `${protocol}://${url.host}` };
}

/**
 * Options for a Google API client library (google-gax) over its REST transport, the transport Tidal
 * uses for Cloud Monitoring and Secret Manager (HTTP/1.1 and JSON, with the same requests and
 * answers as gRPC): Google's endpoint, or the override's.
 */
export function gapicRestOptions(api: GcpApi, env: NodeJS.ProcessEnv = process.env) {
  const endpoint = gcpEndpointOverride(api, env);
  return {
    fallback: true as const,
    ...(endpoint ? { apiEndpoint: endpoint.host, port: endpoint.port, protocol: endpoint.protocol } : {}),
  };
}

/** Where an API call went, for messages. */
export function gcpEndpointLabel(api: GcpApi, env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = gcpEndpointOverride(api, env);
  if (endpoint) return endpoint.origin;
  return api === "storage" ? "storage.googleapis.com" : `${api}.googleapis.com`;
}

const STATUS_NAMES: Record<number, string> = {
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  16: "UNAUTHENTICATED",
};

/** Canonical names of the HTTP statuses the JSON APIs (Cloud Storage) answer with. */
const HTTP_STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

/**
 * One line for a failed Google API call: what was asked, the canonical status and Google's own
 * message, with a hint for the usual causes. Never a stack trace; the caller redacts keys.
 */
export function describeGcpError(error: unknown, what: string, endpoint: string): string {
  const code = (error as { code?: unknown }).code;
  const text = messageOf(error);
  // A request that never got an answer (the client library retried it until its deadline).
  const reason = /reason: (.+?)(?:\s+before any response was received|\s*:\s*Previous errors|\n|$)/.exec(
    text,
  )?.[1];
  if (reason !== undefined) return `${what}: cannot reach ${endpoint} (${reason.trim()})`;
  const message = text
    .replace(/^\d+ [A-Z_]+: /, "")
    .split("\n")[0]
    ?.trim();
  const status = typeof code === "number" ? (STATUS_NAMES[code] ?? HTTP_STATUS_NAMES[code]) : undefined;
  if (status === "UNAUTHENTICATED") {
    return `${what}: Google rejected the credentials (UNAUTHENTICATED: ${message}); check the service-account key or the workload identity`;
  }
  if (status === "PERMISSION_DENIED") {
    return `${what}: permission denied (${message}); grant the service account access`;
  }
  if (status === "NOT_FOUND") return `${what}: not found (${message})`;
  if (status === "UNAVAILABLE" || status === "DEADLINE_EXCEEDED" || typeof code === "string") {
    return `${what}: cannot reach ${endpoint} (${status ?? code}: ${message})`;
  }
  return `${what}: ${status ? `${status}: ` : ""}${message}`;
}

/**
 * The deadline to give a client library's call inside a measurement of `timeoutMs`: a little
 * shorter, so that the library's own error (with the cause of its retries) arrives first.
 */
export function sdkCallTimeout(timeoutMs: number): number {
  return Math.max(100, timeoutMs - Math.min(500, Math.floor(timeoutMs / 5)));
}

/** Rejects as soon as `signal` aborts, whatever `work` does (SDK calls that take no signal). */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new Error("the measurement was aborted");
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error("the measurement was aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
