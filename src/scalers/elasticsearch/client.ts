import { basicAuthorization } from "../shared/go-url.ts";
import { createHttpGetClient, type HttpResponse } from "../shared/http-get.ts";

/**
 * The HTTP client of KEDA's elasticsearch and elastic-forecast scalers, as go-elasticsearch v7
 * (7.17) behaves: the addresses (or the address a cloudID encodes) taken in turn, basic or API key
 * authentication, and the product check before the first request.
 */

export interface ElasticConnection {
  addresses: readonly string[];
  cloudID?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
  unsafeSsl: boolean;
}

export const UNKNOWN_PRODUCT =
  "the client noticed that the server is not Elasticsearch and we do not support this unknown product";
const UNSUPPORTED_PRODUCT =
  "the client noticed that the server is not a supported distribution of Elasticsearch";
const TAGLINE = "You Know, for Search";

/** The address a cloudID names (`name:base64(host$es-uuid$kibana-uuid)` → `https://es-uuid.host`). */
export function addressFromCloudId(cloudId: string): string {
  const values = cloudId.split(":");
  if (values.length !== 2) throw new Error(`cannot parse CloudID: unexpected format: "${cloudId}"`);
  const encoded = values[1] ?? "";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error("cannot parse CloudID: illegal base64 data");
  }
  const parts = Buffer.from(encoded, "base64").toString("utf8").split("$");
  if (parts.length < 2) throw new Error(`cannot parse CloudID: invalid encoded value: [${parts.join(" ")}]`);
  return `https://${parts[1]}.${parts[0]}`;
}

/** The base URLs requests go to, without trailing slashes. */
export function elasticAddresses(connection: ElasticConnection): string[] {
  if (connection.cloudID) return [addressFromCloudId(connection.cloudID)];
  return connection.addresses.map((address) => address.replace(/\/+$/, ""));
}

/** go-elasticsearch's verdict on a server from its `GET /` answer (undefined: it is Elasticsearch). */
export function productCheckError(response: HttpResponse): string | undefined {
  if (response.status === 401 || response.status === 403) return undefined;
  if (response.status >= 400) return "cannot retrieve informations from Elasticsearch";
  if (response.headers?.["x-elastic-product"] === "Elasticsearch") return undefined;
  let info: { version?: { number?: unknown; build_flavor?: unknown }; tagline?: unknown } = {};
  if (String(response.headers?.["content-type"] ?? "").includes("json")) {
    try {
      info = JSON.parse(response.body) as typeof info;
    } catch (error) {
      return `error decoding Elasticsearch informations: ${(error as Error).message}`;
    }
  }
  const number = typeof info.version?.number === "string" ? info.version.number : "";
  if (number === "") return UNKNOWN_PRODUCT;
  const version = /^(\d+)\.(\d+)\.(\d+)/.exec(number);
  if (!version) return `cannot parse the Elasticsearch version "${number}"`;
  const major = Number(version[1]);
  const minor = Number(version[2]);
  if (major < 6) return UNKNOWN_PRODUCT;
  if (major < 7 || (major === 7 && minor < 14)) {
    if (info.tagline !== TAGLINE) return UNKNOWN_PRODUCT;
    if (major === 7 && info.version?.build_flavor !== "default") return UNSUPPORTED_PRODUCT;
  }
  return undefined;
}

export interface ElasticClient {
  /** Sends a request (a JSON body, if any) to the next address; the product check runs first, once. */
  request(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<HttpResponse>;
  close(): void;
}

export function createElasticClient(connection: ElasticConnection): ElasticClient {
  const http = createHttpGetClient({ tls: { rejectUnauthorized: !connection.unsafeSsl } });
  let addresses: string[] | undefined;
  const headers: Record<string, string> = {};
  if (connection.apiKey) headers.Authorization = `ApiKey ${connection.apiKey}`;
  else if (connection.username) {
    headers.Authorization = basicAuthorization(connection.username, connection.password ?? "");
  }
  let next = 0;
  let checked = false;

  /** One request, trying the addresses in turn when one cannot be reached. */
  async function send(method: "GET" | "POST", path: string, body: string | undefined, signal: AbortSignal) {
    // A cloudID that cannot be decoded fails each request, as KEDA's client fails to be created.
    addresses ??= elasticAddresses(connection);
    let lastError: unknown;
    for (let attempt = 0; attempt < addresses.length; attempt += 1) {
      const base = addresses[next % addresses.length] as string;
      next += 1;
      const url = new URL(`${base}${path}`);
      try {
        return method === "GET"
          ? await http.get(url, headers, signal)
          : await http.post(url, { ...headers, "Content-Type": "application/json" }, body ?? "", signal);
      } catch (error) {
        if (signal.aborted) throw error;
        lastError = error;
      }
    }
    throw lastError as Error;
  }

  return {
    async request(method, path, body, signal) {
      if (!checked) {
        const problem = productCheckError(await send("GET", "/", undefined, signal));
        if (problem !== undefined) throw new Error(problem);
        checked = true;
      }
      return send(method, path, body, signal);
    },
    close: () => http.close(),
  };
}

/** Index names in a request path, as go-elasticsearch writes them: joined with commas. */
export function indexPath(indexes: readonly string[]): string {
  return indexes.length > 0 ? `/${indexes.join(",")}` : "";
}
