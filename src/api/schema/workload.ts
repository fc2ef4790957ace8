import { z } from "zod";
import { int32, objectMeta, preserved } from "./primitives.ts";
import { container, type Container } from "./scaled-job.ts";

/** The workload kinds whose pods `tidal run` can run as local processes. */
export const WORKLOAD_KINDS = ["Deployment", "StatefulSet"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * apps/v1 Deployment or StatefulSet, read from files so that `tidal run` can run the pods of one
 * a ScaledObject scales as local processes. The fields Tidal reads are typed and all optional
 * (a kustomize patch is read without complaint; `tidal run` says what a workload it runs lacks);
 * every other field (status, selector, strategy, volumes, probes...) passes through untouched.
 */
export const workload = preserved(
  z
    .object({
      apiVersion: z.literal("apps/v1"),
      kind: z.enum(WORKLOAD_KINDS),
      metadata: objectMeta,
      spec: preserved(
        z
          .object({
            replicas: int32(0).optional(),
            template: preserved(
              z
                .object({
                  spec: preserved(z.object({ containers: z.array(container).optional() }).loose()).optional(),
                })
                .loose(),
            ).optional(),
          })
          .loose(),
      ).optional(),
    })
    .loose(),
);
export type Workload = z.infer<typeof workload>;

/** A workload's pod template spec and containers (empty when it has none). */
export function podSpecOf(workload: Workload): { podSpec: Record<string, unknown>; containers: Container[] } {
  const podSpec = (workload.spec?.template?.spec ?? {}) as Record<string, unknown>;
  return { podSpec, containers: workload.spec?.template?.spec?.containers ?? [] };
}
