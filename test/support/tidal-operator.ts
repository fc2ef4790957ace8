import { fileURLToPath } from "node:url";
import type { Cleanup } from "./isolation.ts";
import { createTestNamespace, kubectl } from "./kube.ts";
import { TidalProcess } from "./tidal-process.ts";

const kubeconfig = fileURLToPath(new URL("../../.tidal/kube/admin.kubeconfig", import.meta.url));

/** `tidal operator` against the local control plane, as a child process. */
export class TidalOperator extends TidalProcess {
  /** The dashboard's address, as the operator logged it. */
  dashboardUrl = "";

  private constructor(args: string[], env: Record<string, string>) {
    super(
      [
        "operator",
        "--kubeconfig",
        kubeconfig,
        "--metrics-server-port",
        "0",
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--dashboard-bind-address",
        "127.0.0.1:0",
        "--log-format",
        "json",
        ...args,
      ],
      env,
    );
  }

  /**
   * Starts an operator. `--local` (the default here) serves the external metrics API through an
   * APIService on loopback; only one such operator may run at a time.
   */
  static async start(
    options: {
      local?: boolean;
      leaderElect?: boolean;
      namespace?: string;
      env?: Record<string, string>;
      /** More arguments of `tidal operator`. */
      args?: string[];
    } = {},
  ): Promise<TidalOperator> {
    const args = [
      ...(options.local === false ? [] : ["--local"]),
      ...(options.leaderElect ? ["--leader-elect", "--lease-namespace", options.namespace ?? "default"] : []),
      ...(options.namespace ? ["--namespace", options.namespace] : []),
      ...(options.args ?? []),
    ];
    const operator = new TidalOperator(args, options.env ?? {});
    const started = await operator.waitForLog("tidal operator started", 60_000);
    operator.dashboardUrl = typeof started.dashboard === "string" ? started.dashboard : "";
    return operator;
  }
}

/**
 * A suite's usual start: KEDA's CRDs applied, one operator running, and a fresh namespace that is
 * deleted when the suite ends. Stopping the operator stays with the suite.
 */
export async function startOperatorWithNamespace(
  cleanup: Cleanup,
  prefix: string,
  options: { env?: Record<string, string> } = {},
): Promise<{ operator: TidalOperator; namespace: string }> {
  await kubectl(["apply", "-f", "deploy/crds/"]);
  const operator = await TidalOperator.start(options);
  const created = await createTestNamespace(prefix);
  cleanup.add(created.remove);
  return { operator, namespace: created.namespace };
}
