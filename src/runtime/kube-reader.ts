import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import type { KubernetesAccess } from "../scalers/types.ts";

/** An error answer of the Kubernetes API: its message, and its HTTP status. */
export class KubernetesReadError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = "KubernetesReadError";
    this.status = status;
  }
}

/**
 * Read access to the cluster for kubernetes-* triggers in `tidal run` and `tidal probe`: the
 * kubeconfig kubectl would use ($KUBECONFIG, else ~/.kube/config), loaded with
 * @kubernetes/client-node on the first read. Without one, every read fails with the reason, which
 * becomes the trigger's error; triggers of other types never load anything.
 */
export function kubeconfigAccess(env: { KUBECONFIG?: string | undefined }): () => Promise<KubernetesAccess> {
  let access: Promise<KubernetesAccess> | undefined;
  return () => (access ??= connect(env));
}

async function connect(env: { KUBECONFIG?: string | undefined }): Promise<KubernetesAccess> {
  if (!env.KUBECONFIG && !existsSync(join(homedir(), ".kube", "config"))) {
    throw new KubernetesReadError(
      "this trigger reads the Kubernetes API, and no cluster is configured: set KUBECONFIG or create ~/.kube/config",
    );
  }
  const { KubeConfig } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  config.loadFromDefault();
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new KubernetesReadError("the kubeconfig names no current cluster");
  const server = new URL(cluster.server);
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  return { get: (path, signal) => getJson(server, path, options, signal) };
}

function getJson<T>(server: URL, path: string, options: RequestOptions, signal: AbortSignal): Promise<T> {
  const url = new URL(path, server);
  const request = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise<T>((resolve, reject) => {
    const call = request(
      url,
      {
        ...options,
        method: "GET",
        signal,
        headers: { ...(options.headers as Record<string, string> | undefined), accept: "application/json" },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(
                new KubernetesReadError(
                  `the API server at ${server.origin} answered with something that is not JSON`,
                ),
              );
            }
            return;
          }
          let message = text.slice(0, 300) || `HTTP ${status}`;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? message;
          } catch {
            // not a Status object; keep the text
          }
          reject(new KubernetesReadError(message, status));
        });
      },
    );
    call.on("error", (error) =>
      reject(new KubernetesReadError(`cannot reach the API server at ${server.origin}: ${error.message}`)),
    );
    call.end();
  });
}
