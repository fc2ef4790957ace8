import { z } from "zod";
import { hpaBehavior } from "./hpa-behavior.ts";
import { condition, int32, objectMeta } from "./primitives.ts";
import { scaleTrigger } from "./trigger.ts";
import { KEDA_API_VERSION } from "../names.ts";

export const scaleTargetRef = z
  .object({
    name: z.string().min(1),
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    envSourceContainerName: z.string().optional(),
  })
  .strict();
export type ScaleTargetRef = z.infer<typeof scaleTargetRef>;

export const fallbackBehavior = z.enum([
  "static",
  "currentReplicas",
  "currentReplicasIfHigher",
  "currentReplicasIfLower",
  "scalingModifiers",
]);
export type FallbackBehavior = z.infer<typeof fallbackBehavior>;

export const fallback = z
  .object({
    failureThreshold: int32(0),
    replicas: int32(0),
    behavior: fallbackBehavior.default("static"),
  })
  .strict();
export type Fallback = z.infer<typeof fallback>;

export const scalingModifiers = z
  .object({
    formula: z.string().optional(),
    target: z.string().optional(),
    activationTarget: z.string().optional(),
    metricType: z.enum(["AverageValue", "Value", "Utilization"]).optional(),
  })
  .strict();
export type ScalingModifiers = z.infer<typeof scalingModifiers>;

export const advancedConfig = z
  .object({
    restoreToOriginalReplicaCount: z.boolean().default(false),
    horizontalPodAutoscalerConfig: z
      .object({ name: z.string().optional(), behavior: hpaBehavior.optional() })
      .strict()
      .optional(),
    scalingModifiers: scalingModifiers.optional(),
  })
  .strict();

export const scaledObjectSpec = z
  .object({
    scaleTargetRef,
    pollingInterval: int32(1).default(30),
    initialCooldownPeriod: int32(0).default(0),
    cooldownPeriod: int32(0).default(300),
    idleReplicaCount: int32(0).optional(),
    minReplicaCount: int32(0).default(0),
    maxReplicaCount: int32(1).default(100),
    advanced: advancedConfig.optional(),
    triggers: z.array(scaleTrigger).min(1),
    fallback: fallback.optional(),
  })
  .strict();
export type ScaledObjectSpec = z.infer<typeof scaledObjectSpec>;

export const healthStatus = z.object({
  numberOfFailures: z.number().int().optional(),
  status: z.enum(["Happy", "Failing"]).optional(),
});
export type HealthStatus = z.infer<typeof healthStatus>;

export const scaledObjectStatus = z
  .object({
    scaleTargetKind: z.string().optional(),
    scaleTargetGVKR: z
      .object({ group: z.string(), version: z.string(), kind: z.string(), resource: z.string() })
      .optional(),
    originalReplicaCount: z.number().int().optional(),
    lastActiveTime: z.string().optional(),
    externalMetricNames: z.array(z.string()).optional(),
    resourceMetricNames: z.array(z.string()).optional(),
    compositeScalerName: z.string().optional(),
    conditions: z.array(condition).optional(),
    health: z.record(z.string(), healthStatus).optional(),
    triggersActivity: z.record(z.string(), z.object({ isActive: z.boolean() })).optional(),
    pausedReplicaCount: z.number().int().optional(),
    hpaName: z.string().optional(),
    triggersTypes: z.string().optional(),
    authenticationsTypes: z.string().optional(),
  })
  .loose();
export type ScaledObjectStatus = z.infer<typeof scaledObjectStatus>;

export const scaledObject = z
  .object({
    apiVersion: z.literal(KEDA_API_VERSION),
    kind: z.literal("ScaledObject"),
    metadata: objectMeta.extend({ name: z.string().min(1).max(63) }),
    spec: scaledObjectSpec,
    status: scaledObjectStatus.optional(),
  })
  .strict();
export type ScaledObject = z.infer<typeof scaledObject>;

/** Whether a ScaledObject combines its triggers with a scalingModifiers formula. */
export function usesFormula(object: ScaledObject): boolean {
  return Boolean(object.spec.advanced?.scalingModifiers?.formula);
}
