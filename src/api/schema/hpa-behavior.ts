import { z } from "zod";
import { int32, quantityValue } from "./primitives.ts";

/** autoscaling/v2 HPAScalingPolicy. */
export const scalingPolicy = z
  .object({
    type: z.enum(["Pods", "Percent"]),
    value: int32(1),
    periodSeconds: int32(1).max(1800),
  })
  .strict();
export type ScalingPolicy = z.infer<typeof scalingPolicy>;

/** autoscaling/v2 HPAScalingRules. */
export const scalingRules = z
  .object({
    stabilizationWindowSeconds: int32(0).max(3600).optional(),
    selectPolicy: z.enum(["Max", "Min", "Disabled"]).optional(),
    policies: z.array(scalingPolicy).optional(),
    tolerance: quantityValue.optional(),
  })
  .strict();
export type ScalingRules = z.infer<typeof scalingRules>;

/** autoscaling/v2 HorizontalPodAutoscalerBehavior. */
export const hpaBehavior = z
  .object({
    scaleUp: scalingRules.optional(),
    scaleDown: scalingRules.optional(),
  })
  .strict();
export type HpaBehavior = z.infer<typeof hpaBehavior>;
