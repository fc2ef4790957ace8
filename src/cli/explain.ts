import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { renderTrace } from "../engine/decide.ts";
import type { DecisionTrace } from "../engine/types.ts";
import { TidalError, UsageError } from "../util/errors.ts";
import {
  addServerOptions,
  apiUrl,
  causeOf,
  serverUrl,
  statusApiOf,
  unreachableMessage,
} from "./find-server.ts";
import { DEFAULT_OPERATOR_NAMESPACE, type ClusterFlags } from "./operator-tunnel.ts";
import { outputOption } from "./options.ts";
import { DEFAULT_STATUS_PORT, SERVER_RECORD, isProcessAlive, readServerRecord } from "./server-record.ts";

/** Where `explain --host` asks without --server: `tidal interceptor`'s admin port (port-forwarded). */
export const DEFAULT_INTERCEPTOR_ADMIN = "http://127.0.0.1:9090";

export function explainCommand(): Command {
  return addServerOptions(
    new Command("explain")
      .description(
        "show why a ScaledObject has the replica count it has (its last decision trace), or where an interceptor routes a host",
      )
      .argument("[name]", "ScaledObject name"),
  )
    .option(
      "-n, --namespace <namespace>",
      "the ScaledObject's namespace (on a cluster: default the kubeconfig context's; with tidal run: when several share the name)",
    )
    .option(
      "--kubeconfig <file>",
      "ask the operator in this kubeconfig's cluster (default: KUBECONFIG, then ~/.kube/config)",
    )
    .option("--context <name>", "the kubeconfig context to use")
    .option(
      "--operator-namespace <namespace>",
      `namespace the operator runs in (default: ${DEFAULT_OPERATOR_NAMESPACE}, else wherever its Pods are)`,
    )
    .option(
      "--host <host>",
      `instead of a ScaledObject: where \`tidal interceptor\` (its admin port at --server, else an interceptor Pod's in the cluster, else ${DEFAULT_INTERCEPTOR_ADMIN}) sends a request for this host, and why it would be held`,
    )
    .addOption(new Option("--path <path>", "with --host: the request's path").default("/"))
    .option(
      "--header <name:value>",
      "with --host: a request header (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText(
      "after",
      `
Without --server, explain asks the \`tidal run\` that uses the same --state-dir (it records its
address in STATE-DIR/${SERVER_RECORD} while it runs); TIDAL_SERVER sets the address for a shell.
When no \`tidal run\` is recorded there and a kubeconfig is at hand (or --kubeconfig, --context or
--operator-namespace is given), it asks \`tidal operator\` in the cluster instead, as kubectl
would: the leader (the Pod holding the Lease tidal-operator), through the API server's
port-forward to its status API (127.0.0.1:8435 in the Pod). That needs RBAC to get the Lease, list
the operator's Pods and create pods/portforward in its namespace: the Role tidal-operator-explain.
With --host it asks an interceptor's admin port: --server; else, with a kubeconfig at hand, an
interceptor Pod's (port-forwarded the same way); else ${DEFAULT_INTERCEPTOR_ADMIN}.

Example:
  tidal explain orders
  tidal explain orders -n shop --context prod
  tidal explain orders --server http://127.0.0.1:${DEFAULT_STATUS_PORT} --output json
  kubectl -n tidal-system port-forward deploy/tidal-interceptor 9090 &
  tidal explain --host shop.example.com --path /cart --server http://127.0.0.1:9090`,
    )
    .action(async (name: string | undefined, options: ExplainOptions, command: Command) => {
      if (options.host !== undefined) {
        if (await onCluster(command, options, { routes: true })) return explainRouteOnCluster(options);
        return explainRoute(options, command);
      }
      if (name === undefined) command.error("error: missing required argument 'name'", { exitCode: 2 });
      if (name.trim() === "") throw new UsageError("<name> must not be empty: name a ScaledObject");
      const cluster = await onCluster(command, options);
      if (cluster === "kubeconfig") return withRunHint(explainOnCluster(name, options), options.stateDir);
      if (cluster) return explainOnCluster(name, options);
      const { base, found } = await statusApiOf(command, options);
      const url = apiUrl(base, `api/v1/scaledobjects/${encodeURIComponent(name)}/explain`);
      if (options.namespace) url.searchParams.set("namespace", options.namespace);
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      } catch (error) {
        throw new TidalError("TIDAL_E_UNREACHABLE", unreachableMessage(base, found, causeOf(error)));
      }
      const body = (await response.json().catch(() => undefined)) as
        (DecisionTrace & { error?: unknown }) | undefined;
      if (!response.ok && typeof body?.error === "string")
        throw new TidalError("TIDAL_E_EXPLAIN", body.error);
      if (!response.ok || !isTrace(body)) {
        throw new TidalError(
          "TIDAL_E_EXPLAIN",
          `${base.origin} answered${response.ok ? "" : ` ${response.status}`}, but not as Tidal's status API; pass --server with the address \`tidal run\` prints as statusApi`,
        );
      }
      process.stdout.write(
        options.output === "json" ? `${JSON.stringify(body, null, 2)}\n` : `${renderTrace(body)}\n`,
      );
    });
}

interface ExplainOptions extends ClusterFlags {
  server?: string;
  stateDir: string;
  namespace?: string;
  host?: string;
  path: string;
  header?: string[];
  output: string;
}

/** `--host`: asks an interceptor's admin port where a request would go, and prints its verdict. */
async function explainRoute(options: ExplainOptions, command: Command): Promise<void> {
  // TIDAL_SERVER names a `tidal run`'s status API, not an interceptor: only --server counts here.
  const given = command.getOptionValueSource("server") === "cli" ? options.server : undefined;
  const base = serverUrl(given ?? DEFAULT_INTERCEPTOR_ADMIN, "--server");
  const url = routeUrl(base, options);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new TidalError(
      "TIDAL_E_UNREACHABLE",
      `cannot reach the interceptor's admin port at ${base.origin} (${causeOf(error)}); pass --server, e.g. after kubectl port-forward deploy/tidal-interceptor 9090`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as { summary?: unknown } | undefined;
  if (!response.ok || !Array.isArray(body?.summary)) {
    throw new TidalError(
      "TIDAL_E_EXPLAIN",
      `${base.origin} answered${response.ok ? "" : ` ${response.status}`}, but not as an interceptor's admin port; pass --server with the address \`tidal interceptor\` prints as admin`,
    );
  }
  process.stdout.write(
    options.output === "json"
      ? `${JSON.stringify(body, null, 2)}\n`
      : `${(body.summary as unknown[]).map(String).join("\n")}\n`,
  );
}

/**
 * Whether to ask the operator in a cluster rather than a \`tidal run\`: cluster flags say so
 * ("flags"); --server or TIDAL_SERVER say otherwise; else a running \`tidal run\` recorded in
 * --state-dir wins, and without one a kubeconfig at hand means the cluster ("kubeconfig").
 */
async function onCluster(
  command: Command,
  options: ExplainOptions,
  { routes = false }: { routes?: boolean } = {},
): Promise<"flags" | "kubeconfig" | false> {
  const clusterFlags = ["kubeconfig", "context", "operatorNamespace"].filter(
    (flag) => command.getOptionValueSource(flag) === "cli",
  );
  const serverSource = command.getOptionValueSource("server");
  if (clusterFlags.length > 0) {
    if (serverSource === "cli")
      throw new UsageError(
        "--server names a status API to ask; --kubeconfig, --context and --operator-namespace find the operator in a cluster: give one or the other",
      );
    return "flags";
  }
  // --host asks an interceptor: TIDAL_SERVER (a \`tidal run\`'s address) and the record do not count.
  if (routes) return serverSource !== "cli" && kubeconfigAtHand() && "kubeconfig";
  if (serverSource !== undefined) return false;
  const record = await readServerRecord(resolve(options.stateDir));
  if (record !== undefined && isProcessAlive(record.pid)) return false;
  return kubeconfigAtHand() && "kubeconfig";
}

/**
 * The cluster was asked only because no \`tidal run\` is recorded and a kubeconfig is at hand: when
 * that fails, the user may have meant a \`tidal run\`, so the error says that one was not found either.
 */
async function withRunHint(explained: Promise<void>, stateDir: string): Promise<void> {
  try {
    await explained;
  } catch (error) {
    if (!(error instanceof TidalError)) throw error;
    throw new TidalError(
      error.code,
      `${error.message}\n(no \`tidal run\` is recorded in ${join(resolve(stateDir), SERVER_RECORD)} either: start \`tidal run -f PATH\`, or pass --server with its status API)`,
      { exitCode: error.exitCode },
    );
  }
}

function kubeconfigAtHand(): boolean {
  return Boolean(process.env.KUBECONFIG) || existsSync(join(homedir(), ".kube", "config"));
}

/** \`--host\` on a cluster: an interceptor replica's admin port, through a port-forward. */
async function explainRouteOnCluster(options: ExplainOptions): Promise<void> {
  const { openOperatorTunnel, byHand } = await import("./operator-tunnel.ts");
  const tunnel = await openOperatorTunnel(options, process.env, "interceptor");
  const { operator } = tunnel;
  const where = `interceptor Pod ${operator.namespace}/${operator.pod}`;
  const again = byHand(operator, `tidal explain --host ${options.host ?? ""}`);
  try {
    const url = routeUrl(tunnel.base, options);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(15_000), headers: { connection: "close" } });
    } catch (error) {
      throw new TidalError(
        "TIDAL_E_UNREACHABLE",
        `cannot reach the admin port ${operator.port} of ${where} through the API server's port-forward (${tunnel.forwardErrors() || causeOf(error)}); by hand: ${again}`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as { summary?: unknown } | undefined;
    if (!response.ok || !Array.isArray(body?.summary)) {
      const cause = tunnel.forwardErrors();
      throw new TidalError(
        "TIDAL_E_EXPLAIN",
        `the ${where} answered${response.ok ? "" : ` ${response.status}`}${cause ? ` (${cause})` : ""}, but not as an interceptor's admin port; by hand: ${again}`,
      );
    }
    process.stderr.write(`from the ${where}\n`);
    process.stdout.write(
      options.output === "json"
        ? `${JSON.stringify(body, null, 2)}\n`
        : `${(body.summary as unknown[]).map(String).join("\n")}\n`,
    );
  } finally {
    await tunnel.close();
  }
}

/** The interceptor's /api/v1/explain URL for --host, --path and --header. */
function routeUrl(base: URL, options: ExplainOptions): URL {
  const url = apiUrl(base, "api/v1/explain");
  url.searchParams.set("host", options.host ?? "");
  url.searchParams.set("path", options.path);
  for (const header of options.header ?? []) {
    if (header.indexOf(":") <= 0) throw new UsageError(`--header must be name:value, got "${header}"`);
    url.searchParams.append("header", header);
  }
  return url;
}

/** The operator's last decision for a ScaledObject, from its leader, through a port-forward. */
async function explainOnCluster(name: string, options: ExplainOptions): Promise<void> {
  const { openOperatorTunnel, byHand } = await import("./operator-tunnel.ts");
  const tunnel = await openOperatorTunnel(options, process.env);
  const { operator } = tunnel;
  const namespace = options.namespace ?? tunnel.defaultNamespace;
  const where = `operator Pod ${operator.namespace}/${operator.pod}, ${operator.why}`;
  try {
    const url = apiUrl(tunnel.base, `api/v1/scaledobjects/${encodeURIComponent(name)}/explain`);
    url.searchParams.set("namespace", namespace);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(15_000), headers: { connection: "close" } });
    } catch (error) {
      const cause = tunnel.forwardErrors() || causeOf(error);
      throw new TidalError(
        "TIDAL_E_UNREACHABLE",
        `cannot reach the status API of ${where}, port ${operator.port}, through the API server's port-forward (${cause}); by hand: ${byHand(operator, `tidal explain ${name} -n ${namespace}`)}`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as
      (DecisionTrace & { error?: unknown }) | undefined;
    if (!response.ok && typeof body?.error === "string")
      throw new TidalError(
        "TIDAL_E_EXPLAIN",
        `${body.error}, in namespace ${namespace} (asked the ${where})`,
      );
    if (!response.ok || !isTrace(body)) {
      const cause = tunnel.forwardErrors();
      throw new TidalError(
        "TIDAL_E_EXPLAIN",
        `the ${where} answered${response.ok ? "" : ` ${response.status}`}${cause ? ` (${cause})` : ""}, but not as Tidal's status API; by hand: ${byHand(operator, `tidal explain ${name} -n ${namespace}`)}`,
      );
    }
    process.stderr.write(`from the ${where}\n`);
    process.stdout.write(
      options.output === "json" ? `${JSON.stringify(body, null, 2)}\n` : `${renderTrace(body)}\n`,
    );
  } finally {
    await tunnel.close();
  }
}

function isTrace(body: unknown): body is DecisionTrace {
  const trace = body as Partial<DecisionTrace> | undefined;
  return (
    typeof trace?.desiredReplicas === "number" && Array.isArray(trace.steps) && Array.isArray(trace.triggers)
  );
}
