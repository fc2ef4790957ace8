import { z } from "zod";

/**
 * KEDA's `spec.hashiCorpVault` of a (Cluster)TriggerAuthentication, field for field as KEDA's CRD
 * has it (no lengths or cross-field rules: those are reported by `tidal validate`, as KEDA reports
 * them when it resolves the authentication).
 */
export const vaultPkiData = z
  .object({
    commonName: z.string().optional(),
    altNames: z.string().optional(),
    ipSans: z.string().optional(),
    uriSans: z.string().optional(),
    otherSans: z.string().optional(),
    ttl: z.string().optional(),
    format: z.string().optional(),
  })
  .strict();
export type VaultPkiData = z.infer<typeof vaultPkiData>;

/** `""` (read, then KV v2 when the answer has `data.data`, else KV v1), `secretV2`, `secret` or `pki`. */
export const VAULT_SECRET_TYPES = ["", "secretV2", "secret", "pki"] as const;
export type VaultSecretType = (typeof VAULT_SECRET_TYPES)[number];

export const vaultSecret = z
  .object({
    parameter: z.string(),
    path: z.string(),
    key: z.string(),
    type: z.enum(VAULT_SECRET_TYPES).optional(),
    pkiData: vaultPkiData.optional(),
  })
  .strict();
export type VaultSecret = z.infer<typeof vaultSecret>;

export const vaultCredential = z
  .object({
    token: z.string().optional(),
    serviceAccount: z.string().optional(),
    serviceAccountName: z.string().optional(),
  })
  .strict();
export type VaultCredential = z.infer<typeof vaultCredential>;

export const hashiCorpVault = z
  .object({
    address: z.string(),
    authentication: z.enum(["token", "kubernetes"]),
    secrets: z.array(vaultSecret).min(1),
    namespace: z.string().optional(),
    credential: vaultCredential.optional(),
    role: z.string().optional(),
    mount: z.string().optional(),
  })
  .strict();
export type HashiCorpVault = z.infer<typeof hashiCorpVault>;
