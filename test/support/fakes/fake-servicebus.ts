/**
 * fake-servicebus: a loopback fake of Azure Service Bus's management API, the documented ATOM XML
 * over HTTPS that `ServiceBusAdministrationClient` speaks (api-version 2021-05):
 *
 * - `GET /<queue>` → an Atom `<entry>` whose `<QueueDescription>` carries `MessageCount` and
 *   `CountDetails` (`d2p1:ActiveMessageCount`, dead-letter, scheduled, transfer counts); a queue
 *   that does not exist answers 200 with an empty `<feed>`, as the service does.
 * - `GET /<topic>/Subscriptions/<subscription>` → the same for a `<SubscriptionDescription>`.
 * - `GET /$Resources/Queues?$skip&$top` and `GET /<topic>/Subscriptions?$skip&$top` → a `<feed>` of
 *   entries with a `rel="next"` link while more remain.
 * - Authentication: `SharedAccessSignature sr=&sig=&se=&skn=` checked against the namespace's
 *   keys (HMAC-SHA256 of `<sr>\n<se>`), or `Bearer <token>` for tokens the test accepts (Entra ID);
 *   anything else is 401 with the service's `<Error><Code>401</Code><Detail>…` body.
 *
 * Runs on 127.0.0.1:<random port> with the fakes' self-signed certificate (test/support/fakes/tls.ts).
 */
import { createHmac } from "node:crypto";
import { serveLoopback } from "./loopback.ts";

export interface MessageCounts {
  active: number;
  deadLetter?: number;
  scheduled?: number;
  transfer?: number;
  transferDeadLetter?: number;
}

export interface FakeServiceBusRequest {
  method: string;
  path: string;
  /** "sas", "bearer" or "none": which kind of credential the request carried. */
  auth: "sas" | "bearer" | "none";
  status: number;
}

export interface FakeServiceBus {
  /** `127.0.0.1:<port>`, the namespace's host. */
  readonly host: string;
  /** A connection string with the namespace's key, or with `key` (a wrong one) instead. */
  connectionString(options?: { keyName?: string; key?: string }): string;
  /** The namespace's SAS key (the secret a connection string carries). */
  readonly key: string;
  setQueue(name: string, counts: MessageCounts): void;
  deleteQueue(name: string): void;
  setSubscription(topic: string, name: string, counts: MessageCounts): void;
  /** Bearer tokens accepted (as issued by fake-entra for the Service Bus audience). */
  acceptBearerToken(token: string): void;
  readonly requests: FakeServiceBusRequest[];
  close(): Promise<void>;
}

const ATOM = "http://www.w3.org/2005/Atom";
const CONNECT = "http://schemas.microsoft.com/netservices/2010/10/servicebus/connect";
const COUNTS = "http://schemas.microsoft.com/netservices/2011/06/servicebus";
const INSTANCE = "http://www.w3.org/2001/XMLSchema-instance";
const KEY_NAME = "RootManageSharedAccessKey";

function escapeXml(text: string): string {
  const names: Record<string, string> = {
    "<": "&lt;",
    ">": "&gt;",
    "&": "&amp;",
    '"': "&quot;",
    "'": "&apos;",
  };
  return text.replace(/[<>&"']/g, (character) => names[character] as string);
}

function countDetails(counts: MessageCounts): string {
  const entry = (name: string, value = 0) => `<d2p1:${name}>${value}</d2p1:${name}>`;
  return (
    `<CountDetails xmlns:d2p1="${COUNTS}">` +
    entry("ActiveMessageCount", counts.active) +
    entry("DeadLetterMessageCount", counts.deadLetter) +
    entry("ScheduledMessageCount", counts.scheduled) +
    entry("TransferMessageCount", counts.transfer) +
    entry("TransferDeadLetterMessageCount", counts.transferDeadLetter) +
    `</CountDetails>`
  );
}

function total(counts: MessageCounts): number {
  return (
    counts.active +
    (counts.deadLetter ?? 0) +
    (counts.scheduled ?? 0) +
    (counts.transfer ?? 0) +
    (counts.transferDeadLetter ?? 0)
  );
}

const STAMP = "2026-01-01T00:00:00Z";

function entry(host: string, path: string, title: string, description: string): string {
  const id = `https://${host}/${path}?api-version=2021-05`;
  return (
    `<entry xmlns="${ATOM}"><id>${escapeXml(id)}</id><title type="text">${escapeXml(title)}</title>` +
    `<published>${STAMP}</published><updated>${STAMP}</updated><author><name>fake</name></author>` +
    `<link rel="self" href="${escapeXml(id)}"/><content type="application/xml">${description}</content></entry>`
  );
}

function queueDescription(counts: MessageCounts): string {
  return (
    `<QueueDescription xmlns="${CONNECT}" xmlns:i="${INSTANCE}"><LockDuration>PT1M</LockDuration>` +
    `<MaxSizeInMegabytes>1024</MaxSizeInMegabytes><SizeInBytes>0</SizeInBytes>` +
    `<CreatedAt>${STAMP}</CreatedAt><UpdatedAt>${STAMP}</UpdatedAt><AccessedAt>${STAMP}</AccessedAt>` +
    `<MessageCount>${total(counts)}</MessageCount>${countDetails(counts)}<Status>Active</Status></QueueDescription>`
  );
}

function subscriptionDescription(counts: MessageCounts): string {
  return (
    `<SubscriptionDescription xmlns="${CONNECT}" xmlns:i="${INSTANCE}"><LockDuration>PT1M</LockDuration>` +
    `<CreatedAt>${STAMP}</CreatedAt><UpdatedAt>${STAMP}</UpdatedAt><AccessedAt>${STAMP}</AccessedAt>` +
    `<MessageCount>${total(counts)}</MessageCount>${countDetails(counts)}<Status>Active</Status></SubscriptionDescription>`
  );
}

function feed(host: string, path: string, entries: string[], next?: string): string {
  const self = `https://${host}/${path}?api-version=2021-05`;
  const nextLink = next ? `<link rel="next" href="${escapeXml(next)}"/>` : "";
  return (
    `<feed xmlns="${ATOM}"><title type="text">Publicly Listed Services</title><id>${escapeXml(self)}</id>` +
    `<updated>${STAMP}</updated><link rel="self" href="${escapeXml(self)}"/>${nextLink}${entries.join("")}</feed>`
  );
}

function errorBody(code: number, detail: string): string {
  return `<Error><Code>${code}</Code><Detail>${escapeXml(detail)}</Detail></Error>`;
}

/** Checks a `SharedAccessSignature` header against the key; returns the reason it fails, if it does. */
function sasProblem(header: string, keyName: string, key: string, nowSeconds: number): string | undefined {
  const fields = new Map<string, string>();
  for (const part of header.slice("SharedAccessSignature ".length).split("&")) {
    const separator = part.indexOf("=");
    if (separator > 0) fields.set(part.slice(0, separator), part.slice(separator + 1));
  }
  const [sr, sig, se, skn] = ["sr", "sig", "se", "skn"].map((name) => fields.get(name));
  if (!sr || !sig || !se || !skn)
    return "MalformedToken: the SharedAccessSignature lacks sr, sig, se or skn.";
  if (skn !== keyName) return `InvalidSignature: The key name '${skn}' is not known in this namespace.`;
  if (Number(se) < nowSeconds) return "ExpiredToken: The token is expired.";
  const expected = createHmac("sha256", key).update(`${sr}\n${se}`).digest("base64");
  if (decodeURIComponent(sig) !== expected) return "InvalidSignature: The token has an invalid signature.";
  return undefined;
}

export async function startFakeServiceBus(
  options: { key?: string; keyName?: string; pageSize?: number } = {},
): Promise<FakeServiceBus> {
  const key = options.key ?? "c2VydmljZWJ1cy1mYWtlLWtleS0xMjM0NTY3ODk=";
  const keyName = options.keyName ?? KEY_NAME;
  const pageSize = options.pageSize ?? 100;
  const queues = new Map<string, MessageCounts>();
  const subscriptions = new Map<string, Map<string, MessageCounts>>();
  const bearerTokens = new Set<string>();
  const requests: FakeServiceBusRequest[] = [];
  let host = "";

  const server = await serveLoopback(
    (request, response) => {
      const path = decodeURIComponent(request.path.slice(1));
      const authorization = request.headers.authorization ?? "";
      const auth = authorization.startsWith("SharedAccessSignature ")
        ? "sas"
        : authorization.startsWith("Bearer ")
          ? "bearer"
          : "none";
      const send = (status: number, body: string) => {
        requests.push({ method: request.method ?? "GET", path, auth, status });
        response
          .writeHead(status, { "content-type": "application/atom+xml;type=entry;charset=utf-8" })
          .end(body);
      };
      let refused: string | undefined;
      if (auth === "sas") refused = sasProblem(authorization, keyName, key, Math.floor(Date.now() / 1000));
      else if (auth === "bearer") {
        if (!bearerTokens.has(authorization.slice("Bearer ".length)))
          refused = "ExpiredToken: The token is invalid or expired.";
      } else refused = "MissingToken: The authorization header was not found.";
      if (refused)
        return send(
          401,
          errorBody(401, `${refused} TrackingId:fake, SystemTracker:${host}, Timestamp:${STAMP}`),
        );
      if (request.method !== "GET") return send(405, errorBody(405, "Only reads are served by this fake."));

      const skip = Number(request.query.get("$skip") ?? "0");
      const top = Number(request.query.get("$top") ?? String(pageSize));
      const page = (all: string[], listPath: string) => {
        const size = Math.min(top || pageSize, pageSize);
        const slice = all.slice(skip, skip + size);
        const next =
          skip + size < all.length
            ? `https://${host}/${listPath}?api-version=2021-05&$skip=${skip + size}&$top=${size}`
            : undefined;
        return feed(host, listPath, slice, next);
      };
      if (path === "$Resources/Queues") {
        const entries = [...queues].map(([name, counts]) =>
          entry(host, name, name, queueDescription(counts)),
        );
        return send(200, page(entries, path));
      }
      const listing = path.match(/^(.+)\/Subscriptions\/?$/);
      if (listing) {
        const topic = listing[1] as string;
        const entries = [...(subscriptions.get(topic) ?? [])].map(([name, counts]) =>
          entry(host, `${topic}/Subscriptions/${name}`, name, subscriptionDescription(counts)),
        );
        return send(200, page(entries, path));
      }
      const single = path.match(/^(.+)\/Subscriptions\/([^/]+)$/);
      if (single) {
        const counts = subscriptions.get(single[1] as string)?.get(single[2] as string);
        return send(
          200,
          counts
            ? entry(host, path, single[2] as string, subscriptionDescription(counts))
            : feed(host, path, []),
        );
      }
      const counts = queues.get(path);
      return send(200, counts ? entry(host, path, path, queueDescription(counts)) : feed(host, path, []));
    },
    { tls: true },
  );
  host = server.host;

  return {
    host,
    key,
    connectionString: (override = {}) =>
      `Endpoint=sb://${host}/;SharedAccessKeyName=${override.keyName ?? keyName};SharedAccessKey=${override.key ?? key}`,
    setQueue: (name, counts) => void queues.set(name, counts),
    deleteQueue: (name) => void queues.delete(name),
    setSubscription: (topic, name, counts) => {
      const topicSubscriptions = subscriptions.get(topic) ?? new Map<string, MessageCounts>();
      topicSubscriptions.set(name, counts);
      subscriptions.set(topic, topicSubscriptions);
    },
    acceptBearerToken: (token) => void bearerTokens.add(token),
    requests,
    close: () => server.close(),
  };
}
