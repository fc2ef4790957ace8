import type { KubernetesAccess, ScalerContext } from "../types.ts";

/** The runtime's Kubernetes API for a trigger that reads the cluster; an error says why there is none. */
export async function kubernetesApi(context: ScalerContext): Promise<KubernetesAccess> {
  if (context.kubernetes === undefined) {
    throw new Error(`${context.triggerType} reads the Kubernetes API, which this runtime does not offer`);
  }
  return context.kubernetes();
}

/** `/api/v1/namespaces/<namespace>/<plural>[/<name>]` with each segment escaped. */
export function coreV1Path(namespace: string, plural: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}
