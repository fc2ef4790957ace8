import { z } from "zod";
import { condition, int32, objectMeta, preserved } from "./primitives.ts";
import { scaleTrigger } from "./trigger.ts";
import { KEDA_API_VERSION } from "../names.ts";

/** The pod template as far as Tidal reads it; other fields pass through untouched. */
export const container = preserved(
  z
    .object({
      name: z.string().optional(),
      image: z.string().optional(),
      command: z.array(z.string()).optional(),
      args: z.array(z.string()).optional(),
      env: z
        .array(preserved(z.object({ name: z.string(), value: z.string().optional() }).loose()))
        .optional(),
      workingDir: z.string().optional(),
    })
    .loose(),
);
export type Container = z.infer<typeof container>;

export const podTemplate = preserved(
  z
    .object({
      metadata: preserved(z.object({}).loose()).optional(),
      spec: preserved(
        z
          .object({
            containers: z.array(container).min(1),
            restartPolicy: z.string().optional(),
          })
          .loose(),
      ),
    })
    .loose(),
);

/** batch/v1 JobSpec: the fields Tidal reads are typed, the rest is preserved. */
export const jobSpec = preserved(
  z
    .object({
      parallelism: int32(0).optional(),
      completions: int32(0).optional(),
      activeDeadlineSeconds: z.number().int().min(1).optional(),
      backoffLimit: int32(0).optional(),
      template: podTemplate,
    })
    .loose(),
);
export type JobSpec = z.infer<typeof jobSpec>;

export const scalingStrategy = z
  .object({
    strategy: z.enum(["default", "custom", "accurate", "eager"]).default("default"),
    customScalingQueueLengthDeduction: int32().optional(),
    customScalingRunningJobPercentage: z.string().optional(),
    pendingPodConditions: z.array(z.string()).optional(),
    multipleScalersCalculation: z.enum(["max", "min", "avg", "sum"]).default("max"),
  })
  .strict();
export type ScalingStrategy = z.infer<typeof scalingStrategy>;

export const scaledJobSpec = z
  .object({
    jobTargetRef: jobSpec,
    pollingInterval: int32(1).default(30),
    successfulJobsHistoryLimit: int32(0).default(100),
    failedJobsHistoryLimit: int32(0).default(100),
    envSourceContainerName: z.string().optional(),
    minReplicaCount: int32(0).default(0),
    maxReplicaCount: int32(1).default(100),
    rolloutStrategy: z.enum(["gradual", "immediate"]).optional(),
    rollout: z
      .object({
        strategy: z.enum(["gradual", "immediate"]).optional(),
        propagationPolicy: z.enum(["foreground", "background"]).optional(),
      })
      .strict()
      .optional(),
    scalingStrategy: scalingStrategy.default({ strategy: "default", multipleScalersCalculation: "max" }),
    triggers: z.array(scaleTrigger).min(1),
  })
  .strict();
export type ScaledJobSpec = z.infer<typeof scaledJobSpec>;

export const scaledJobStatus = z
  .object({
    lastActiveTime: z.string().optional(),
    conditions: z.array(condition).optional(),
    Paused: z.string().optional(),
    triggersTypes: z.string().optional(),
    authenticationsTypes: z.string().optional(),
    externalMetricNames: z.array(z.string()).optional(),
    triggersActivity: z.record(z.string(), z.object({ isActive: z.boolean() })).optional(),
  })
  .loose();
export type ScaledJobStatus = z.infer<typeof scaledJobStatus>;

export const scaledJob = z
  .object({
    apiVersion: z.literal(KEDA_API_VERSION),
    kind: z.literal("ScaledJob"),
    metadata: objectMeta,
    spec: scaledJobSpec,
    status: scaledJobStatus.optional(),
  })
  .strict();
export type ScaledJob = z.infer<typeof scaledJob>;
