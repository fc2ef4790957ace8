/**
 * A small client of the local control plane's API for the bench: JSON over HTTPS with the admin
 * certificate of a kubeconfig (scripts/kube.sh writes one with embedded data), keep-alive, and
 * bounded concurrency for bulk creates. Nothing here retries: an error names the request.
 */
import { readFileSync } from "node:fs";
import https from "node:https";

export interface KubeCredentials {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The first cluster and user of a kubeconfig with `*-data` fields (as scripts/kube.sh writes). */
export function readKubeconfig(path: string): KubeCredentials {
  const text = readFileSync(path, "utf8");
  const field = (name: string): string => {
    const match = new RegExp(`^\\s*${name}:\\s*(\\S+)\\s*$`, "m").exec(text);
    if (!match?.[1]) throw new Error(`${path}: no ${name}`);
    return match[1];
  };
  const data = (name: string) => Buffer.from(field(name), "base64");
  return {
    server: field("server"),
    ca: data("certificate-authority-data"),
    cert: data("client-certificate-data"),
    key: data("client-key-data"),
  };
}

export class KubeApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class KubeApi {
  readonly credentials: KubeCredentials;
  readonly #agent: https.Agent;

  constructor(credentials: KubeCredentials) {
    this.credentials = credentials;
    this.#agent = new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      ca: credentials.ca,
      cert: credentials.cert,
      key: credentials.key,
    });
  }

  /** Requests sent so far (a bench subtracts its own from what the API server counts). */
  sent = 0;

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    const text = await this.#send(method, path, body, contentType, "application/json");
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** GET of a text resource, such as the API server's /metrics. */
  text(path: string): Promise<string> {
    return this.#send("GET", path, undefined, "application/json", "text/plain");
  }

  #send(method: string, path: string, body: unknown, contentType: string, accept: string): Promise<string> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    this.sent += 1;
    return new Promise((resolve, reject) => {
      const request = https.request(
        new URL(path, this.credentials.server),
        {
          method,
          agent: this.#agent,
          headers: {
            accept,
            ...(payload === undefined
              ? {}
              : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = response.statusCode ?? 0;
            if (status >= 400) {
              let message = text.slice(0, 300);
              try {
                message = (JSON.parse(text) as { message?: string }).message ?? message;
              } catch {
                // not JSON
              }
              reject(new KubeApiError(status, `${method} ${path}: ${status} ${message}`));
              return;
            }
            resolve(text);
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(payload);
    });
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** GET that resolves undefined on 404. */
  async find<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** POST, ignoring 409 (already exists) when `ignoreExisting`. */
  async create(path: string, body: unknown, ignoreExisting = false): Promise<void> {
    try {
      await this.request("POST", path, body);
    } catch (error) {
      if (!(ignoreExisting && error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }

  /** Creates every object, at most `concurrency` requests at a time. */
  async createAll(items: { path: string; body: unknown }[], concurrency = 8): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++] as { path: string; body: unknown };
        await this.create(item.path, item.body);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  }

  /** DELETE, ignoring 404. */
  async remove(path: string): Promise<void> {
    try {
      await this.request("DELETE", path);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}
