import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { HTTP_ADDON_API_VERSION } from "../../api/names.ts";
import {
  createHttpProxy,
  httpScaledObjectRoute,
  type Endpoint,
  type HttpProxy,
  type HttpProxyLimits,
  type HttpProxyRoute,
  type RouteStatus,
} from "../../http-proxy/index.ts";
import type { Logger } from "../../observability/logger.ts";
import { messageOf } from "../../util/errors.ts";
import { listen } from "../../util/listen.ts";
import { parseHttpScaledObject, type RawHttpScaledObject } from "./http-scaled-object-reconciler.ts";
import { Informer } from "./informer.ts";
import { QUEUE_PATH, type RouteCounts } from "./interceptor-protocol.ts";
import { KubeApi, loadKubeConfig, type ClusterEnvironment } from "./kube-api.ts";
import { QueueReporter } from "./queue-reporter.ts";
import {
  ServiceEndpoints,
  type EndpointSliceObject,
  type ServiceEndpointsReport,
  type ServiceObject,
  type ServicePortRef,
} from "./service-endpoints.ts";

export interface InterceptorOptions {
  kubeconfig?: string;
  clusterEnvironment: ClusterEnvironment;
  /** This replica's name (the Pod's), in its reports to the operator. */
  instance: string;
  /** Serve the HTTPScaledObjects of one namespace; all when absent (KEDA_HTTP_WATCH_NAMESPACE). */
  namespace?: string;
  proxyHost: string;
  proxyPort: number;
  adminHost: string;
  adminPort: number;
  /** HTTPS as well, on its own port (KEDA_HTTP_PROXY_TLS_*). */
  tls?: { port: number; certFile: string; keyFile: string };
  conditionWaitMs: number;
  responseHeaderTimeoutMs: number;
  coldStartHeader: boolean;
  /** Headers timeout, idle keep-alive timeout and connection cap of the proxy; absent: its defaults. */
  limits?: HttpProxyLimits;
  logger: Logger;
}

export interface RunningInterceptor {
  proxyPort: number;
  adminPort: number;
  tlsPort?: number;
  stop(): Promise<void>;
}

/** Where an HTTPScaledObject's requests go. */
interface RouteTarget {
  namespace: string;
  service: string;
  port: ServicePortRef;
  /** The HTTPScaledObject cannot be served (it is routed nowhere, requests get 502). */
  problem?: string;
}

type Named = { metadata: { name: string; namespace?: string } };

/**
 * `tidal interceptor`: the HTTP add-on's interceptor. Routes requests by host, path prefix and
 * headers to the Service of the matching HTTPScaledObject, straight to its ready endpoints (from
 * watched EndpointSlices), holds them while the workload scales from zero, and reports its counts
 * to the operator over the queue protocol on its admin port, which also answers `tidal explain`.
 */
export async function startInterceptor(options: InterceptorOptions): Promise<RunningInterceptor> {
  const { logger } = options;
  const kubeConfig = loadKubeConfig(options.kubeconfig, options.clusterEnvironment);
  const api = new KubeApi(kubeConfig);
  const scope = options.namespace ? { namespace: options.namespace } : {};
  const informers = {
    httpScaledObjects: new Informer<Named & RawHttpScaledObject>(
      kubeConfig,
      api,
      { apiVersion: HTTP_ADDON_API_VERSION, plural: "httpscaledobjects", ...scope },
      logger,
    ),
    services: new Informer<Named & ServiceObject>(
      kubeConfig,
      api,
      { apiVersion: "v1", plural: "services", ...scope },
      logger,
    ),
    slices: new Informer<Named & EndpointSliceObject>(
      kubeConfig,
      api,
      { apiVersion: "discovery.k8s.io/v1", plural: "endpointslices", ...scope },
      logger,
    ),
  };
  const endpoints = new ServiceEndpoints();
  informers.services.on("add", (service) => endpoints.applyService(service));
  informers.services.on("update", (service) => endpoints.applyService(service));
  informers.services.on("delete", (service) => endpoints.deleteService(service));
  informers.slices.on("add", (slice) => endpoints.applySlice(slice));
  informers.slices.on("update", (slice) => endpoints.applySlice(slice));
  informers.slices.on("delete", (slice) => endpoints.deleteSlice(slice));

  let targets = new Map<string, RouteTarget>();
  let routesChanged = Promise.withResolvers<void>();
  const noEndpoints: readonly Endpoint[] = [];
  const reporter = new QueueReporter({
    instance: options.instance,
    counts: () => countsOf(proxy.routes()),
  });
  const proxy: HttpProxy = createHttpProxy({
    routes: [],
    endpoints: (key) => {
      const target = targets.get(key);
      return target === undefined || target.problem !== undefined
        ? noEndpoints
        : endpoints.ready(target.namespace, target.service, target.port);
    },
    onDemand: (key) => reporter.demand(key),
    waitForEndpoints: async (key, signal) => {
      const target = targets.get(key);
      const changes = [routesChanged.promise];
      if (target !== undefined) changes.push(endpoints.changed(target.namespace, target.service, signal));
      await Promise.race(changes);
    },
    conditionWaitMs: options.conditionWaitMs,
    responseHeaderTimeoutMs: options.responseHeaderTimeoutMs,
    coldStartHeader: options.coldStartHeader,
    ...options.limits,
    logger: logger.child({ component: "proxy" }),
  });

  let rebuildScheduled = false;
  const rebuild = (): void => {
    rebuildScheduled = false;
    const routes: HttpProxyRoute[] = [];
    const next = new Map<string, RouteTarget>();
    for (const raw of informers.httpScaledObjects.list()) {
      const namespace = raw.metadata.namespace ?? "default";
      const key = `${namespace}/${raw.metadata.name}`;
      const object = parseHttpScaledObject(raw);
      if (typeof object === "string") {
        logger.warn("HTTPScaledObject cannot be served", { httpScaledObject: key, problem: object });
        continue;
      }
      const ref = object.spec.scaleTargetRef;
      routes.push(httpScaledObjectRoute(object));
      next.set(key, {
        namespace,
        service: ref.service ?? "",
        port: { port: ref.port, portName: ref.portName },
      });
    }
    targets = next;
    proxy.updateRoutes(routes);
    const changed = routesChanged;
    routesChanged = Promise.withResolvers<void>();
    changed.resolve();
  };
  const scheduleRebuild = (): void => {
    if (rebuildScheduled) return;
    rebuildScheduled = true;
    queueMicrotask(rebuild);
  };
  for (const verb of ["add", "update", "delete"] as const)
    informers.httpScaledObjects.on(verb, scheduleRebuild);

  await Promise.all(Object.values(informers).map((informer) => informer.start()));
  rebuild();

  const explainer = (host: string | undefined, path: string, headers: Record<string, string>) =>
    explainRequest(proxy, targets, endpoints, host, path, headers);
  const admin = createAdminServer({ reporter, proxy, targets: () => targets, endpoints, explain: explainer });
  const adminPort = await listen(admin, options.adminPort, options.adminHost);
  const proxyPort = (await proxy.listen(options.proxyPort, options.proxyHost)).port;
  let tlsPort: number | undefined;
  let certificateReload: NodeJS.Timeout | undefined;
  if (options.tls) {
    const { certFile, keyFile } = options.tls;
    let current = { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
    tlsPort = (await proxy.listen(options.tls.port, options.proxyHost, current)).port;
    // Renewed certificates (cert-manager rotates the Secret) are picked up without a restart.
    certificateReload = setInterval(() => {
      void Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")])
        .then(([cert, key]) => {
          if (cert === current.cert && key === current.key) return;
          current = { cert, key };
          proxy.setTlsCertificate(current);
          logger.info("TLS certificate reloaded", { certFile });
        })
        .catch((error: unknown) =>
          logger.warn("cannot read the TLS certificate", { error: messageOf(error) }),
        );
    }, 60_000);
    certificateReload.unref();
  }
  logger.info("tidal interceptor started", {
    proxy: `http://${options.proxyHost}:${proxyPort}`,
    ...(tlsPort === undefined ? {} : { proxyTls: `https://${options.proxyHost}:${tlsPort}` }),
    admin: `http://${options.adminHost}:${adminPort}`,
    namespace: options.namespace ?? "(all)",
    routes: targets.size,
  });

  return {
    proxyPort,
    adminPort,
    ...(tlsPort === undefined ? {} : { tlsPort }),
    async stop() {
      clearInterval(certificateReload);
      reporter.close();
      await proxy.close();
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      await Promise.all(Object.values(informers).map((informer) => informer.stop()));
      api.close();
    },
  };
}

function countsOf(routes: readonly RouteStatus[]): Record<string, RouteCounts> {
  return Object.fromEntries(
    routes.map((route) => [
      route.key,
      { concurrency: route.concurrency, requestRate: route.requestRate, held: route.held },
    ]),
  );
}

/** Why a request goes where it goes, or is held, or gets 404: for `tidal explain`. */
export interface RequestExplanation {
  request: { host: string; path: string; headers: Record<string, string> };
  /** undefined: no HTTPScaledObject claims the request (404). */
  route?: RouteStatus & {
    match: { host: string; pathPrefix: string; headers: readonly { name: string; value: string }[] };
  };
  target?: { service: string; port: ServicePortRef; problem?: string };
  endpoints?: ServiceEndpointsReport;
  /** The verdict in a few lines. */
  summary: string[];
}

function explainRequest(
  proxy: HttpProxy,
  targets: ReadonlyMap<string, RouteTarget>,
  endpoints: ServiceEndpoints,
  host: string | undefined,
  path: string,
  headers: Record<string, string>,
): RequestExplanation {
  const request = { host: host ?? "", path, headers };
  const found = proxy.explain(host, path, headers);
  if (found === undefined) {
    const known = proxy
      .routes()
      .map(
        (route) =>
          `${route.key} (hosts ${route.hosts.join(", ")}; prefixes ${route.pathPrefixes.join(", ")})`,
      );
    return {
      request,
      summary: [
        `no HTTPScaledObject claims host "${request.host}" and path "${path}": answered 404 at once`,
        known.length === 0
          ? "this interceptor serves no HTTPScaledObject"
          : `routes here: ${known.join("; ")}`,
      ],
    };
  }
  const { route, match } = found;
  const tier =
    match.host === "*"
      ? "any host"
      : match.host.startsWith("*.")
        ? `wildcard ${match.host}`
        : `host ${match.host}`;
  const summary = [
    `route: HTTPScaledObject ${route.key}, matched on ${tier}, prefix ${match.pathPrefix}${
      match.headers.length > 0
        ? `, headers ${match.headers.map((header) => `${header.name}: ${header.value}`).join(", ")}`
        : ""
    }`,
  ];
  const target = targets.get(route.key);
  const result: RequestExplanation = { request, route: { ...route, match }, summary };
  if (target === undefined) return result;
  const port = target.port.port ?? target.port.portName;
  result.target = { service: `${target.namespace}/${target.service}`, port: target.port };
  const report = endpoints.report(target.namespace, target.service, target.port);
  result.endpoints = report;
  const forwardTo = report.servicePort
    ? ` (endpoint port ${report.servicePort.name ? `"${report.servicePort.name}" ` : ""}${report.servicePort.port})`
    : "";
  summary.push(`target: Service ${result.target.service} port ${port}${forwardTo}`);
  if (report.ready.length > 0) {
    summary.push(
      `forwards to ${report.ready.length} ready endpoint(s): ${report.ready.map((endpoint) => `${endpoint.host}:${endpoint.port}`).join(", ")} (least requests in flight first)`,
    );
  } else {
    summary.push(
      `no ready endpoint: ${report.reason ?? "none"}; a request is held up to conditionWait ${route.conditionWaitMs} ms while the operator scales the workload from zero, then answered 502`,
    );
  }
  if (route.held > 0) {
    summary.push(
      `held now: ${route.held} request(s), the oldest for ${route.heldForMs ?? 0} ms; the operator was told at the first one`,
    );
  }
  summary.push(
    `in flight ${route.concurrency}, request rate ${route.requestRate} per granularity (this replica only)`,
  );
  return result;
}

/** The admin port: the queue protocol for the operator, status and explain for people. */
function createAdminServer(parts: {
  reporter: QueueReporter;
  proxy: HttpProxy;
  targets: () => ReadonlyMap<string, RouteTarget>;
  endpoints: ServiceEndpoints;
  explain: (host: string | undefined, path: string, headers: Record<string, string>) => RequestExplanation;
}): Server {
  const json = (response: ServerResponse, status: number, body: unknown): void => {
    const text = `${JSON.stringify(body, null, 2)}\n`;
    response.writeHead(status, { "content-type": "application/json" }).end(text);
  };
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://admin");
    switch (url.pathname) {
      case "/healthz":
      case "/readyz":
        response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
        return;
      case QUEUE_PATH: {
        if (url.searchParams.get("watch") !== "1") {
          json(response, 200, parts.reporter.snapshot());
          return;
        }
        response.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
        response.socket?.setNoDelay(true);
        const unsubscribe = parts.reporter.subscribe((line) => response.write(line));
        response.once("close", unsubscribe);
        return;
      }
      case "/api/v1/routes": {
        const targets = parts.targets();
        json(
          response,
          200,
          parts.proxy.routes().map((route) => {
            const target = targets.get(route.key);
            return {
              ...route,
              ...(target
                ? {
                    target: { service: `${target.namespace}/${target.service}`, port: target.port },
                    endpoints: parts.endpoints.report(target.namespace, target.service, target.port),
                  }
                : {}),
            };
          }),
        );
        return;
      }
      case "/api/v1/explain": {
        const headers: Record<string, string> = {};
        for (const header of url.searchParams.getAll("header")) {
          const colon = header.indexOf(":");
          if (colon > 0) headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
        }
        json(
          response,
          200,
          parts.explain(
            url.searchParams.get("host") ?? undefined,
            url.searchParams.get("path") ?? "/",
            headers,
          ),
        );
        return;
      }
      default:
        response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
}
