import { z } from "zod";
import { int32, objectMeta } from "./primitives.ts";
import { TIDAL_API_VERSION } from "../names.ts";

/** A Kubernetes-style environment variable: a literal value or a key of a Secret/ConfigMap in the files. */
export const envVar = z
  .object({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z
      .object({
        secretKeyRef: z
          .object({ name: z.string(), key: z.string(), optional: z.boolean().optional() })
          .strict()
          .optional(),
        configMapKeyRef: z
          .object({ name: z.string(), key: z.string(), optional: z.boolean().optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type EnvVar = z.infer<typeof envVar>;

/** A Kubernetes `envFrom` entry: every key of a Secret or ConfigMap in the files, with an optional prefix. */
export const envFromSource = z
  .object({
    prefix: z.string().optional(),
    secretRef: z.object({ name: z.string(), optional: z.boolean().optional() }).strict().optional(),
    configMapRef: z.object({ name: z.string(), optional: z.boolean().optional() }).strict().optional(),
  })
  .strict();
export type EnvFromSource = z.infer<typeof envFromSource>;

/**
 * A pool of identical local worker processes: Tidal's standalone scale target, the local
 * counterpart of a Deployment. Each worker gets a free port in $PORT and its index in $TIDAL_WORKER_INDEX.
 */
export const processPoolSpec = z
  .object({
    command: z.array(z.string()).min(1),
    args: z.array(z.string()).optional(),
    env: z.array(envVar).optional(),
    envFrom: z.array(envFromSource).optional(),
    /** Working directory, relative to the manifest's folder. */
    cwd: z.string().optional(),
    /** Replicas when Tidal first sees the pool (like Deployment spec.replicas). */
    replicas: int32(0).default(0),
    terminationGracePeriodSeconds: int32(0).default(30),
    /** A worker is ready when it accepts TCP connections on $PORT (`tcp`) or as soon as it runs (`process`). */
    readiness: z.enum(["process", "tcp"]).default("process"),
  })
  .strict();
export type ProcessPoolSpec = z.infer<typeof processPoolSpec>;

export const processPool = z
  .object({
    apiVersion: z.literal(TIDAL_API_VERSION),
    kind: z.literal("ProcessPool"),
    metadata: objectMeta,
    spec: processPoolSpec,
  })
  .strict();
export type ProcessPool = z.infer<typeof processPool>;
