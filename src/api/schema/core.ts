import { z } from "zod";
import { objectMeta } from "./primitives.ts";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** v1 Secret, read from files when Tidal runs without Kubernetes. */
export const secret = z
  .object({
    apiVersion: z.literal("v1"),
    kind: z.literal("Secret"),
    metadata: objectMeta,
    type: z.string().optional(),
    immutable: z.boolean().optional(),
    data: z
      .record(
        z.string(),
        z
          .string()
          .regex(BASE64, { message: "must be base64-encoded; put plain text under stringData instead" }),
      )
      .optional(),
    stringData: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type Secret = z.infer<typeof secret>;

/** v1 ConfigMap, read from files when Tidal runs without Kubernetes. */
export const configMap = z
  .object({
    apiVersion: z.literal("v1"),
    kind: z.literal("ConfigMap"),
    metadata: objectMeta,
    immutable: z.boolean().optional(),
    data: z.record(z.string(), z.string()).optional(),
    binaryData: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type ConfigMap = z.infer<typeof configMap>;
