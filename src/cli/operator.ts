import { Command, Option } from "commander";
import {
  durationMilliseconds,
  hpaSyncPeriod,
  hpaSyncPeriodOption,
  logLevel,
  logLevelOption,
  measurementTimeout,
  measurementTimeoutOption,
  portNumber,
} from "./options.ts";
import { createLogger } from "../observability/logger.ts";
import { stopWithNpmParent } from "./parent-watch.ts";
import { TidalError, messageOf } from "../util/errors.ts";

/** Loopback in the pod: reached through kubectl port-forward, which RBAC guards. */
/** Where `tidal dashboard` looks by default; 9090 is the HTTP add-on's external scaler port. */
const DEFAULT_DASHBOARD = "127.0.0.1:8435";

interface OperatorCommandOptions {
  kubeconfig?: string;
  namespace?: string;
  leaderElect?: boolean;
  leaseNamespace?: string;
  local?: boolean;
  metricsServerPort: string;
  webhookPort?: string;
  metricsBindAddress: string;
  dashboardBindAddress: string;
  certDir?: string;
  enableCertRotation?: boolean;
  certSecretName: string;
  operatorServiceName: string;
  k8sClusterDomain: string;
  validatingWebhookName: string;
  certValidity: string;
  caCertValidity: string;
  certRenewBefore: string;
  timeout: string;
  hpaSyncPeriod: string;
  httpScalerPort: string;
  httpScalerAddress?: string;
  interceptorService: string;
  interceptorUrl?: string[];
  logFormat: "json" | "text";
}

export function operatorCommand(): Command {
  return new Command("operator")
    .description("run as a Kubernetes operator and external metrics server, a drop-in for KEDA")
    .option(
      "--kubeconfig <file>",
      "kubeconfig to use (default: in-cluster, then $KUBECONFIG or ~/.kube/config)",
    )
    .addOption(
      new Option("--namespace <namespace>", "watch only this namespace (default: all)").env(
        "WATCH_NAMESPACE",
      ),
    )
    .option("--leader-elect", "elect a leader on a coordination.k8s.io Lease so only one replica acts")
    .addOption(
      new Option(
        "--lease-namespace <namespace>",
        "namespace of the leader Lease (default: POD_NAMESPACE, else --namespace, else default)",
      ),
    )
    .option(
      "--local",
      "run outside the cluster: register an APIService that reaches the metrics server on loopback",
    )
    .addOption(
      new Option("--metrics-server-port <port>", "HTTPS port of the external.metrics.k8s.io API").default(
        "6443",
      ),
    )
    .addOption(
      new Option(
        "--metrics-bind-address <address>",
        "address of Prometheus /metrics and health checks",
      ).default(":8080"),
    )
    .addOption(
      new Option(
        "--dashboard-bind-address <address>",
        'address of the status API and dashboard; no login of its own, so loopback by default ("0" turns it off)',
      ).default(DEFAULT_DASHBOARD),
    )
    .option(
      "--webhook-port <port>",
      "serve the admission webhook (ScaledObject, ScaledJob, TriggerAuthentication checks) on this HTTPS port; with --local it is registered",
    )
    .option(
      "--cert-dir <dir>",
      "folder with tls.crt and tls.key for the metrics API and the webhook, followed for renewals (default: a self-signed pair)",
    )
    .option(
      "--enable-cert-rotation",
      "make a CA and serving certificate in --cert-secret-name, renew them before they expire, and patch the CA into the APIService and the webhook (leader only)",
    )
    .addOption(
      new Option(
        "--cert-secret-name <name>",
        "Secret of the rotated certificates, in the operator's namespace",
      ).default("tidal-operator-certs"),
    )
    .addOption(
      new Option(
        "--operator-service-name <name>",
        "the operator's Service, named by the rotated certificate",
      ).default("tidal-operator"),
    )
    .addOption(
      new Option("--k8s-cluster-domain <domain>", "the cluster's DNS domain").default("cluster.local"),
    )
    .addOption(
      new Option(
        "--validating-webhook-name <name>",
        "ValidatingWebhookConfiguration whose caBundle rotation keeps current",
      ).default("tidal-admission"),
    )
    .addOption(
      new Option(
        "--cert-validity <duration>",
        "lifetime of rotated serving certificates (shorter for testing)",
      ).default("8760h"),
    )
    .addOption(
      new Option("--ca-cert-validity <duration>", "lifetime of the rotated CA (shorter for testing)").default(
        "87600h",
      ),
    )
    .addOption(
      new Option(
        "--cert-renew-before <duration>",
        "renew a rotated certificate or CA this long before it expires (shorter for testing)",
      ).default("2160h"),
    )
    .addOption(measurementTimeoutOption())
    .addOption(hpaSyncPeriodOption())
    .addOption(
      new Option(
        "--http-scaler-port <port>",
        "port of the HTTP add-on's external scaler (gRPC) that HTTPScaledObjects' ScaledObjects use",
      ).default("9090"),
    )
    .option(
      "--http-scaler-address <host:port>",
      "address written into those ScaledObjects (default: tidal-operator.<lease namespace>.svc:<port>, loopback with --local)",
    )
    .addOption(
      new Option(
        "--interceptor-service <namespace/name>",
        "Service of the interceptors' admin port (name, or namespace/name; default namespace: POD_NAMESPACE), whose EndpointSlices list the replicas",
      ).default("tidal-interceptor-admin"),
    )
    .option(
      "--interceptor-url <url>",
      "admin URL of one interceptor replica, instead of discovery (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(new Option("--log-format <format>", "log format").choices(["json", "text"]).default("json"))
    .addOption(logLevelOption())
    .addHelpText(
      "after",
      `
Watches ScaledObject, ScaledJob, TriggerAuthentication and ClusterTriggerAuthentication
(keda.sh/v1alpha1; apply deploy/crds first), owns the HPA keda-hpa-<name> of each ScaledObject,
scales 0 <-> 1 itself and serves external.metrics.k8s.io for the HPA. HTTPScaledObjects
(http.keda.sh/v1alpha1) get the ScaledObject the HTTP add-on creates, measured from the pending
requests of the \`tidal interceptor\` replicas. Annotation
autoscaling.tidal.dev/mode: direct scales through /scale with no HPA: Tidal then does the HPA's
work itself every --hpa-sync-period.
Its first log line, "tidal operator started", is the banner: version, cluster, namespace, leader
election, the external metrics API and the /metrics address.

With --enable-cert-rotation the operator keeps the CA and serving certificate of the metrics API
and the webhook in --cert-secret-name (CA 10 years, certificate 1 year, each renewed 90 days
ahead, as KEDA's), the leader patches the CA into the APIService and --validating-webhook-name,
and every replica serves a renewed certificate without a restart. --cert-validity,
--ca-cert-validity and --cert-renew-before shorten the lifetimes for tests.

The dashboard (the same as tidal run's) listens on 127.0.0.1:8435 in the operator's pod: only
those allowed to port-forward to the pod reach it.
  kubectl -n tidal-system port-forward deploy/tidal-operator 8435 & tidal dashboard --open
\`tidal explain NAME -n NS\` reads the leader's decisions there by itself (through the API server's
port-forward to the Pod named by the Lease's holder identity, POD_NAME_pid).

Examples:
  tidal operator --kubeconfig ~/.kube/config --local
  tidal operator --leader-elect            (in cluster; see deploy/)`,
    )
    .action(async (options: OperatorCommandOptions, command: Command) => {
      const logger = createLogger({
        format: options.logFormat,
        level: logLevel(command),
        write: (line) => process.stdout.write(line),
      });
      const timeoutMs = measurementTimeout(command);
      const hpaSyncPeriodMs = hpaSyncPeriod(options.hpaSyncPeriod);
      const metricsServerPort = portNumber(options.metricsServerPort, "--metrics-server-port");
      const webhookPort =
        options.webhookPort === undefined ? undefined : portNumber(options.webhookPort, "--webhook-port");
      const metricsBindAddress =
        options.local && options.metricsBindAddress === ":8080"
          ? "127.0.0.1:8080"
          : options.metricsBindAddress;
      const httpScalerPort = portNumber(options.httpScalerPort, "--http-scaler-port");
      const [interceptorNamespace, interceptorName] = options.interceptorService.includes("/")
        ? options.interceptorService.split("/", 2)
        : [process.env.POD_NAMESPACE ?? "default", options.interceptorService];
      portNumber(metricsBindAddress.slice(metricsBindAddress.lastIndexOf(":") + 1), "--metrics-bind-address");
      const dashboardOff = options.dashboardBindAddress === "0" || options.dashboardBindAddress === "";
      if (!dashboardOff)
        portNumber(
          options.dashboardBindAddress.slice(options.dashboardBindAddress.lastIndexOf(":") + 1),
          "--dashboard-bind-address",
        );
      const certRotation = options.enableCertRotation ? await certRotationOptions(options) : undefined;
      // The Kubernetes client is large: load it only for this command.
      const { startOperator } = await import("../runtime/kubernetes/operator.ts");
      const { boundTokenExpirySeconds } = await import("../runtime/kubernetes/service-account-tokens.ts");
      let operator;
      try {
        operator = await startOperator({
          boundTokenExpirySeconds: boundTokenExpirySeconds(
            process.env.KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY,
          ),
          ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
          clusterEnvironment: process.env,
          instance: process.env.HOSTNAME ?? "tidal",
          ...(options.namespace ? { namespace: options.namespace } : {}),
          leaderElect: options.leaderElect ?? false,
          leaseNamespace:
            options.leaseNamespace ?? process.env.POD_NAMESPACE ?? options.namespace ?? "default",
          ...(process.env.POD_NAME ? { podName: process.env.POD_NAME } : {}),
          local: options.local ?? false,
          metricsServerPort,
          ...(webhookPort !== undefined ? { webhookPort } : {}),
          metricsBindAddress,
          ...(dashboardOff ? {} : { dashboardBindAddress: options.dashboardBindAddress }),
          dashboardRequired: options.dashboardBindAddress !== DEFAULT_DASHBOARD,
          ...(options.certDir ? { certDir: options.certDir } : {}),
          ...(certRotation ? { certRotation } : {}),
          clusterObjectNamespace:
            process.env.KEDA_CLUSTER_OBJECT_NAMESPACE ?? process.env.POD_NAMESPACE ?? "default",
          timeoutMs,
          hpaSyncPeriodMs,
          processEnvironment: { ...process.env },
          http: {
            scalerPort: httpScalerPort,
            scalerHost: options.local ? "127.0.0.1" : "0.0.0.0",
            ...(options.httpScalerAddress ? { scalerAddress: options.httpScalerAddress } : {}),
            interceptorService: { namespace: interceptorNamespace ?? "default", name: interceptorName ?? "" },
            ...(options.interceptorUrl?.length ? { interceptorUrls: options.interceptorUrl } : {}),
          },
          logger,
        });
      } catch (error) {
        throw new TidalError("TIDAL_E_OPERATOR", `could not start the operator: ${messageOf(error)}`);
      }
      let stopFollowingNpm = () => {};
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
        stopFollowingNpm = stopWithNpmParent(process.env);
      });
      stopFollowingNpm();
      logger.info("stopping");
      await operator.stop();
      logger.info("stopped");
      process.exitCode = 0;
    });
}

const HOUR = 3_600_000;
const TEN_YEARS = 10 * 366 * 24 * HOUR;

/** The rotation flags; the validities and margin are KEDA's unless shortened (for tests). */
async function certRotationOptions(options: OperatorCommandOptions) {
  const policy = {
    certValidityMs: durationMilliseconds(options.certValidity, "--cert-validity", 10_000, TEN_YEARS),
    caValidityMs: durationMilliseconds(options.caCertValidity, "--ca-cert-validity", 10_000, TEN_YEARS),
    renewBeforeMs: durationMilliseconds(options.certRenewBefore, "--cert-renew-before", 1000, TEN_YEARS),
    checkIntervalMs: 12 * HOUR,
  };
  const { policyProblem } = await import("../runtime/kubernetes/certificates.ts");
  const problem = policyProblem(policy);
  if (problem) throw new TidalError("TIDAL_E_USAGE", `certificate rotation: ${problem}`, { exitCode: 2 });
  return {
    secretName: options.certSecretName,
    serviceName: options.operatorServiceName,
    clusterDomain: options.k8sClusterDomain,
    webhookConfiguration: options.validatingWebhookName,
    policy,
  };
}
