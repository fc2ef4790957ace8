import { z } from "zod";

export const metricTargetType = z.enum(["AverageValue", "Value", "Utilization"]);
export type MetricTargetType = z.infer<typeof metricTargetType>;

export const authenticationRef = z
  .object({
    name: z.string().min(1),
    kind: z.enum(["TriggerAuthentication", "ClusterTriggerAuthentication"]).default("TriggerAuthentication"),
  })
  .strict();
export type AuthenticationRef = z.infer<typeof authenticationRef>;

/** One entry of `spec.triggers`. Metadata values are strings, as in KEDA. */
export const scaleTrigger = z
  .object({
    type: z.string().min(1),
    name: z.string().default(""),
    useCachedMetrics: z.boolean().default(false),
    metadata: z.record(z.string(), z.string()),
    authenticationRef: authenticationRef.optional(),
    metricType: metricTargetType.optional(),
  })
  .strict();
export type ScaleTrigger = z.infer<typeof scaleTrigger>;
