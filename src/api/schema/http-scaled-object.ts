import { z } from "zod";
import { int32, objectMeta } from "./primitives.ts";
import { HTTP_ADDON_API_VERSION } from "../names.ts";

/**
 * KEDA HTTP add-on's HTTPScaledObject (http.keda.sh/v1alpha1). Standalone Tidal routes requests
 * by host, path prefix and headers to a ProcessPool and scales it from zero; `tidal operator` and
 * `tidal interceptor` do the same for a Deployment (or any scalable kind) behind a Service.
 */
export const httpScaledObjectSpec = z
  .object({
    hosts: z.array(z.string()).optional(),
    pathPrefixes: z.array(z.string()).optional(),
    /** Add-on 0.12: requests must carry each of these headers with exactly this value. */
    headers: z.array(z.object({ name: z.string().min(1), value: z.string() }).strict()).optional(),
    scaleTargetRef: z
      .object({
        name: z.string().min(1),
        kind: z.string().optional(),
        apiVersion: z.string().optional(),
        service: z.string().optional(),
        port: int32(1).optional(),
        portName: z.string().optional(),
      })
      .strict(),
    replicas: z
      .object({ min: int32(0).optional(), max: int32(1).optional() })
      .strict()
      .optional(),
    targetPendingRequests: int32(1).optional(),
    scaledownPeriod: int32(0).default(300),
    initialCooldownPeriod: int32(0).optional(),
    scalingMetric: z
      .object({
        concurrency: z
          .object({ targetValue: int32(1).default(100) })
          .strict()
          .optional(),
        requestRate: z
          .object({
            targetValue: int32(1).default(100),
            window: z.string().default("1m"),
            granularity: z.string().default("1s"),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    timeouts: z
      .object({ conditionWait: z.string().optional(), responseHeader: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type HttpScaledObjectSpec = z.infer<typeof httpScaledObjectSpec>;

/** A condition as the add-on writes it since 0.12 (metav1.Condition). */
const httpCondition = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});

/** The add-on's status: what the HTTPScaledObject points at, and whether its ScaledObject exists. */
export const httpScaledObjectStatus = z.object({
  targetWorkload: z.string().optional(),
  targetService: z.string().optional(),
  conditions: z.array(httpCondition).optional(),
});
export type HttpScaledObjectStatus = z.infer<typeof httpScaledObjectStatus>;

export const httpScaledObject = z
  .object({
    apiVersion: z.literal(HTTP_ADDON_API_VERSION),
    kind: z.literal("HTTPScaledObject"),
    metadata: objectMeta,
    spec: httpScaledObjectSpec,
    status: httpScaledObjectStatus.optional(),
  })
  .strict();
export type HttpScaledObject = z.infer<typeof httpScaledObject>;
