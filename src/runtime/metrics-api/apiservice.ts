import {
  ApiException,
  ApiregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1APIService,
  type V1APIServiceCondition,
  type V1Service,
} from "@kubernetes/client-node";
import { silentLogger, type Logger } from "../../observability/logger.ts";
import { GROUP, VERSION } from "./server.ts";

export const API_SERVICE_NAME = `${VERSION}.${GROUP}`;
const MANAGED_BY = {
  "app.kubernetes.io/managed-by": "tidal",
  "app.kubernetes.io/component": "metrics-api-local",
};

export interface LocalApiServiceOptions {
  /** The port the external metrics server listens on, on this machine's loopback. */
  port: number;
  /** Default "tidal-system"; created when missing. */
  serviceNamespace?: string;
  /** Default "tidal-metrics-local". */
  serviceName?: string;
  /**
   * Base64 PEM CA that signed the server's certificate, which then names the Service
   * (`<name>.<namespace>.svc`, the server name the aggregator checks). Without it, TLS verification
   * is off.
   */
  caBundle?: string;
  /** How long to wait for Available=True; default 60 s. */
  timeoutMs?: number;
  logger?: Logger;
}

function code(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const candidate = (error as { code?: unknown } | null)?.code;
  return typeof candidate === "number" ? candidate : undefined;
}

async function orUndefined<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (code(error) === 404) return undefined;
    throw error;
  }
}

async function ignoring(status: number, request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (code(error) !== status) throw error;
  }
}

function names(options: { serviceNamespace?: string | undefined; serviceName?: string | undefined }) {
  return {
    namespace: options.serviceNamespace ?? "tidal-system",
    name: options.serviceName ?? "tidal-metrics-local",
  };
}

function availableCondition(apiService: V1APIService | undefined): V1APIServiceCondition | undefined {
  return apiService?.status?.conditions?.find((condition) => condition.type === "Available");
}

/**
 * Registers this machine's external metrics server with the cluster's aggregation layer, for runs
 * outside the cluster (`--local`): a Service `type: ExternalName, externalName: localhost` and the
 * APIService `v1beta1.external.metrics.k8s.io` pointing at it on `port`, TLS verification off (the
 * aggregator sends the server name `<svc>.<ns>.svc`, which a loopback certificate cannot carry),
 * or, with `caBundle`, on: the server's certificate then names that Service.
 * Only works when the kube-apiserver itself runs on this machine (it dials localhost:<port>).
 *
 * Idempotent. An existing APIService with another spec (a previous run on another port, or another
 * adapter such as KEDA's) is replaced: deleted and created again, so the Available condition waited
 * for is this registration's own. Resolves once the aggregator reports Available=True; rejects
 * after `timeoutMs` with the condition's reason and message.
 */
export async function ensureLocalApiService(
  kubeConfig: KubeConfig,
  options: LocalApiServiceOptions,
): Promise<{
  apiService: string;
  service: { namespace: string; name: string; port: number };
  waitedMs: number;
}> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port}`);
  const { namespace, name } = names(options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const logger = options.logger ?? silentLogger;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const registration = kubeConfig.makeApiClient(ApiregistrationV1Api);

  if ((await orUndefined(core.readNamespace({ name: namespace }))) === undefined) {
    await ignoring(
      409,
      core.createNamespace({ body: { metadata: { name: namespace, labels: MANAGED_BY } } }),
    );
  }

  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels: MANAGED_BY },
    spec: {
      type: "ExternalName",
      externalName: "localhost",
      ports: [{ name: "https", port, protocol: "TCP" }],
    },
  };
  const existingService = await orUndefined(core.readNamespacedService({ name, namespace }));
  if (existingService === undefined) {
    await core.createNamespacedService({ namespace, body: service });
  } else if (existingService.spec?.type !== "ExternalName") {
    // Changing a ClusterIP Service into an ExternalName one in place trips over its allocated IPs.
    await ignoring(404, core.deleteNamespacedService({ name, namespace }));
    await core.createNamespacedService({ namespace, body: service });
  } else {
    const current = existingService.spec;
    if (
      current.externalName !== "localhost" ||
      current.ports?.length !== 1 ||
      current.ports[0]?.port !== port
    ) {
      await core.replaceNamespacedService({
        name,
        namespace,
        body: {
          ...service,
          metadata: { ...service.metadata, resourceVersion: existingService.metadata?.resourceVersion },
        },
      });
    }
  }

  const apiService: V1APIService = {
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: API_SERVICE_NAME, labels: MANAGED_BY },
    spec: {
      group: GROUP,
      version: VERSION,
      service: { namespace, name, port },
      ...(options.caBundle ? { caBundle: options.caBundle } : { insecureSkipTLSVerify: true }),
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  };
  const existing = await orUndefined(registration.readAPIService({ name: API_SERVICE_NAME }));
  const spec = existing?.spec;
  const same =
    spec !== undefined &&
    spec.group === GROUP &&
    spec.version === VERSION &&
    spec.service?.namespace === namespace &&
    spec.service.name === name &&
    spec.service.port === port &&
    (options.caBundle
      ? !spec.insecureSkipTLSVerify && spec.caBundle === options.caBundle
      : spec.insecureSkipTLSVerify === true && !spec.caBundle) &&
    spec.groupPriorityMinimum === 100 &&
    spec.versionPriority === 100;
  if (existing !== undefined && !same) {
    const previous = spec?.service
      ? `${spec.service.namespace}/${spec.service.name}:${spec.service.port ?? 443}`
      : "a local group";
    logger.warn("replacing the external metrics APIService", { apiService: API_SERVICE_NAME, previous });
    await ignoring(404, registration.deleteAPIService({ name: API_SERVICE_NAME }));
  }
  if (existing === undefined || !same) {
    await registration.createAPIService({ body: apiService });
  }

  const started = Date.now();
  let last: V1APIServiceCondition | undefined;
  for (;;) {
    const current = await orUndefined(registration.readAPIService({ name: API_SERVICE_NAME }));
    last = availableCondition(current);
    if (last?.status === "True") break;
    if (Date.now() - started > timeoutMs) {
      const detail = last
        ? `Available=${last.status} (${last.reason ?? "no reason"}): ${last.message ?? "no message"}`
        : "no Available condition yet";
      throw new Error(
        `APIService ${API_SERVICE_NAME} did not become available within ${timeoutMs} ms: ${detail}. ` +
          `The kube-apiserver must reach https://localhost:${port} (is the metrics server listening there?)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const waitedMs = Date.now() - started;
  logger.info("external metrics APIService available", {
    apiService: API_SERVICE_NAME,
    service: `${namespace}/${name}`,
    port,
    waitedMs,
  });
  return { apiService: API_SERVICE_NAME, service: { namespace, name, port }, waitedMs };
}

/**
 * Undoes ensureLocalApiService at shutdown, so discovery does not degrade for the whole cluster
 * while nothing answers: deletes the APIService, but only if it still points at this Service (and
 * at `port`, when given; another run may have taken it over), then the Service. The namespace stays.
 * Resolves with whether the APIService was deleted.
 */
export async function removeLocalApiService(
  kubeConfig: KubeConfig,
  options: { port?: number; serviceNamespace?: string; serviceName?: string; logger?: Logger } = {},
): Promise<{ removed: boolean }> {
  const { namespace, name } = names(options);
  const logger = options.logger ?? silentLogger;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const registration = kubeConfig.makeApiClient(ApiregistrationV1Api);
  const existing = await orUndefined(registration.readAPIService({ name: API_SERVICE_NAME }));
  const target = existing?.spec?.service;
  const ours =
    target !== undefined &&
    target.namespace === namespace &&
    target.name === name &&
    (options.port === undefined || target.port === options.port);
  let removed = false;
  if (existing !== undefined && ours) {
    await ignoring(
      404,
      registration.deleteAPIService({
        name: API_SERVICE_NAME,
        body: { preconditions: { resourceVersion: existing.metadata?.resourceVersion } },
      }),
    );
    removed = true;
  } else if (existing !== undefined) {
    logger.info("leaving the external metrics APIService alone: it points elsewhere", {
      apiService: API_SERVICE_NAME,
      service: target ? `${target.namespace}/${target.name}:${target.port ?? 443}` : "a local group",
    });
  }
  if (ours || existing === undefined) await ignoring(404, core.deleteNamespacedService({ name, namespace }));
  return { removed };
}
