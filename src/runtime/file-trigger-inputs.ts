import type { KubernetesAccess } from "../scalers/types.ts";
import { envContainer } from "../api/local-container.ts";
import type { ManifestSet } from "../api/resources.ts";
import { localPoolOf, workloadOf } from "../api/workload-pools.ts";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import type { ScaleTrigger } from "../api/schema/trigger.ts";
import { resolveContainerEnv, type ContainerEnvSpec } from "../auth/container-env.ts";
import { manifestAuthSources } from "../auth/manifest-sources.ts";
import { resolveAuthentication } from "../auth/resolve.ts";
import { authenticationInputs, type TriggerInputs } from "../scalers/prepared-trigger.ts";

/** What triggers read from files need of the process they run in, given by the command. */
export interface FileEnvironment {
  /** Tidal's own environment, which workers inherit: `…FromEnv` reads it. */
  inherited: Readonly<Record<string, string>>;
  /** Where ClusterTriggerAuthentication secrets live (KEDA_CLUSTER_OBJECT_NAMESPACE). */
  clusterObjectNamespace: string;
  /** The cluster's API for kubernetes-* triggers (see ScalerContext.kubernetes); none without it. */
  kubernetes?: () => Promise<KubernetesAccess>;
}

/**
 * The local pool a ScaledObject scales: a ProcessPool of the files, or the pool made from a
 * Deployment or StatefulSet of the files (see src/api/workload-pools.ts).
 */
export function processPoolOf(object: ScaledObject, set: ManifestSet) {
  return localPoolOf(object.spec.scaleTargetRef, object.metadata.namespace ?? "default", set);
}

/** The container whose environment `...FromEnv` reads, as KEDA picks it. */
function envSource(object: ScaledObject | ScaledJob, set: ManifestSet): ContainerEnvSpec | undefined {
  if (object.kind === "ScaledJob")
    return envContainer(
      { spec: { template: object.spec.jobTargetRef.template } },
      object.spec.envSourceContainerName,
    ) as ContainerEnvSpec | undefined;
  const pool = processPoolOf(object, set);
  if (pool?.workload === undefined) return pool?.object.spec;
  // A workload run locally: its envSourceContainerName (else first) container, as on Kubernetes.
  const ref = object.spec.scaleTargetRef;
  const workload = workloadOf(ref, object.metadata.namespace ?? "default", set);
  return envContainer(workload?.object, ref.envSourceContainerName) as ContainerEnvSpec | undefined;
}

/**
 * The environment of a trigger's target when Tidal runs without Kubernetes: Tidal's own
 * environment (workers inherit it) overlaid with the ProcessPool's or job container's `env`.
 */
export async function targetEnvironment(
  object: ScaledObject | ScaledJob,
  set: ManifestSet,
  environment: FileEnvironment,
): Promise<Readonly<Record<string, string>>> {
  const container = envSource(object, set);
  if (container === undefined) return environment.inherited;
  const declared = await resolveContainerEnv(
    container,
    object.metadata.namespace ?? "default",
    manifestAuthSources(set),
  );
  return Object.keys(declared).length === 0
    ? environment.inherited
    : { ...environment.inherited, ...declared };
}

/** Authentication parameters and environment for one trigger, from the loaded files. */
export async function fileTriggerInputs(
  object: ScaledObject | ScaledJob,
  trigger: ScaleTrigger,
  set: ManifestSet,
  resolvedEnv: Readonly<Record<string, string>>,
  environment: FileEnvironment,
): Promise<TriggerInputs> {
  const namespace = object.metadata.namespace ?? "default";
  const authentication = await resolveAuthentication(trigger.authenticationRef, manifestAuthSources(set), {
    namespace,
    clusterObjectNamespace: environment.clusterObjectNamespace,
    containerEnv: resolvedEnv,
    processEnvironment: environment.inherited,
  });
  return { ...authenticationInputs(authentication), resolvedEnv };
}
