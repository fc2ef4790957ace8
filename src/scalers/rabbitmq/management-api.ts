import { messageOf } from "../../util/errors.ts";
import { goQueryEscape } from "../metric-name.ts";
import type { HttpGetClient, HttpResponse } from "../shared/http-get.ts";
import { combineReadings, readingOf, type ManagementQueue, type QueueReading } from "./queue-reading.ts";

/** A management API request: the URL without credentials, and the credentials as a header. */
export interface ManagementRequest {
  url: URL;
  authorization: string | undefined;
}

export interface QueueQuery {
  queueName: string;
  vhostName?: string | undefined;
  useRegex: boolean;
  pageSize: number;
  username?: string | undefined;
  password?: string | undefined;
}

const ROOT_VHOST = "/%2F";

const STATUS_CAUSES: Record<number, string> = {
  401: "authentication failed",
  403: "access refused",
  404: "queue or vhost not found",
};

/**
 * Splits the host URL's path as KEDA does: the last segment is the vhost (already URL-escaped),
 * the rest is a path prefix in front of `/api`. `vhostName` overrides the vhost; an empty vhost
 * or `/` is the default vhost `%2F`.
 */
export function vhostAndPrefix(
  rawPath: string,
  vhostName: string | undefined,
): { vhost: string; prefix: string } {
  const segments = rawPath.split("/");
  const last = segments.pop() ?? "";
  const prefixSegments = segments.filter((segment) => segment !== "");
  const prefix = prefixSegments.length > 0 ? `/${prefixSegments.join("/")}` : "";
  const vhost = vhostName ? `/${encodeURIComponent(vhostName)}` : `/${last}`;
  return { vhost: vhost === "/" ? ROOT_VHOST : vhost, prefix };
}

/**
 * The management API request for a queue (or for the queues matching a regex). The queue name is
 * escaped as a path segment; KEDA uses query escaping there, which breaks names with spaces.
 */
export function managementRequest(host: string, query: QueueQuery): ManagementRequest {
  const parsed = new URL(host);
  const username = query.username || decodeURIComponent(parsed.username);
  const password = query.password || decodeURIComponent(parsed.password);
  const { vhost, prefix } = vhostAndPrefix(parsed.pathname, query.vhostName);
  const url = new URL(`${parsed.protocol}//${parsed.host}${prefix}/api/queues${vhost}`);
  if (query.useRegex) {
    url.search = `page=1&use_regex=true&pagination=false&name=${goQueryEscape(query.queueName)}&page_size=${query.pageSize}`;
  } else {
    url.pathname += `/${encodeURIComponent(query.queueName)}`;
  }
  const authorization =
    username || password ? `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` : undefined;
  return { url, authorization };
}

export interface ReadOptions {
  useRegex: boolean;
  excludeUnacknowledged: boolean;
  operation: "sum" | "avg" | "max";
}

/** Reads the queue; with useRegex, the matched queues combined by `operation`. */
export async function readQueue(
  client: HttpGetClient,
  request: ManagementRequest,
  options: ReadOptions,
  signal: AbortSignal,
): Promise<QueueReading> {
  const { url } = request;
  let response: HttpResponse;
  try {
    response = await client.get(
      url,
      request.authorization ? { authorization: request.authorization } : {},
      signal,
    );
  } catch (error) {
    throw new Error(`cannot reach the management API at ${url.origin}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (response.status !== 200) {
    const cause = STATUS_CAUSES[response.status] ?? "request failed";
    throw new Error(
      `${cause}: management API answered ${response.status} for GET ${url.href}: ${response.body.slice(0, 300)}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new Error(
      `management API answered GET ${url.href} with a body that is not JSON: ${response.body.slice(0, 100)}`,
    );
  }
  if (!options.useRegex) return readingOf(body as ManagementQueue, options.excludeUnacknowledged);
  const page = body as { items?: ManagementQueue[]; page_count?: number };
  if ((page.page_count ?? 1) > 1) {
    throw new Error("the regex matches more queues than one page holds; raise pageSize or narrow queueName");
  }
  const readings = (page.items ?? []).map((queue) => readingOf(queue, options.excludeUnacknowledged));
  return combineReadings(readings, options.operation);
}
