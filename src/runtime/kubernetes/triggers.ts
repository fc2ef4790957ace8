import { envContainer as pickEnvContainer } from "../../api/local-container.ts";
import type { ScaledJob } from "../../api/schema/scaled-job.ts";
import { usesFormula, type ScaledObject } from "../../api/schema/scaled-object.ts";
import { resolveContainerEnv, type ContainerEnvSpec } from "../../auth/container-env.ts";
import { resolveAuthentication, type ResolvedAuthentication } from "../../auth/resolve.ts";
import type { AuthSources } from "../../auth/sources.ts";
import type { TriggerMetricSpec } from "../../engine/types.ts";
import type { ConnectionPool } from "../../scalers/connection-pool.ts";
import {
  authenticationInputs,
  connectTrigger,
  prepareTrigger,
  type ResourceMetric,
  type TriggerMeasurer,
} from "../../scalers/prepared-trigger.ts";
import type { KubernetesAccess } from "../../scalers/types.ts";
import { messageOf } from "../../util/errors.ts";
import { KubeApiError, type KubeClient } from "./kube-api.ts";

/**
 * The operator's own client as the kubernetes-* triggers' read access to the cluster. Errors keep
 * the API's message (`configmaps "x" not found`) without the request line.
 */
export function clusterAccess(api: KubeClient): () => Promise<KubernetesAccess> {
  const access: KubernetesAccess = {
    get: async <T>(path: string) => {
      try {
        return await api.get<T>(path);
      } catch (error) {
        if (!(error instanceof KubeApiError)) throw error;
        throw Object.assign(new Error(error.message.replace(/^GET \S+: /, "")), { status: error.status });
      }
    },
  };
  return () => Promise.resolve(access);
}

/** Connected triggers of one object, or the reasons they could not be prepared. */
export type PreparedTriggers =
  | {
      ok: true;
      measurers: TriggerMeasurer[];
      specs: TriggerMetricSpec[];
      resources: ResourceMetric[];
      /** When a parameter from a secret store (a service account token) must be fetched again. */
      refreshAt?: number;
    }
  | { ok: false; problems: string[] };

interface PodTemplateHolder {
  spec?: { template?: { spec?: { containers?: (ContainerEnvSpec & { name?: string })[] } } };
}

/** The container whose environment `...FromEnv` reads: envSourceContainerName, else the first. */
export function envContainer(
  holder: PodTemplateHolder | undefined,
  containerName: string | undefined,
): ContainerEnvSpec | undefined {
  return pickEnvContainer(holder, containerName);
}

/**
 * Resolves authentication and environment from the cluster and connects every trigger of an
 * object. Any problem (missing secret, invalid parameter) fails the whole object, as KEDA's
 * reconcile does, with messages naming the trigger and the cause.
 */
export async function prepareClusterTriggers(
  object: ScaledObject | ScaledJob,
  container: ContainerEnvSpec | undefined,
  sources: AuthSources,
  options: {
    clusterObjectNamespace: string;
    pool: ConnectionPool;
    timeoutMs: number;
    processEnvironment?: Readonly<Record<string, string | undefined>>;
    api: KubeClient;
  },
): Promise<PreparedTriggers> {
  const namespace = object.metadata.namespace ?? "default";
  let containerEnv: Record<string, string> = {};
  try {
    if (container) containerEnv = await resolveContainerEnv(container, namespace, sources);
  } catch (error) {
    return { ok: false, problems: [`environment of the scale target: ${messageOf(error)}`] };
  }
  const asMetricSource = object.kind === "ScaledObject" && usesFormula(object);
  const problems: string[] = [];
  const prepared = [];
  let refreshAt: number | undefined;
  for (const [index, trigger] of object.spec.triggers.entries()) {
    const label = `trigger ${trigger.name || index} (${trigger.type})`;
    let authentication: ResolvedAuthentication;
    try {
      authentication = await resolveAuthentication(trigger.authenticationRef, sources, {
        namespace,
        clusterObjectNamespace: options.clusterObjectNamespace,
        containerEnv,
        ...(options.processEnvironment ? { processEnvironment: options.processEnvironment } : {}),
      });
    } catch (error) {
      problems.push(`${label}: ${messageOf(error)}`);
      continue;
    }
    if (authentication.refreshAt !== undefined)
      refreshAt = Math.min(refreshAt ?? Infinity, authentication.refreshAt);
    const one = prepareTrigger(
      trigger,
      index,
      { ...authenticationInputs(authentication), resolvedEnv: containerEnv },
      { asMetricSource, namespace },
    );
    const errors = one.problems.filter((problem) => problem.severity === "error");
    if (errors.length > 0)
      problems.push(...errors.map((problem) => `${label}: ${problem.key}: ${problem.message}`));
    else prepared.push(one);
  }
  if (problems.length > 0) return { ok: false, problems };
  // cpu and memory become Resource metrics the HPA reads itself; nothing to connect.
  const resources = prepared.flatMap((one) => (one.resource ? [one.resource] : []));
  const measurers = prepared
    .filter((one) => one.resource === undefined)
    .map((one) =>
      connectTrigger(one, {
        scalableObject: { kind: object.kind, namespace, name: object.metadata.name },
        metricType: one.metricSpec?.targetType ?? "AverageValue",
        asMetricSource,
        timeoutMs: options.timeoutMs,
        pool: options.pool,
        ...(options.processEnvironment ? { processEnvironment: options.processEnvironment } : {}),
        kubernetes: clusterAccess(options.api),
      }),
    );
  // External scalers name their metric only when asked; KEDA's reconcile fails until they answer.
  const described = await Promise.allSettled(measurers.map((measurer) => measurer.describe()));
  const failures = described.flatMap((result, index) =>
    result.status === "rejected"
      ? [
          `trigger ${measurers[index]?.prepared.name || index}: cannot get its metric spec: ${messageOf(result.reason)}`,
        ]
      : [],
  );
  if (failures.length > 0) {
    await Promise.all(measurers.map((measurer) => measurer.close()));
    return { ok: false, problems: failures };
  }
  return {
    ok: true,
    measurers,
    specs: described.map((result) => (result as PromiseFulfilledResult<TriggerMetricSpec>).value),
    resources,
    ...(refreshAt === undefined ? {} : { refreshAt }),
  };
}
