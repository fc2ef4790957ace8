import { createServer, type Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { hostname } from "node:os";
import type { Logger } from "../../observability/logger.ts";
import { TidalMetrics } from "../../observability/metrics.ts";
import { ConnectionPool } from "../../scalers/connection-pool.ts";
import { Scheduler } from "../../scheduler/scheduler.ts";
import { messageOf } from "../../util/errors.ts";
import { fingerprintOf } from "../../util/stable-json.ts";
import { packageVersion } from "../../util/version.ts";
import {
  API_SERVICE_NAME,
  createExternalMetricsServer,
  ensureLocalApiService,
  followCertDir,
  readCertDir,
  readFrontProxyTrust,
  removeLocalApiService,
  selfSignedServingCert,
  type ExternalMetricsServer,
  type TlsCredentials,
} from "../metrics-api/index.ts";
import { listen } from "../../util/listen.ts";
import { EventLog } from "../events.ts";
import { ScalingHistory } from "../history.ts";
import { createStatusServer, isLoopbackHost, type StatusServer } from "../status/server.ts";
import { ensureLocalWebhook, LOCAL_WEBHOOK_NAME, removeLocalWebhook } from "./admission/registration.ts";
import { CertificateRotator, type SecretObject } from "./cert-rotation.ts";
import { serviceHosts, type CertificatePolicy } from "./certificates.ts";
import { admissionCluster, createAdmissionServer } from "./admission/server.ts";
import { OperatorStatus, type OperatorStatusOptions } from "./operator-status.ts";
import { clusterAuthSources } from "./cluster-auth-sources.ts";
import { Discovery } from "./discovery.ts";
import { Informer } from "./informer.ts";
import { slimWorkload, WatchedReplicas } from "./watched-replicas.ts";
import { KubeApi, loadKubeConfig, resourcePath, type ClusterEnvironment } from "./kube-api.ts";
import { KubeEventRecorder } from "./kube-events.ts";
import { LeaderElector } from "./leader-election.ts";
import { ScaledJobReconciler, type RawScaledJob } from "./scaled-job-reconciler.ts";
import { ScaledObjectReconciler, type RawScaledObject } from "./scaled-object-reconciler.ts";
import {
  HttpScaledObjectReconciler,
  owningHttpScaledObject,
  parseHttpScaledObject,
  type LiveScaledObject,
  type RawHttpScaledObject,
} from "./http-scaled-object-reconciler.ts";
import { startHttpScalerServer, type HttpScalerServer } from "./http-scaler-server.ts";
import { InterceptorCounts, replicaUrls } from "./interceptor-counts.ts";
import type { EndpointSliceObject } from "./service-endpoints.ts";
import { ServiceAccountTokens } from "./service-account-tokens.ts";
import { WorkQueue } from "./work-queue.ts";
import { HTTP_ADDON_API_VERSION, KEDA_API_VERSION } from "../../api/names.ts";

export interface OperatorOptions {
  kubeconfig?: string;
  /** Where a cluster is when no kubeconfig file is given. */
  clusterEnvironment: ClusterEnvironment;
  /** This replica's name in events (the Pod's name, HOSTNAME, in a cluster). */
  instance: string;
  /** Watch one namespace; all when absent (WATCH_NAMESPACE). */
  namespace?: string;
  leaderElect: boolean;
  /** Namespace of the leader-election Lease. */
  leaseNamespace: string;
  /**
   * This replica's Pod (POD_NAME, from the downward API); the Lease's holder identity is
   * `<pod>_<pid>`, so `tidal explain` finds the leader's Pod. Default: the host name.
   */
  podName?: string;
  /** Out of cluster: register an APIService that reaches the metrics server on loopback. */
  local: boolean;
  /** Port of the external metrics API (HTTPS). */
  metricsServerPort: number;
  /** Port of the admission webhook (HTTPS, same certificate); none when absent. */
  webhookPort?: number;
  /** Address of the Prometheus /metrics and health endpoints, host:port. */
  metricsBindAddress: string;
  /**
   * Address of the status API and dashboard, host:port; none when absent. It has no login of its
   * own: on loopback (the default) only those who may port-forward to the pod reach it.
   */
  dashboardBindAddress?: string;
  /** Fail when the dashboard cannot listen (the address was chosen); otherwise log and go on. */
  dashboardRequired?: boolean;
  /**
   * Folder with tls.crt and tls.key for the metrics API and the webhook, followed for renewals;
   * a self-signed pair when absent (and no rotation).
   */
  certDir?: string;
  /** KEDA's --enable-cert-rotation: the operator makes and renews the certificates itself. */
  certRotation?: CertRotationOptions;
  /** Where ClusterTriggerAuthentication secrets live (KEDA_CLUSTER_OBJECT_NAMESPACE). */
  clusterObjectNamespace: string;
  /** Lifetime asked for bound service account tokens (KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY); 1 h. */
  boundTokenExpirySeconds?: number;
  timeoutMs: number;
  /** How often direct-mode ScaledObjects sync like the HPA. */
  hpaSyncPeriodMs: number;
  /** The operator's own environment: cloud identities (e.g. AWS_WEB_IDENTITY_TOKEN_FILE) for triggers. */
  processEnvironment: Readonly<Record<string, string | undefined>>;
  resyncMs?: number;
  /** The HTTP add-on's scaler (gRPC) and where the interceptors' counts come from. */
  http: HttpAddonOptions;
  logger: Logger;
}

export interface CertRotationOptions {
  /** The Secret in the operator's namespace (the lease namespace) that holds them. */
  secretName: string;
  /** The operator's Service, whose names the serving certificate carries. */
  serviceName: string;
  clusterDomain: string;
  /** The ValidatingWebhookConfiguration to patch (when the webhook is served). */
  webhookConfiguration: string;
  policy: CertificatePolicy;
}

export interface HttpAddonOptions {
  scalerPort: number;
  scalerHost: string;
  /** host:port written into the ScaledObjects of HTTPScaledObjects; by default the bound loopback
   * port with --local, else `tidal-operator.<namespace>.svc:<port>`. */
  scalerAddress?: string;
  /** The interceptors' admin Service, whose EndpointSlices list the replicas. */
  interceptorService: { namespace: string; name: string };
  /** Fixed admin URLs of interceptor replicas instead (no discovery). */
  interceptorUrls?: string[];
}

export interface RunningOperator {
  metricsServerPort: number;
  /** The admission webhook's port, when it is served. */
  webhookPort?: number;
  metricsPort: number;
  httpScalerPort: number;
  /** Where the dashboard listens, when it does. */
  dashboardPort?: number;
  stop(): Promise<void>;
}

type Named = { metadata: { name: string; namespace?: string } };

/** The local APIService's Service, whose name the aggregator checks in the certificate. */
const LOCAL_SERVICE = { namespace: "tidal-system", name: "tidal-metrics-local" };

/**
 * Where the serving certificate comes from: the rotator's Secret, a folder (followed for
 * renewals), or a self-signed pair made now. Credentials can change while the operator runs:
 * `onChange` hands them to every TLS server.
 */
async function servingCredentials(
  options: OperatorOptions,
  api: KubeApi,
  kubeConfig: ReturnType<typeof loadKubeConfig>,
  isLeader: () => boolean,
  onChange: (tls: TlsCredentials) => void,
): Promise<{
  tls: TlsCredentials;
  caBundle?: () => string;
  rotator?: CertificateRotator;
  stop: () => Promise<void>;
}> {
  const { logger } = options;
  const rotation = options.certRotation;
  if (rotation) {
    const namespace = options.leaseNamespace;
    const rotator = new CertificateRotator({
      api,
      namespace,
      secretName: rotation.secretName,
      hosts: options.local
        ? [`${LOCAL_SERVICE.name}.${LOCAL_SERVICE.namespace}.svc`, "localhost", "127.0.0.1", "::1"]
        : serviceHosts(rotation.serviceName, namespace, rotation.clusterDomain),
      policy: rotation.policy,
      caName: `${rotation.serviceName}-ca`,
      apiService: {
        name: API_SERVICE_NAME,
        service: options.local ? LOCAL_SERVICE : { namespace, name: rotation.serviceName },
      },
      ...(options.webhookPort !== undefined
        ? { webhookConfiguration: options.local ? LOCAL_WEBHOOK_NAME : rotation.webhookConfiguration }
        : {}),
      isLeader,
      onCredentials: onChange,
      logger,
    });
    const secrets = new Informer<SecretObject & Named>(
      kubeConfig,
      api,
      {
        apiVersion: "v1",
        plural: "secrets",
        namespace,
        fieldSelector: `metadata.name=${rotation.secretName}`,
      },
      logger,
    );
    const tls = (await rotator.start()) ?? (await selfSignedServingCert());
    for (const verb of ["add", "update"] as const)
      secrets.on(verb, (secret) => rotator.secretChanged(secret));
    await secrets.start();
    return {
      tls,
      caBundle: () => rotator.caBundle,
      rotator,
      stop: async () => {
        rotator.stop();
        await secrets.stop();
      },
    };
  }
  if (options.certDir === undefined) return { tls: await selfSignedServingCert(), stop: async () => {} };
  const tls = await readCertDir(options.certDir);
  const stop = followCertDir(
    options.certDir,
    tls,
    (renewed) => {
      logger.info("serving the renewed certificate of the folder", { certDir: options.certDir });
      onChange(renewed);
    },
    { onError: (error) => logger.debug("certificate folder not readable", { error: messageOf(error) }) },
  );
  return { tls, stop: async () => stop() };
}

/**
 * `tidal operator`: informers for KEDA's four CRDs, work queues that reconcile ScaledObjects and
 * ScaledJobs, their scale loops on one scheduler, the external metrics API the HPA reads, Prometheus
 * metrics, and (optionally) leader election so only one replica writes.
 */
export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const { logger } = options;
  const kubeConfig = loadKubeConfig(options.kubeconfig, options.clusterEnvironment);
  const api = new KubeApi(kubeConfig);
  const metrics = new TidalMetrics(packageVersion());
  // The dashboard's memory of events: fewer per object than tidal run keeps, as there may be
  // thousands of objects; Kubernetes holds them all.
  const eventLog = new EventLog({ perObject: 20 });
  const history = new ScalingHistory();
  const events = new KubeEventRecorder(api, logger, options.instance, eventLog);
  const scheduler = new Scheduler({
    onRun: (_key, lagMs) => metrics.schedulingLag.observe(lagMs / 1000),
    onError: (key, error) => logger.error("scale loop failed", { object: key, error: messageOf(error) }),
  });
  const watch = (plural: string, namespaced: boolean) =>
    new Informer<Named & RawScaledObject>(
      kubeConfig,
      api,
      {
        apiVersion: KEDA_API_VERSION,
        plural,
        ...(namespaced && options.namespace ? { namespace: options.namespace } : {}),
      },
      logger,
    );
  const informers = {
    scaledObjects: watch("scaledobjects", true),
    scaledJobs: watch("scaledjobs", true) as unknown as Informer<RawScaledJob>,
    triggerAuthentications: watch("triggerauthentications", true),
    clusterTriggerAuthentications: watch("clustertriggerauthentications", false),
  };
  // The HTTP add-on's CRD is optional: without it, HTTPScaledObjects are not served.
  const httpAddon = await api.get(`/apis/${HTTP_ADDON_API_VERSION}`).then(
    () => true,
    (error: unknown) => {
      logger.warn("HTTPScaledObjects are not served: the http.keda.sh CRD is missing (apply deploy/crds/)", {
        error: messageOf(error),
      });
      return false;
    },
  );
  const httpInformers = httpAddon
    ? {
        httpScaledObjects: new Informer<Named & RawHttpScaledObject>(
          kubeConfig,
          api,
          {
            apiVersion: HTTP_ADDON_API_VERSION,
            plural: "httpscaledobjects",
            ...(options.namespace ? { namespace: options.namespace } : {}),
          },
          logger,
        ),
        ...(options.http.interceptorUrls?.length
          ? {}
          : {
              interceptorSlices: new Informer<Named & EndpointSliceObject>(
                kubeConfig,
                api,
                {
                  apiVersion: "discovery.k8s.io/v1",
                  plural: "endpointslices",
                  namespace: options.http.interceptorService.namespace,
                  labelSelector: `kubernetes.io/service-name=${options.http.interceptorService.name}`,
                },
                logger,
              ),
            }),
      }
    : undefined;
  const interceptorCounts = new InterceptorCounts({ logger });
  const httpObjectOf = (namespace: string, name: string) => {
    const raw = httpInformers?.httpScaledObjects.get(name, namespace);
    if (raw === undefined) return undefined;
    const parsed = parseHttpScaledObject(raw);
    return typeof parsed === "string" ? undefined : parsed;
  };
  const httpScaler: HttpScalerServer = await startHttpScalerServer(
    { counts: interceptorCounts, lookup: httpObjectOf, logger },
    options.http.scalerPort,
    options.http.scalerHost,
  );
  const scalerAddress =
    options.http.scalerAddress ??
    (options.local
      ? `127.0.0.1:${httpScaler.port}`
      : `tidal-operator.${options.leaseNamespace}.svc:${httpScaler.port}`);
  let elector: LeaderElector | undefined;
  // The certificate rotator, once it exists: a new leader renews what is due at once.
  const rotation: { rotator?: CertificateRotator | undefined } = {};
  const isLeader = () => elector === undefined || elector.leading;
  const pool = new ConnectionPool();
  const shared = {
    api,
    authSources: clusterAuthSources(
      api,
      informers,
      new ServiceAccountTokens(api, { expirationSeconds: options.boundTokenExpirySeconds ?? 3600 }),
    ),
    scheduler,
    pool,
    metrics,
    events,
    history,
    logger,
    version: packageVersion(),
    clusterObjectNamespace: options.clusterObjectNamespace,
    timeoutMs: options.timeoutMs,
    hpaSyncPeriodMs: options.hpaSyncPeriodMs,
    processEnvironment: options.processEnvironment,
    isLeader,
  };
  // Deployments' and StatefulSets' replica counts from a watch, as KEDA reads them from its cache.
  const replicaSource = new WatchedReplicas({
    open: (plural) => {
      const informer = new Informer<Named & { spec?: { replicas?: number } }>(
        kubeConfig,
        api,
        { apiVersion: "apps/v1", plural, ...(options.namespace ? { namespace: options.namespace } : {}) },
        logger,
      );
      // Only the replica count is read: keep no pod templates in memory.
      informer.on("add", slimWorkload);
      informer.on("update", slimWorkload);
      return informer;
    },
    canList: (plural) =>
      api.get(`${resourcePath("apps/v1", plural, options.namespace)}?limit=1`).then(
        () => true,
        () => false,
      ),
    logger,
  });
  const scaledObjects = new ScaledObjectReconciler({
    ...shared,
    informer: informers.scaledObjects,
    discovery: new Discovery(api),
    replicaSource,
  });
  const scaledJobs = new ScaledJobReconciler({ ...shared, informer: informers.scaledJobs });
  const httpScaledObjects = httpInformers
    ? new HttpScaledObjectReconciler({
        api,
        informer: httpInformers.httpScaledObjects,
        scaledObjects: informers.scaledObjects as unknown as Informer<Named & LiveScaledObject>,
        events,
        logger,
        scalerAddress,
        isLeader,
      })
    : undefined;
  const onError = (kind: string) => (key: string, error: unknown, retryInMs: number) =>
    logger.warn("reconcile failed; retrying", { kind, object: key, error: messageOf(error), retryInMs });
  const objectQueue = new WorkQueue((key) => scaledObjects.reconcile(key), {
    onError: onError("ScaledObject"),
  });
  const jobQueue = new WorkQueue((key) => scaledJobs.reconcile(key), { onError: onError("ScaledJob") });
  const httpQueue = new WorkQueue((key) => httpScaledObjects?.reconcile(key) ?? Promise.resolve(), {
    onError: onError("HTTPScaledObject"),
  });
  const keyOf = (object: Named) => `${object.metadata.namespace ?? "default"}/${object.metadata.name}`;
  const enqueueAll = () => {
    for (const object of informers.scaledObjects.list()) objectQueue.add(keyOf(object));
    for (const object of informers.scaledJobs.list()) jobQueue.add(keyOf(object as Named));
    for (const object of httpInformers?.httpScaledObjects.list() ?? []) httpQueue.add(keyOf(object));
  };
  const watchReconciled = (informer: Informer<Named & RawScaledObject>, queue: WorkQueue) => {
    const changes = new ReconcileTrigger();
    informer.on("add", (object) => changes.changed(object) && queue.add(keyOf(object)));
    informer.on("update", (object) => changes.changed(object) && queue.add(keyOf(object)));
    informer.on("delete", (object) => {
      changes.forget(object);
      queue.add(keyOf(object));
    });
  };
  watchReconciled(informers.scaledObjects, objectQueue);
  watchReconciled(informers.scaledJobs as unknown as Informer<Named & RawScaledObject>, jobQueue);
  if (httpInformers) {
    watchReconciled(
      httpInformers.httpScaledObjects as unknown as Informer<Named & RawScaledObject>,
      httpQueue,
    );
    // A generated ScaledObject changed or deleted by someone else is put back.
    for (const verb of ["update", "delete"] as const) {
      informers.scaledObjects.on(verb, (object) => {
        const owner = owningHttpScaledObject(object as unknown as LiveScaledObject);
        if (owner !== undefined) httpQueue.add(owner);
      });
    }
    const slices = httpInformers.interceptorSlices;
    if (slices) {
      const follow = () => interceptorCounts.setReplicas(replicaUrls(slices.list()));
      for (const verb of ["add", "update", "delete"] as const) slices.on(verb, follow);
    } else interceptorCounts.setReplicas(options.http.interceptorUrls ?? []);
  }
  for (const verb of ["add", "update", "delete"] as const) {
    // A changed authentication object can change any trigger that references it.
    informers.triggerAuthentications.on(verb, enqueueAll);
    informers.clusterTriggerAuthentications.on(verb, enqueueAll);
  }
  await Promise.all(
    [...Object.values(informers), ...Object.values(httpInformers ?? {})].map((informer) => informer.start()),
  );
  if (httpInformers?.interceptorSlices)
    interceptorCounts.setReplicas(replicaUrls(httpInformers.interceptorSlices.list()));
  const resync = setInterval(enqueueAll, options.resyncMs ?? 5 * 60_000);
  resync.unref();

  const identity = `${options.podName || hostname()}_${process.pid}`;
  if (options.leaderElect) {
    elector = new LeaderElector(
      api,
      {
        namespace: options.leaseNamespace,
        name: "tidal-operator",
        identity,
        onStartedLeading: () => {
          enqueueAll();
          void rotation.rotator?.reconcile();
        },
        onStoppedLeading: () => {
          logger.error("lost the leader lease; exiting so a fresh process starts as a standby");
          process.exit(1);
        },
      },
      logger,
    );
    elector.start();
  }
  enqueueAll();

  // Renewed certificates reach both TLS servers without a restart.
  const servers: { metrics?: ExternalMetricsServer; webhook?: HttpsServer; tls?: TlsCredentials } = {};
  const certificates = await servingCredentials(options, api, kubeConfig, isLeader, (renewed) => {
    servers.tls = renewed;
    servers.metrics?.updateCredentials({ tls: renewed });
    servers.webhook?.setSecureContext({
      cert: renewed.cert,
      key: renewed.key,
      minVersion: "TLSv1.2",
    });
  });
  rotation.rotator = certificates.rotator;
  // Leadership may have come while the rotator was being made.
  if (isLeader()) void rotation.rotator?.reconcile();
  const { tls } = certificates;
  const metricsServer: ExternalMetricsServer = createExternalMetricsServer({
    lookup: (query) => scaledObjects.lookupMetric(query.namespace, query.metricName, query.labelSelector),
    tls,
    clientAuth: await readFrontProxyTrust(kubeConfig),
    logger,
  });
  servers.metrics = metricsServer;
  const metricsServerPort = (
    await metricsServer.listen(options.metricsServerPort, options.local ? "127.0.0.1" : "0.0.0.0")
  ).port;
  const caBundle = certificates.caBundle?.();
  if (options.local)
    await ensureLocalApiService(kubeConfig, {
      port: metricsServerPort,
      logger,
      ...(caBundle ? { caBundle } : {}),
    });
  const webhook =
    options.webhookPort === undefined
      ? undefined
      : createAdmissionServer(servers.tls ?? tls, admissionCluster(api, informers), logger);
  if (webhook) servers.webhook = webhook;
  const webhookPort =
    webhook === undefined
      ? undefined
      : await listen(webhook, options.webhookPort!, options.local ? "127.0.0.1" : "0.0.0.0");
  if (options.local && webhookPort !== undefined)
    await ensureLocalWebhook(
      api,
      webhookPort,
      caBundle ? Buffer.from(caBundle, "base64").toString("utf8") : tls.cert.toString(),
    );
  // The local registrations exist now: have them trust the rotated CA at once.
  if (options.local) void rotation.rotator?.reconcile();
  const monitoring = createMonitoringServer(metrics);
  const [host, port] = splitAddress(options.metricsBindAddress);
  const metricsPort = await listen(monitoring, port, host);
  const dashboard = await startDashboard(options, {
    api,
    history,
    events: eventLog,
    objects: () => [...scaledObjects.dashboardObjects(), ...scaledJobs.dashboardObjects()],
  });
  logger.info("tidal operator started", {
    version: packageVersion(),
    cluster: kubeConfig.getCurrentCluster()?.server ?? "(unknown)",
    externalMetricsApi: `https://${options.local ? "127.0.0.1" : "0.0.0.0"}:${metricsServerPort}`,
    metrics: `http://${host}:${metricsPort}/metrics`,
    httpScaler: httpAddon ? scalerAddress : "(http.keda.sh CRD missing)",
    ...(webhookPort !== undefined
      ? { admissionWebhook: `https://${options.local ? "127.0.0.1" : "0.0.0.0"}:${webhookPort}` }
      : {}),
    ...(dashboard ? { dashboard: dashboard.url } : {}),
    namespace: options.namespace ?? "(all)",
    leaderElection: options.leaderElect
      ? `on (Lease ${options.leaseNamespace}/tidal-operator, identity ${identity})`
      : "off",
    hpaSyncPeriod: `${options.hpaSyncPeriodMs / 1000}s`,
  });

  return {
    metricsServerPort,
    ...(webhookPort !== undefined ? { webhookPort } : {}),
    metricsPort,
    httpScalerPort: httpScaler.port,
    ...(dashboard ? { dashboardPort: dashboard.port } : {}),
    async stop() {
      await dashboard?.server.close();
      clearInterval(resync);
      objectQueue.stop();
      jobQueue.stop();
      httpQueue.stop();
      scheduler.stop();
      await elector?.stop();
      await Promise.all(
        [...Object.values(informers), ...Object.values(httpInformers ?? {})].map((informer) =>
          informer.stop(),
        ),
      );
      interceptorCounts.close();
      await replicaSource.stop();
      await scaledObjects.stop();
      await scaledJobs.stop();
      if (options.local)
        await removeLocalApiService(kubeConfig, { port: metricsServerPort }).catch(() => undefined);
      if (options.local && webhookPort !== undefined) await removeLocalWebhook(api).catch(() => undefined);
      if (webhook) await new Promise<void>((resolve) => webhook.close(() => resolve()));
      await metricsServer.close();
      await httpScaler.close();
      await new Promise<void>((resolve) => monitoring.close(() => resolve()));
      await certificates?.stop();
      api.close();
    },
  };
}

/**
 * Tells which watch events need a reconcile: changes of spec (generation), labels, annotations,
 * finalizers or deletion. Status updates, most of them Tidal's own, do not, as in KEDA's
 * controller predicates; otherwise each status write would reconcile again.
 */
class ReconcileTrigger {
  readonly #seen = new Map<string, string>();

  changed(object: RawScaledObject): boolean {
    const { metadata } = object;
    const key = `${metadata.namespace}/${metadata.name}`;
    const fingerprint = fingerprintOf([
      metadata.generation,
      metadata.labels,
      metadata.annotations,
      metadata.finalizers,
      metadata.deletionTimestamp,
    ]);
    if (this.#seen.get(key) === fingerprint) return false;
    this.#seen.set(key, fingerprint);
    return true;
  }

  forget(object: RawScaledObject): void {
    this.#seen.delete(`${object.metadata.namespace}/${object.metadata.name}`);
  }
}

/**
 * The status API and dashboard (the same server as `tidal run`'s, without /metrics, which the
 * monitoring port serves). On loopback it answers only requests addressed to loopback names.
 */
async function startDashboard(
  options: OperatorOptions,
  parts: OperatorStatusOptions,
): Promise<{ server: StatusServer; port: number; url: string } | undefined> {
  if (options.dashboardBindAddress === undefined) return undefined;
  const [host, port] = splitAddress(options.dashboardBindAddress);
  const loopback = isLoopbackHost(host);
  const source = new OperatorStatus(parts);
  const server = createStatusServer({ status: source, dashboard: source, loopbackOnly: loopback });
  try {
    const bound = await listen(server.server, port, host);
    if (!loopback)
      options.logger.warn(
        "the dashboard listens beyond loopback and has no login of its own: put it behind an authenticating proxy, or keep it on 127.0.0.1 and use kubectl port-forward",
        { address: `${host}:${bound}` },
      );
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
    return {
      server,
      port: bound,
      url: `http://${shown.includes(":") ? `[${shown}]` : shown}:${bound}/dashboard/`,
    };
  } catch (error) {
    await server.close().catch(() => undefined);
    if (options.dashboardRequired)
      throw new Error(`the dashboard cannot listen on ${host}:${port}: ${messageOf(error)}`, {
        cause: error,
      });
    options.logger.warn("the dashboard is not served: its address is taken; pass --dashboard-bind-address", {
      address: `${host}:${port}`,
      error: messageOf(error),
    });
    return undefined;
  }
}

function splitAddress(address: string): [string, number] {
  const separator = address.lastIndexOf(":");
  const host = separator > 0 ? address.slice(0, separator) : "0.0.0.0";
  return [host || "0.0.0.0", Number(address.slice(separator + 1))];
}

/** Prometheus metrics and health checks for kubelet probes. */
function createMonitoringServer(metrics: TidalMetrics): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path === "/healthz" || path === "/readyz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    void metrics
      .text()
      .then(({ contentType, body }) => response.writeHead(200, { "content-type": contentType }).end(body));
  });
}
