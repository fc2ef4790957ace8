import { z } from "zod";

const INT32_MAX = 2_147_483_647;

/** A Kubernetes int32 field, optionally with a lower bound. */
export function int32(minimum?: number): z.ZodNumber {
  const base = z.number().int().max(INT32_MAX);
  return minimum === undefined ? base.min(-INT32_MAX - 1) : base.min(minimum);
}

/** Object metadata as far as Tidal reads it. */
export const objectMeta = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  ownerReferences: z.array(z.record(z.string(), z.unknown())).optional(),
  generateName: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

/** A status condition as KEDA writes it (no lastTransitionTime). */
export const condition = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type Condition = z.infer<typeof condition>;

/** Values that accept a Kubernetes quantity written as a string or a number (x-kubernetes-int-or-string). */
export const quantityValue = z.union([z.string(), z.number()]).meta({ "x-kubernetes-int-or-string": true });

/** A schema whose contents Tidal passes through without checking (x-kubernetes-preserve-unknown-fields). */
export function preserved<T extends z.ZodType>(schema: T): T {
  return schema.meta({ "x-kubernetes-preserve-unknown-fields": true }) as T;
}
