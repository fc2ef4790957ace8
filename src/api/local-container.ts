import type { Container } from "./schema/scaled-job.ts";

/**
 * What of a Kubernetes container runs on this machine, shared by the ScaledJob's local jobs and
 * the ProcessPools made from Deployments and StatefulSets: `command` + `args` (the image, and so
 * its entrypoint, is not used), `workingDir`, `env`, and the pod's grace period.
 */

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;

/** The container whose environment `...FromEnv` reads: envSourceContainerName, else the first. */
export function envContainer<C extends { name?: string | undefined }>(
  holder: { spec?: { template?: { spec?: { containers?: C[] | undefined } } } } | undefined,
  containerName: string | undefined,
): C | undefined {
  const containers = holder?.spec?.template?.spec?.containers ?? [];
  return containers.find((container) => container.name === containerName) ?? containers[0];
}

/** The argv a container runs locally (`command` + `args`); undefined when it has no `command`. */
export function containerArgv(container: Container | undefined): string[] | undefined {
  if (container?.command === undefined || container.command.length === 0) return undefined;
  return [...container.command, ...(container.args ?? [])];
}

/** A pod spec's terminationGracePeriodSeconds, Kubernetes' default when unset. */
export function podGraceSeconds(podSpec: Record<string, unknown>): number {
  const grace = podSpec["terminationGracePeriodSeconds"];
  return typeof grace === "number" && grace >= 0 ? grace : DEFAULT_GRACE_SECONDS;
}
