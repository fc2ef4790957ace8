import { createServer, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";

/** The Lease `tidal operator --leader-elect` holds, in its Pod's namespace. */
export const OPERATOR_LEASE = "tidal-operator";
/** Where `tidal install`, deploy/ and the chart put the operator. */
export const DEFAULT_OPERATOR_NAMESPACE = "tidal-system";
/** The labels of the operator's Pods in deploy/ and the chart. */
export const OPERATOR_SELECTOR = "app.kubernetes.io/name=tidal,app.kubernetes.io/component=operator";
/** The labels of the interceptor's Pods (`tidal interceptor`, deploy/manifests/interceptor.yaml). */
export const INTERCEPTOR_SELECTOR = "app.kubernetes.io/name=tidal,app.kubernetes.io/component=interceptor";
/** The interceptor's admin port when its args do not change it. */
export const DEFAULT_INTERCEPTOR_ADMIN_PORT = 9090;
/** The dashboard's port in the operator's Pod when its args do not change it. */
export const DEFAULT_DASHBOARD_PORT = 8435;

export interface OperatorPod {
  metadata: { name: string; namespace: string; deletionTimestamp?: string };
  spec?: {
    containers?: {
      args?: string[];
      command?: string[];
      ports?: { name?: string; containerPort: number }[];
    }[];
  };
  status?: { phase?: string };
}

export interface Lease {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/** Which operator answers, and how it was chosen (for the output's and errors' words). */
export interface ChosenOperator {
  namespace: string;
  pod: string;
  port: number;
  /** "leader (Lease NS/tidal-operator)" or "the only operator Pod". */
  why: string;
}

/**
 * The operator Pod to ask: the Lease's holder (its identity is `<pod>_<pid>`), else the only
 * running operator Pod. Several running Pods without a leader is an error: only the leader
 * decides, and a standby has no decisions to show.
 */
export function chooseOperatorPod(
  namespace: string,
  lease: Lease | undefined,
  pods: OperatorPod[],
  now = Date.now(),
): ChosenOperator {
  const running = pods.filter((pod) => pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp);
  const holder = lease?.spec?.holderIdentity ?? "";
  const renewed = Date.parse(lease?.spec?.renewTime ?? "");
  const expired =
    Number.isFinite(renewed) && now > renewed + (lease?.spec?.leaseDurationSeconds ?? 15) * 1000 * 2;
  if (holder !== "" && !expired) {
    const name = holder.includes("_") ? holder.slice(0, holder.lastIndexOf("_")) : holder;
    const pod = pods.find((candidate) => candidate.metadata.name === name);
    if (pod === undefined)
      throw new TidalError(
        "TIDAL_E_OPERATOR",
        `the leader of Lease ${namespace}/${OPERATOR_LEASE} is "${holder}", and no operator Pod in ${namespace} is named "${name}" (pods: ${names(pods)}); is the leader an operator running outside the cluster? Reach it with --server`,
      );
    return {
      namespace,
      pod: name,
      port: dashboardPortOf(pod),
      why: `leader (Lease ${namespace}/${OPERATOR_LEASE})`,
    };
  }
  if (running.length === 1) {
    const [pod] = running as [OperatorPod];
    return { namespace, pod: pod.metadata.name, port: dashboardPortOf(pod), why: "the only operator Pod" };
  }
  if (running.length === 0)
    throw new TidalError(
      "TIDAL_E_OPERATOR",
      `no operator Pod is running in namespace ${namespace} (${pods.length === 0 ? `none has the labels ${OPERATOR_SELECTOR}` : `pods: ${names(pods)}`}): install it with \`tidal install\`, or pass --operator-namespace with the namespace it runs in`,
    );
  throw new TidalError(
    "TIDAL_E_OPERATOR",
    `${running.length} operator Pods run in ${namespace} (${names(running)}) and none holds the Lease ${namespace}/${OPERATOR_LEASE}${holder !== "" ? ` (its holder "${holder}" stopped renewing it)` : ""}; only the leader has decisions: run the operator with --leader-elect, or ask one with --server after kubectl port-forward`,
  );
}

function names(pods: OperatorPod[]): string {
  return pods.map((pod) => `${pod.metadata.name} (${pod.status?.phase ?? "unknown"})`).join(", ") || "none";
}

/** The value of `--flag VALUE` or `--flag=VALUE` in a Pod's command and args (the last wins). */
function argumentOf(pod: OperatorPod, flag: string): string | undefined {
  const args = (pod.spec?.containers ?? []).flatMap((container) => [
    ...(container.command ?? []),
    ...(container.args ?? []),
  ]);
  let value: string | undefined;
  args.forEach((arg, index) => {
    if (arg === flag) value = args[index + 1];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  });
  return value;
}

/** The status API's port in the Pod: `--dashboard-bind-address` in its args, else 8435. */
export function dashboardPortOf(pod: OperatorPod): number {
  const address = argumentOf(pod, "--dashboard-bind-address");
  if (address === undefined) return DEFAULT_DASHBOARD_PORT;
  if (address === "0" || address === "")
    throw new TidalError(
      "TIDAL_E_OPERATOR",
      `the operator Pod ${pod.metadata.namespace}/${pod.metadata.name} runs with --dashboard-bind-address ${address || '""'}: its status API is off, so it cannot explain; remove that argument`,
    );
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_DASHBOARD_PORT;
}

/**
 * The interceptor replica to ask where a host goes: every replica routes alike, so the first
 * running one (by name). Its admin port: `--admin-port` in its args, the container port named
 * admin, else 9090.
 */
export function chooseInterceptorPod(namespace: string, pods: OperatorPod[]): ChosenOperator {
  const running = pods
    .filter((pod) => pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const pod = running[0];
  if (pod === undefined)
    throw new TidalError(
      "TIDAL_E_OPERATOR",
      `no interceptor Pod is running in namespace ${namespace} (${pods.length === 0 ? `none has the labels ${INTERCEPTOR_SELECTOR}` : `pods: ${names(pods)}`}): install it with \`tidal install\`, or pass --operator-namespace with the namespace it runs in`,
    );
  const fromArgs = Number(argumentOf(pod, "--admin-port"));
  const named = pod.spec?.containers
    ?.flatMap((container) => container.ports ?? [])
    .find((port) => port.name === "admin");
  const port =
    Number.isInteger(fromArgs) && fromArgs > 0 && fromArgs < 65536
      ? fromArgs
      : (named?.containerPort ?? DEFAULT_INTERCEPTOR_ADMIN_PORT);
  return { namespace, pod: pod.metadata.name, port, why: "an interceptor replica" };
}

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  operatorNamespace?: string;
}

/** A local address that leads, through the API server's pods/portforward, to the operator. */
export interface OperatorTunnel {
  base: URL;
  operator: ChosenOperator;
  /** The kubeconfig context's namespace, else "default" (as kubectl's -n default). */
  defaultNamespace: string;
  /** What the port-forward's error channel said, for a failed request's message. */
  forwardErrors(): string;
  close(): Promise<void>;
}

/**
 * Finds the operator's leader in the kubeconfig's cluster and opens a loopback port that
 * port-forwards each connection to its status API (127.0.0.1:8435 in its Pod), as
 * `kubectl port-forward` does: the status API stays on the Pod's loopback, and the caller needs
 * RBAC to get the Lease, list the operator's Pods and create pods/portforward there.
 */
export async function openOperatorTunnel(
  flags: ClusterFlags,
  env: { KUBECONFIG?: string | undefined; KUBERNETES_SERVICE_HOST?: string | undefined },
  component: "operator" | "interceptor" = "operator",
): Promise<OperatorTunnel> {
  // The Kubernetes client is large: load it only when a cluster is asked.
  const { KubeApi, KubeApiError, loadKubeConfig, resourcePath } =
    await import("../runtime/kubernetes/kube-api.ts");
  const { PortForward } = await import("@kubernetes/client-node");
  let config;
  try {
    config = loadKubeConfig(flags.kubeconfig, env);
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
  if (flags.context !== undefined) {
    if (config.getContextObject(flags.context) == null)
      throw new UsageError(
        `--context ${flags.context}: the kubeconfig has no such context (it has: ${config.contexts.map((context) => context.name).join(", ") || "none"})`,
      );
    config.setCurrentContext(flags.context);
  }
  const cluster = config.getCurrentCluster()?.server ?? "(unknown cluster)";
  const defaultNamespace = config.getContextObject(config.getCurrentContext())?.namespace || "default";
  const api = new KubeApi(config);
  const refused = (error: unknown, what: string): never => {
    if (error instanceof KubeApiError && error.status === 403)
      throw new TidalError(
        "TIDAL_E_FORBIDDEN",
        `${cluster} does not let you ${what} (${error.message}); an administrator can bind the Role tidal-operator-explain in the operator's namespace to you`,
      );
    if (error instanceof KubeApiError)
      throw new TidalError("TIDAL_E_OPERATOR", `${cluster}: ${error.message}`);
    throw new TidalError(
      "TIDAL_E_UNREACHABLE",
      `cannot reach the cluster at ${cluster}: ${messageOf(error)}`,
    );
  };
  const listPods = async (namespace: string | undefined) =>
    (
      await api.get<{ items: OperatorPod[] }>(
        `${resourcePath("v1", "pods", namespace)}?labelSelector=${encodeURIComponent(component === "operator" ? OPERATOR_SELECTOR : INTERCEPTOR_SELECTOR)}`,
      )
    ).items;
  let operator: ChosenOperator;
  try {
    let namespace = flags.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE;
    let pods = await listPods(namespace).catch((error: unknown) =>
      refused(error, `list pods in ${namespace}`),
    );
    if (pods.length === 0 && flags.operatorNamespace === undefined) {
      // Installed elsewhere (a Helm release in its own namespace): look across the cluster, when allowed.
      const everywhere = await listPods(undefined).catch(() => []);
      const namespaces = [...new Set(everywhere.map((pod) => pod.metadata.namespace))];
      if (namespaces.length === 1) {
        namespace = namespaces[0] as string;
        pods = everywhere;
      } else if (namespaces.length > 1)
        throw new UsageError(
          `operators run in several namespaces (${namespaces.join(", ")}): pass --operator-namespace`,
        );
    }
    const lease =
      component === "interceptor"
        ? undefined
        : await api
            .get<Lease>(resourcePath("coordination.k8s.io/v1", "leases", namespace, OPERATOR_LEASE))
            .catch((error: unknown) => {
              if (error instanceof KubeApiError && error.status === 404) return undefined;
              return refused(error, `get the Lease ${namespace}/${OPERATOR_LEASE}`);
            });
    operator =
      component === "interceptor"
        ? chooseInterceptorPod(namespace, pods)
        : chooseOperatorPod(namespace, lease, pods);
  } finally {
    api.close();
  }

  const forward = new PortForward(config, true);
  const errors: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const errorChannel = new Writable({
      write(chunk: Buffer, _encoding, done) {
        errors.push(chunk.toString("utf8").trim());
        done();
      },
    });
    forward
      .portForward(operator.namespace, operator.pod, [operator.port], socket, errorChannel, socket)
      .then((connection) => {
        const ws = connection as WebSocketLike;
        if (socket.destroyed) ws.terminate();
        else {
          socket.on("close", () => ws.terminate());
          ws.on("close", () => socket.end());
        }
      })
      .catch((error: unknown) => {
        // The WebSocket's handshake failure is an ErrorEvent, not an Error.
        const text = (error as { message?: unknown } | undefined)?.message;
        errors.push(
          typeof text === "string"
            ? /\b403\b/.test(text)
              ? `${text}: you may not port-forward to that Pod (get and create on pods/portforward: the Role tidal-operator-explain)`
              : text
            : messageOf(error),
        );
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    base: new URL(`http://127.0.0.1:${port}/`),
    operator,
    defaultNamespace,
    forwardErrors: () => [...new Set(errors.filter((text) => text !== ""))].join("; "),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The part of the \`ws\` WebSocket the port-forward returns that the tunnel uses. */
interface WebSocketLike {
  on(event: "close", listener: () => void): void;
  terminate(): void;
}

/** How to reach the operator by hand, for messages when the tunnel fails. */
export function byHand(operator: ChosenOperator, path: string): string {
  return `kubectl -n ${operator.namespace} port-forward pod/${operator.pod} ${operator.port} and then ${path} --server http://127.0.0.1:${operator.port}`;
}
