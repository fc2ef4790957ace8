import { z } from "zod";
import { int32, objectMeta } from "./primitives.ts";
import { HTTP_ADDON_API_VERSION } from "../names.ts";

/**
 * KEDA HTTP add-on's HTTPScaledObject (http.keda.sh/v1alpha1). Standalone Tidal routes requests
 * by host and path prefix to a ProcessPool and scales it from zero.
 */
export const httpScaledObjectSpec = z
  .object({
    hosts: z.array(z.string()).optional(),
    pathPrefixes: z.array(z.string()).optional(),
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

export const httpScaledObject = z
  .object({
    apiVersion: z.literal(HTTP_ADDON_API_VERSION),
    kind: z.literal("HTTPScaledObject"),
    metadata: objectMeta,
    spec: httpScaledObjectSpec,
  })
  .strict();
export type HttpScaledObject = z.infer<typeof httpScaledObject>;
