import { KubeConfig } from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import { Agent, request, type RequestOptions } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";

/** An error answer from the API server, with its HTTP status and the Status object's reason. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown) => error instanceof KubeApiError && error.status === 409;

export type PatchType = "merge" | "json" | "strategic" | "apply";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  // Server-side apply (the path carries ?fieldManager=...); JSON is YAML.
  apply: "application/apply-patch+yaml",
};

/** The environment variables that say where a cluster is, as the command read them. */
export interface ClusterEnvironment {
  KUBECONFIG?: string | undefined;
  KUBERNETES_SERVICE_HOST?: string | undefined;
}

/** Loads a kubeconfig: the given file, else in-cluster, else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(file: string | undefined, env: ClusterEnvironment): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else {
    // With nothing to read, the client would quietly try http://localhost:8080 forever.
    if (!env.KUBECONFIG && !env.KUBERNETES_SERVICE_HOST && !existsSync(join(homedir(), ".kube", "config"))) {
      throw new Error(
        "no cluster configured: pass --kubeconfig FILE or set KUBECONFIG (inside a Pod, its service account is used)",
      );
    }
    config.loadFromDefault();
  }
  if (config.getCurrentCluster() === null) throw new Error("the kubeconfig names no current cluster");
  return config;
}

/** JSON calls against the Kubernetes API for any path; errors are KubeApiErrors. */
export interface KubeClient {
  get<T>(path: string): Promise<T>;
  create<T>(path: string, body: unknown): Promise<T>;
  replace<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown, type?: PatchType): Promise<T>;
  delete<T>(path: string, body?: unknown): Promise<T>;
}

/**
 * The Kubernetes API for any path, using the kubeconfig's credentials and TLS settings from
 * @kubernetes/client-node. One keep-alive agent carries every call.
 */
export class KubeApi implements KubeClient {
  readonly config: KubeConfig;
  readonly #server: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32 });
  #tlsOptions: RequestOptions | undefined;

  constructor(config: KubeConfig) {
    this.config = config;
    this.#server = new URL(config.getCurrentCluster()?.server ?? "https://127.0.0.1");
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  replace<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }

  patch<T>(path: string, body: unknown, type: PatchType = "merge"): Promise<T> {
    return this.request<T>("PATCH", path, body, PATCH_CONTENT_TYPES[type]);
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("DELETE", path, body);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    if (this.#tlsOptions === undefined) {
      const options: RequestOptions = {};
      await this.config.applyToHTTPSOptions(options);
      this.#tlsOptions = options;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.#server);
    return new Promise<T>((resolve, reject) => {
      const call = request(
        url,
        {
          ...this.#tlsOptions,
          method,
          agent: this.#agent,
          timeout: 30_000,
          headers: {
            ...(this.#tlsOptions?.headers as Record<string, string> | undefined),
            accept: "application/json",
            ...(payload === undefined
              ? {}
              : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve((text ? JSON.parse(text) : {}) as T);
              return;
            }
            let reason = "";
            let message = text.slice(0, 500) || `HTTP ${status}`;
            try {
              const parsed = JSON.parse(text) as { reason?: string; message?: string };
              reason = parsed.reason ?? "";
              message = parsed.message ?? message;
            } catch {
              // not a Status object; keep the raw text
            }
            reject(new KubeApiError(status, reason, `${method} ${url.pathname}: ${message}`));
          });
        },
      );
      call.on("timeout", () => call.destroy(new Error(`${method} ${url.pathname}: no answer within 30 s`)));
      call.on("error", reject);
      call.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** `/apis/group/version` or `/api/v1` for an apiVersion. */
export function apiPrefix(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The path of a namespaced resource collection or object. */
export function resourcePath(
  apiVersion: string,
  plural: string,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let path = apiPrefix(apiVersion);
  if (namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}
