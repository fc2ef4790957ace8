import { KEDA_API_VERSION, HTTP_ADDON_API_VERSION } from "../../api/names.ts";
import type { Param } from "../../scalers/params.ts";
import { prepareTrigger } from "../../scalers/prepared-trigger.ts";
import { findScaler } from "../../scalers/registry.ts";
import { UsageError } from "../../util/errors.ts";

/** One trigger to generate: metadata as given, plus what must come from the Secret or the environment. */
export interface TriggerPlan {
  type: string;
  metadata: Record<string, string>;
  /** Parameters read from the generated Secret through the TriggerAuthentication: key → value (undefined: a placeholder). */
  authParams: Record<string, string | undefined>;
}

/** How a workload scales: by triggers (as a Deployment or as Jobs), or by its HTTP traffic. */
export type Scaling =
  | { kind: "ScaledObject" | "ScaledJob"; triggers: TriggerPlan[] }
  | { kind: "HTTPScaledObject"; hosts: string[]; pathPrefixes: string[]; port: number };

export interface WorkloadPlan {
  name: string;
  namespace: string;
  image: string;
  scaling: Scaling;
  minReplicaCount?: number;
  maxReplicaCount?: number;
  /** Plain environment variables of the container. */
  env: Record<string, string>;
  /** Environment variables the container takes from the app Secret (values are placeholders). */
  secretEnv: string[];
  /** Describes each placeholder: Secret key → what to put there. */
  placeholderHints: Record<string, string>;
  /** The Secret it reads (default NAME-secrets); workloads of one app share the app's. */
  secretName?: string;
}

/** A value the user still has to fill in: `tidal validate` reads it as unknown, not as the value. */
export function placeholder(hint: string): string {
  return `<${hint.replace(/[<>]/g, "")}>`;
}

export const secretName = (workload: WorkloadPlan) => workload.secretName ?? `${workload.name}-secrets`;
const authName = (workload: WorkloadPlan) => `${workload.name}-auth`;

/** The Kubernetes objects of one workload, in the order they can be applied. */
export function workloadDocuments(workload: WorkloadPlan): object[] {
  const metadata = { name: workload.name, namespace: workload.namespace };
  const labels = { app: workload.name };
  const documents: object[] = [];
  const triggers = workload.scaling.kind === "HTTPScaledObject" ? [] : workload.scaling.triggers;
  const secretKeys = new Set([...workload.secretEnv, ...triggers.flatMap((t) => Object.keys(t.authParams))]);
  if (secretKeys.size > 0) {
    const stringData: Record<string, string> = {};
    for (const key of [...secretKeys].sort()) {
      const given = triggers.find((trigger) => trigger.authParams[key] !== undefined)?.authParams[key];
      stringData[key] = given ?? placeholder(workload.placeholderHints[key] ?? key);
    }
    documents.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secretName(workload), namespace: workload.namespace },
      type: "Opaque",
      stringData,
    });
  }
  const container = {
    name: workload.name,
    image: workload.image,
    ...(Object.keys(workload.env).length > 0
      ? { env: Object.entries(workload.env).map(([name, value]) => ({ name, value })) }
      : {}),
    ...(workload.secretEnv.length > 0 ? { envFrom: [{ secretRef: { name: secretName(workload) } }] } : {}),
    ...(workload.scaling.kind === "HTTPScaledObject"
      ? { ports: [{ name: "http", containerPort: workload.scaling.port }] }
      : {}),
  };
  const authKeys = [...new Set(triggers.flatMap((trigger) => Object.keys(trigger.authParams)))];
  if (authKeys.length > 0) {
    documents.push({
      apiVersion: KEDA_API_VERSION,
      kind: "TriggerAuthentication",
      metadata: { name: authName(workload), namespace: workload.namespace },
      spec: {
        secretTargetRef: authKeys.map((key) => ({ parameter: key, name: secretName(workload), key })),
      },
    });
  }
  const triggerSpecs = triggers.map((trigger) => ({
    type: trigger.type,
    metadata: trigger.metadata,
    ...(Object.keys(trigger.authParams).length > 0
      ? { authenticationRef: { name: authName(workload) } }
      : {}),
  }));
  const replicaBounds = {
    ...(workload.minReplicaCount !== undefined ? { minReplicaCount: workload.minReplicaCount } : {}),
    ...(workload.maxReplicaCount !== undefined ? { maxReplicaCount: workload.maxReplicaCount } : {}),
  };
  if (workload.scaling.kind === "ScaledJob") {
    documents.push({
      apiVersion: KEDA_API_VERSION,
      kind: "ScaledJob",
      metadata,
      spec: {
        jobTargetRef: { template: { spec: { containers: [container], restartPolicy: "Never" } } },
        ...(workload.maxReplicaCount !== undefined ? { maxReplicaCount: workload.maxReplicaCount } : {}),
        triggers: triggerSpecs,
      },
    });
    return documents;
  }
  documents.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...metadata, labels },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
  });
  if (workload.scaling.kind === "HTTPScaledObject") {
    const { hosts, pathPrefixes, port } = workload.scaling;
    documents.push(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { ...metadata, labels },
        spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: port }] },
      },
      {
        apiVersion: HTTP_ADDON_API_VERSION,
        kind: "HTTPScaledObject",
        metadata,
        spec: {
          ...(hosts.length > 0 ? { hosts } : {}),
          ...(pathPrefixes.length > 0 ? { pathPrefixes } : {}),
          scaleTargetRef: {
            name: workload.name,
            kind: "Deployment",
            apiVersion: "apps/v1",
            service: workload.name,
            port: 80,
          },
          replicas: { min: workload.minReplicaCount ?? 0, max: workload.maxReplicaCount ?? 10 },
        },
      },
    );
    return documents;
  }
  documents.push({
    apiVersion: KEDA_API_VERSION,
    kind: "ScaledObject",
    metadata,
    spec: { scaleTargetRef: { name: workload.name }, ...replicaBounds, triggers: triggerSpecs },
  });
  return documents;
}

/** A trigger's parameter named on the command line: its key, or the key with `Name` after it (`--queue` → `queueName`). */
export function findParam(type: string, flag: string): { key: string; param: Param<unknown> } | undefined {
  const definition = findScaler(type);
  if (definition === undefined) return undefined;
  const wanted = [flag.toLowerCase(), `${flag.toLowerCase()}name`];
  for (const candidate of wanted) {
    for (const [key, param] of Object.entries(definition.params)) {
      const names = [key, ...(param.aliases ?? [])].map((name) => name.toLowerCase());
      if (names.includes(candidate)) return { key, param };
    }
  }
  return undefined;
}

/** A credential, or a connection URL that usually holds one (`amqp://user:pass@host`). */
const mayCarryCredentials = (param: Param<unknown>) =>
  param.secret === true || /user:pass/.test(param.description);
export const readsMetadata = (param: Param<unknown>) => (param.sources ?? ["metadata"]).includes("metadata");
const readsAuth = (param: Param<unknown>) => (param.sources ?? ["metadata"]).includes("auth");

/**
 * Completes a trigger's plan: parameters the scaler needs that can only (or should only) come from
 * a TriggerAuthentication join its auth parameters as placeholders. Missing metadata is an error
 * naming the flag to add.
 */
export function completeTrigger(plan: TriggerPlan, flagOf: (key: string) => string): TriggerPlan {
  const definition = findScaler(plan.type);
  if (definition === undefined)
    throw new UsageError(`--trigger: trigger type "${plan.type}" is not supported`);
  const authParams = { ...plan.authParams };
  for (let round = 0; round < 8; round += 1) {
    const known = Object.fromEntries(Object.keys(authParams).map((key) => [key, "x"]));
    const prepared = prepareTrigger(
      { type: plan.type, name: "", useCachedMetrics: false, metadata: plan.metadata },
      0,
      {
        authParams: known,
        resolvedEnv: {},
        unresolved: new Set(["env"]),
      },
      { asMetricSource: false },
    );
    const errors = prepared.problems.filter(
      (problem) => problem.severity === "error" && !(problem.key in authParams),
    );
    if (errors.length === 0) return { ...plan, authParams };
    const credential = errors.find((problem) => {
      const param = definition.params[problem.key];
      return param !== undefined && readsAuth(param) && (mayCarryCredentials(param) || !readsMetadata(param));
    });
    if (credential === undefined) {
      throw new UsageError(
        errors
          .map((problem) => {
            const param = definition.params[problem.key];
            const where = param && readsMetadata(param) ? `${flagOf(problem.key)}: ` : "";
            return `${where}${problem.message}`;
          })
          .join("\n"),
      );
    }
    authParams[credential.key] = undefined;
  }
  return { ...plan, authParams };
}
