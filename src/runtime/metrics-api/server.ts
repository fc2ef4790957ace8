import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { silentLogger, type Logger } from "../../observability/logger.ts";
import { LabelSelectorError, parseLabelSelector } from "./label-selector.ts";
import { formatQuantity } from "../../util/quantity.ts";
import { SCALED_OBJECT_LABEL } from "../../api/names.ts";

export const GROUP = "external.metrics.k8s.io";
export const VERSION = "v1beta1";
export const GROUP_VERSION = `${GROUP}/${VERSION}`;
/** The label KEDA's HPAs select on; the external metrics API needs it to know the ScaledObject. */

/** The end user the kube-apiserver's front proxy forwarded the request for (X-Remote-* headers). */
export interface RequestUser {
  name: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export interface MetricQuery {
  namespace: string;
  /** As the HPA asks for it (KEDA's names look like `s0-rabbitmq-queue`); matching case is up to the lookup. */
  metricName: string;
  /** The selector's labels; always contains `scaledobject.keda.sh/name`. */
  labelSelector: Readonly<Record<string, string>>;
  /** Shorthand for `labelSelector["scaledobject.keda.sh/name"]`. */
  scaledObjectName: string;
  /** Present when client authentication is on. */
  user?: RequestUser;
}

export interface MetricValue {
  value: number;
  timestamp: Date;
  /** `metricLabels` of the item; `{}` when absent. */
  labels?: Record<string, string>;
  /** `window` of the item in seconds; omitted when absent. */
  windowSeconds?: number;
}

export interface LookupError {
  /** HTTP status: 404 (no such metric / ScaledObject), 400, 500, 503, … */
  status: number;
  message: string;
  /** Kubernetes Status reason; derived from `status` when absent. */
  reason?: string;
}

export type LookupResult = { items: MetricValue[] } | { error: LookupError };
/** Answers one metric request. Return synchronously when the value is at hand: this is the HPA's hot path. */
export type MetricLookup = (query: MetricQuery) => LookupResult | Promise<LookupResult>;

/**
 * Who may call the API: the kube-apiserver's front proxy, identified by its client certificate
 * (`--proxy-client-cert-file`), signed by `ca` (`--requestheader-client-ca-file`) with a CN in
 * `allowedNames` (`--requestheader-allowed-names`; empty means any CN the CA signed).
 */
export interface FrontProxyTrust {
  ca: string;
  allowedNames: string[];
  /** Default ["X-Remote-User"]. */
  usernameHeaders?: string[];
  /** Default ["X-Remote-Group"]. */
  groupHeaders?: string[];
  /** Default ["X-Remote-Extra-"]. */
  extraHeaderPrefixes?: string[];
}

export interface AuthorizationRequest {
  user: RequestUser;
  verb: "get" | "list";
  /** Resource requests (metric reads): the API group, version, namespace and resource (the metric name). */
  resource?: { group: string; version: string; namespace: string; resource: string };
  /** Non-resource requests (discovery): the path. */
  path?: string;
}
/** Delegated authorization (e.g. createSubjectAccessReviewAuthorizer); a rejection gives 403. */
export type Authorizer = (request: AuthorizationRequest) => boolean | Promise<boolean>;

export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ExternalMetricsServerOptions {
  lookup: MetricLookup;
  tls: TlsCredentials;
  /** "none" trusts every caller (tests, or a server only reachable by the apiserver some other way). */
  clientAuth: FrontProxyTrust | "none";
  /** Only with clientAuth: asked for every request except health checks. */
  authorize?: Authorizer;
  logger?: Logger;
}

export interface ExternalMetricsServer {
  /** Starts listening (port 0 picks a free one); resolves with the bound port. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /**
   * Stops accepting, closes idle keep-alive connections, lets in-flight requests finish (their
   * replies carry `Connection: close`) and cuts whatever is still open after `graceMs` (default 5 s).
   */
  close(graceMs?: number): Promise<void>;
  /**
   * Swaps the serving certificate and/or the front-proxy trust (rotation). New connections use
   * them; open connections keep the identity they were authenticated with. The client-auth mode
   * ("none" or not) is fixed at creation.
   */
  updateCredentials(update: { tls?: TlsCredentials; clientAuth?: FrontProxyTrust }): void;
  readonly server: Server;
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** A Kubernetes `Status` failure body. */
export function statusBody(code: number, message: string, reason?: string): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: reason ?? REASONS[code] ?? (code >= 500 ? "InternalError" : "BadRequest"),
    code,
  };
}

const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-cache, private" };

const API_RESOURCE_LIST = Buffer.from(
  JSON.stringify({
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: GROUP_VERSION,
    resources: [
      {
        name: "externalmetrics",
        singularName: "",
        namespaced: true,
        kind: "ExternalMetricValueList",
        verbs: ["get"],
      },
    ],
  }),
);
const API_GROUP = {
  name: GROUP,
  versions: [{ groupVersion: GROUP_VERSION, version: VERSION }],
  preferredVersion: { groupVersion: GROUP_VERSION, version: VERSION },
};
const API_GROUP_DOCUMENT = Buffer.from(JSON.stringify({ kind: "APIGroup", apiVersion: "v1", ...API_GROUP }));
const API_GROUP_LIST = Buffer.from(
  JSON.stringify({ kind: "APIGroupList", apiVersion: "v1", groups: [API_GROUP] }),
);
const OK = Buffer.from("ok");

const METRIC_PATH_PREFIX = `/apis/${GROUP_VERSION}/namespaces/`;
const HEALTH_PATHS = new Set(["/healthz", "/readyz", "/livez"]);

/** RFC 3339 with whole seconds, as metav1.Time marshals. */
function rfc3339(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 19)}Z`;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Whether an Accept header admits a plain JSON answer. The aggregator asks `/apis` for aggregated
 * discovery (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`) only; this
 * server does not serve that format and answers 406, on which every aggregator version falls back
 * to the per-version document (`/apis/<group>/<version>`). Older aggregators fall back on 406 only.
 */
function acceptsPlainJson(accept: string | undefined): boolean {
  if (!accept) return true;
  for (const part of accept.split(",")) {
    const [type = "", ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase());
    if (type !== "application/json" && type !== "*/*" && type !== "application/*") continue;
    if (!parameters.some((parameter) => parameter.startsWith("as=") || parameter.startsWith("g=")))
      return true;
  }
  return false;
}

type Authentication = { ok: true } | { ok: false; reason: string };

interface ClientAuthState {
  trust: FrontProxyTrust;
  allowed: Set<string>;
  usernameHeaders: string[];
  groupHeaders: string[];
  extraPrefixes: string[];
  generation: number;
}

function clientAuthState(trust: FrontProxyTrust, generation: number): ClientAuthState {
  return {
    trust,
    allowed: new Set(trust.allowedNames),
    usernameHeaders: (trust.usernameHeaders ?? ["X-Remote-User"]).map((name) => name.toLowerCase()),
    groupHeaders: (trust.groupHeaders ?? ["X-Remote-Group"]).map((name) => name.toLowerCase()),
    extraPrefixes: (trust.extraHeaderPrefixes ?? ["X-Remote-Extra-"]).map((name) => name.toLowerCase()),
    generation,
  };
}

const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";

/** Checks the connection's client certificate once per TLS connection (keep-alive reuses it). */
function authenticateSocket(socket: TLSSocket, state: ClientAuthState): Authentication {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0)
    return { ok: false, reason: "no client certificate" };
  if (!socket.authorized) {
    return {
      ok: false,
      reason: `client certificate not verified against the front-proxy CA: ${String(socket.authorizationError)}`,
    };
  }
  const usages = certificate.ext_key_usage;
  if (usages && usages.length > 0 && !usages.includes(CLIENT_AUTH_OID)) {
    return {
      ok: false,
      reason: "client certificate is not valid for client authentication (extended key usage)",
    };
  }
  const rawName = certificate.subject?.CN as string | string[] | undefined;
  const commonName = Array.isArray(rawName) ? rawName[0] : rawName;
  if (state.allowed.size > 0 && (commonName === undefined || !state.allowed.has(commonName))) {
    return {
      ok: false,
      reason: `client certificate CN "${commonName ?? ""}" is not an allowed front-proxy name`,
    };
  }
  return { ok: true };
}

function readUser(request: IncomingMessage, state: ClientAuthState): RequestUser | undefined {
  const headers = request.headersDistinct;
  let name: string | undefined;
  for (const header of state.usernameHeaders) {
    name = headers[header]?.find((value) => value.length > 0);
    if (name !== undefined) break;
  }
  if (name === undefined) return undefined;
  const groups: string[] = [];
  for (const header of state.groupHeaders) groups.push(...(headers[header] ?? []));
  const extra: Record<string, string[]> = {};
  for (const [header, values] of Object.entries(headers)) {
    const prefix = state.extraPrefixes.find((candidate) => header.startsWith(candidate));
    if (prefix === undefined || values === undefined) continue;
    let key = header.slice(prefix.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // keep the raw key
    }
    (extra[key.toLowerCase()] ??= []).push(...values);
  }
  return { name, groups, extra };
}

/**
 * The `external.metrics.k8s.io/v1beta1` API the HPA controller reads through the kube-apiserver's
 * aggregation layer, answering from `lookup`. See README.md beside this file.
 */
export function createExternalMetricsServer(options: ExternalMetricsServerOptions): ExternalMetricsServer {
  const { lookup } = options;
  const logger = options.logger ?? silentLogger;
  const authorize = options.authorize;
  let generation = 0;
  let currentTls = options.tls;
  let closing = false;
  let auth = options.clientAuth === "none" ? undefined : clientAuthState(options.clientAuth, generation);
  const authentications = new WeakMap<TLSSocket, { generation: number; result: Authentication }>();

  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: "TLSv1.2",
      ...(auth ? { requestCert: true, rejectUnauthorized: false, ca: auth.trust.ca } : {}),
    },
    handle,
  );
  // Go clients (the aggregator's proxy transport) close idle connections after 90 s; outlast them
  // so a request never races the server closing the connection.
  server.keepAliveTimeout = 95_000;

  // Connection bookkeeping for close(): Go's transport may open a connection it then never uses,
  // which Node counts as neither idle nor active, so server.close() alone would wait for the
  // client's 90 s idle timeout. Track TCP sockets and the in-flight requests of TLS connections.
  const rawSockets = new Set<Socket>();
  const inFlight = new Map<TLSSocket, number>();
  server.on("connection", (socket: Socket) => {
    rawSockets.add(socket);
    socket.once("close", () => rawSockets.delete(socket));
  });
  server.on("secureConnection", (socket: TLSSocket) => {
    inFlight.set(socket, 0);
    socket.once("close", () => inFlight.delete(socket));
    if (closing) socket.end(); // its handshake finished after close() began
  });

  function send(response: ServerResponse, status: number, body: Buffer | string): void {
    // An explicit length keeps the reply in one write, without chunked framing.
    const length = typeof body === "string" ? Buffer.byteLength(body) : body.length;
    response.writeHead(
      status,
      closing
        ? { ...JSON_HEADERS, "content-length": length, connection: "close" }
        : { ...JSON_HEADERS, "content-length": length },
    );
    response.end(body);
  }

  function fail(response: ServerResponse, code: number, message: string, reason?: string): void {
    send(response, code, JSON.stringify(statusBody(code, message, reason)));
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket as TLSSocket;
    const count = inFlight.get(socket);
    if (count !== undefined) {
      inFlight.set(socket, count + 1);
      response.once("close", () => {
        const remaining = (inFlight.get(socket) ?? 1) - 1;
        if (inFlight.has(socket)) inFlight.set(socket, remaining);
        if (closing && remaining === 0) socket.end();
      });
    }
    try {
      route(request, response);
    } catch (error) {
      unexpected(response, error);
    }
  }

  function unexpected(response: ServerResponse, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    logger.warn("external metrics request failed", { error: message });
    if (!response.headersSent) fail(response, 500, `Internal error occurred: ${message}`);
    else response.destroy();
  }

  function route(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? "/";
    const queryStart = url.indexOf("?");
    let path = queryStart === -1 ? url : url.slice(0, queryStart);
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);

    if (request.method !== "GET" && request.method !== "HEAD") {
      fail(
        response,
        405,
        `the server does not allow this method on the requested resource (${request.method ?? ""})`,
      );
      return;
    }
    if (
      HEALTH_PATHS.has(path) ||
      path.startsWith("/healthz/") ||
      path.startsWith("/readyz/") ||
      path.startsWith("/livez/")
    ) {
      response.writeHead(200, {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
        "content-length": 2,
      });
      response.end(OK);
      return;
    }

    let user: RequestUser | undefined;
    if (auth) {
      const socket = request.socket as TLSSocket;
      let cached = authentications.get(socket);
      if (cached === undefined || cached.generation !== auth.generation) {
        cached = { generation: auth.generation, result: authenticateSocket(socket, auth) };
        authentications.set(socket, cached);
      }
      if (!cached.result.ok) {
        logger.debug("external metrics request rejected", { reason: cached.result.reason, path });
        fail(response, 401, `Unauthorized: ${cached.result.reason}`);
        return;
      }
      user = readUser(request, auth);
      if (user === undefined) {
        fail(response, 401, `Unauthorized: no user in ${auth.usernameHeaders.join("/")}`);
        return;
      }
    }

    if (path.startsWith(METRIC_PATH_PREFIX)) {
      const rest = path.slice(METRIC_PATH_PREFIX.length);
      const slash = rest.indexOf("/");
      if (slash > 0 && slash < rest.length - 1 && rest.indexOf("/", slash + 1) === -1) {
        let namespace: string;
        let metricName: string;
        try {
          namespace = decodeURIComponent(rest.slice(0, slash));
          metricName = decodeURIComponent(rest.slice(slash + 1));
        } catch {
          fail(response, 400, `malformed path ${path}`);
          return;
        }
        const query = queryStart === -1 ? "" : url.slice(queryStart + 1);
        const resource = { group: GROUP, version: VERSION, namespace, resource: metricName };
        guarded(response, user, { verb: "list", resource }, () =>
          serveMetric(response, namespace, metricName, query, user),
        );
        return;
      }
    }

    const discovery =
      path === `/apis/${GROUP_VERSION}`
        ? API_RESOURCE_LIST
        : path === `/apis/${GROUP}`
          ? API_GROUP_DOCUMENT
          : path === "/apis"
            ? API_GROUP_LIST
            : undefined;
    if (discovery === undefined) {
      guarded(response, user, { verb: "get", path }, () =>
        fail(response, 404, "the server could not find the requested resource"),
      );
      return;
    }
    guarded(response, user, { verb: "get", path }, () => {
      if (path === "/apis" && !acceptsPlainJson(request.headers.accept)) {
        fail(response, 406, "only application/json discovery documents are served (no aggregated discovery)");
        return;
      }
      send(response, 200, discovery);
    });
  }

  /** Runs `serve` once the authorizer (if any) allows the request. */
  function guarded(
    response: ServerResponse,
    user: RequestUser | undefined,
    attributes: Omit<AuthorizationRequest, "user">,
    serve: () => void,
  ): void {
    if (authorize === undefined || user === undefined) {
      serve();
      return;
    }
    const decide = (allowed: boolean) => {
      if (allowed) {
        serve();
        return;
      }
      const target = attributes.resource
        ? `resource "${attributes.resource.resource}" in API group "${GROUP}" in the namespace "${attributes.resource.namespace}"`
        : `path "${attributes.path ?? ""}"`;
      fail(response, 403, `${user.name} cannot ${attributes.verb} ${target}`);
    };
    const verdict = authorize({ user, ...attributes });
    if (isPromise(verdict)) {
      verdict.then(decide, (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        logger.warn("external metrics authorization failed", { error: message });
        fail(response, 500, `Internal error occurred: authorization failed: ${message}`);
      });
    } else {
      decide(verdict);
    }
  }

  function serveMetric(
    response: ServerResponse,
    namespace: string,
    metricName: string,
    query: string,
    user: RequestUser | undefined,
  ): void {
    const selectorText = query === "" ? "" : (new URLSearchParams(query).get("labelSelector") ?? "");
    let labelSelector: Readonly<Record<string, string>>;
    try {
      labelSelector = parseLabelSelector(selectorText);
    } catch (error) {
      if (error instanceof LabelSelectorError) {
        fail(response, 400, error.message);
        return;
      }
      throw error;
    }
    const scaledObjectName = labelSelector[SCALED_OBJECT_LABEL];
    if (!scaledObjectName) {
      fail(
        response,
        400,
        `scaledObject name is not specified: the label selector must set ${SCALED_OBJECT_LABEL} to the ScaledObject's name`,
      );
      return;
    }
    const metricQuery: MetricQuery = { namespace, metricName, labelSelector, scaledObjectName };
    if (user !== undefined) metricQuery.user = user;
    const result = lookup(metricQuery);
    if (isPromise(result)) {
      result.then(
        (resolved) => answer(response, metricName, resolved),
        (error: unknown) => unexpected(response, error),
      );
    } else {
      answer(response, metricName, result);
    }
  }

  function answer(response: ServerResponse, metricName: string, result: LookupResult): void {
    if ("error" in result) {
      logger.debug("external metric lookup failed", {
        metricName,
        status: result.error.status,
        error: result.error.message,
      });
      fail(response, result.error.status, result.error.message, result.error.reason);
      return;
    }
    const items = result.items.map((item) => {
      const value: Record<string, unknown> = {
        metricName,
        metricLabels: item.labels ?? {},
        timestamp: rfc3339(item.timestamp),
      };
      if (item.windowSeconds !== undefined) value.window = item.windowSeconds;
      value.value = formatQuantity(item.value);
      return value;
    });
    send(
      response,
      200,
      JSON.stringify({ kind: "ExternalMetricValueList", apiVersion: GROUP_VERSION, metadata: {}, items }),
    );
  }

  return {
    server,
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          const bound = (server.address() as AddressInfo).port;
          logger.info("external metrics API listening", {
            host,
            port: bound,
            clientAuth: auth !== undefined,
          });
          resolve({ port: bound });
        });
      });
    },
    close(graceMs = 5_000) {
      closing = true;
      const cutAll = () => {
        for (const socket of rawSockets) socket.destroy();
        for (const socket of inFlight.keys()) socket.destroy();
      };
      return new Promise((resolve, reject) => {
        if (!server.listening) {
          cutAll();
          resolve();
          return;
        }
        const timer = setTimeout(cutAll, graceMs);
        timer.unref();
        server.close((error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
        for (const [socket, count] of inFlight) if (count === 0) socket.end();
      });
    },
    updateCredentials(update) {
      if (update.clientAuth !== undefined && auth === undefined) {
        throw new Error(
          'client authentication cannot be turned on for a server created with clientAuth "none"',
        );
      }
      if (update.clientAuth !== undefined) {
        generation += 1;
        auth = clientAuthState(update.clientAuth, generation);
      }
      if (update.tls !== undefined || update.clientAuth !== undefined) {
        const tls = update.tls ?? currentTls;
        currentTls = tls;
        server.setSecureContext({
          cert: tls.cert,
          key: tls.key,
          minVersion: "TLSv1.2",
          ...(auth ? { ca: auth.trust.ca } : {}),
        });
      }
    },
  };
}
