import type { KubernetesAccess } from "../scalers/types.ts";
import type { ManifestSet } from "../api/resources.ts";
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

/** The ProcessPool a ScaledObject scales, when it names one in the files. */
export function processPoolOf(object: ScaledObject, set: ManifestSet) {
  const ref = object.spec.scaleTargetRef;
  if (ref.kind !== "ProcessPool") return undefined;
  return set.processPools.find(
    (pool) =>
      pool.object.metadata.name === ref.name && pool.object.metadata.namespace === object.metadata.namespace,
  );
}

/** The container whose environment `...FromEnv` reads, as KEDA picks it. */
function envSource(object: ScaledObject | ScaledJob, set: ManifestSet): ContainerEnvSpec | undefined {
  if (object.kind === "ScaledJob") {
    const containers = object.spec.jobTargetRef.template.spec.containers as (ContainerEnvSpec & {
      name?: string;
    })[];
    return (
      containers.find((container) => container.name === object.spec.envSourceContainerName) ?? containers[0]
    );
  }
  return processPoolOf(object, set)?.object.spec;
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
