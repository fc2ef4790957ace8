import type { Command } from "commander";

/**
 * Tidal's commands: each is loaded only when it runs (or when its help is asked for), so a short
 * command never pays for the modules of another (`tidal --version` loads none of them).
 */
export interface CommandEntry {
  name: string;
  /** The one line `tidal --help` shows; the command's own description says the same. */
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "validate",
    summary: "check ScaledObject, ScaledJob and (Cluster)TriggerAuthentication manifests as KEDA would",
    load: async () => (await import("./validate.ts")).validateCommand(),
  },
  {
    name: "migrate",
    summary: "print the keda.sh/v1alpha1 form of KEDA 1.x (keda.k8s.io/v1alpha1) documents",
    load: async () => (await import("./migrate.ts")).migrateCommand(),
  },
  {
    name: "probe",
    summary: "read every trigger once and show what each scaler sees right now",
    load: async () => (await import("./probe.ts")).probeCommand(),
  },
  {
    name: "init",
    summary: "print a Deployment and its ScaledObject (or ScaledJob / HTTPScaledObject), ready to apply",
    load: async () => (await import("./init/init.ts")).initCommand(),
  },
  {
    name: "run",
    summary: "scale local ProcessPools and Deployments with ScaledObject YAML, without Kubernetes",
    load: async () => (await import("./run.ts")).runCommand(),
  },
  {
    name: "explain",
    summary:
      "show why a ScaledObject has the replica count it has (its last decision trace), or where an interceptor routes a host",
    load: async () => (await import("./explain.ts")).explainCommand(),
  },
  {
    name: "logs",
    summary: "print (or follow) the output of a ProcessPool's workers in a running `tidal run`",
    load: async () => (await import("./logs.ts")).logsCommand(),
  },
  {
    name: "dashboard",
    summary: "print the address of the dashboard of a running `tidal run` or `tidal operator`, and open it",
    load: async () => (await import("./dashboard.ts")).dashboardCommand(),
  },
  {
    name: "simulate",
    summary:
      "replay a metric trace (or a workload) through the scaling engine on a virtual clock, and summarize what it did",
    load: async () => (await import("./simulate.ts")).simulateCommand(),
  },
  {
    name: "install",
    summary:
      "install Tidal's CRDs and operator into the current kubeconfig's cluster (like helm install keda)",
    load: async () => (await import("./install/install.ts")).installCommand(),
  },
  {
    name: "uninstall",
    summary: "remove what tidal install applied, and the HPAs and finalizers the operator left",
    load: async () => (await import("./install/install.ts")).uninstallCommand(),
  },
  {
    name: "operator",
    summary: "run as a Kubernetes operator and external metrics server, a drop-in for KEDA",
    load: async () => (await import("./operator.ts")).operatorCommand(),
  },
  {
    name: "interceptor",
    summary: "run the HTTP interceptor of HTTPScaledObjects in a cluster, a drop-in for the HTTP add-on's",
    load: async () => (await import("./interceptor.ts")).interceptorCommand(),
  },
  {
    name: "completion",
    summary: "print a shell completion script (bash, zsh or fish)",
    load: async () => (await import("./completion.ts")).completionCommand(),
  },
];
