import { z } from "zod";
import { hashiCorpVault } from "./hashicorp-vault.ts";
import { objectMeta, preserved } from "./primitives.ts";
import { KEDA_API_VERSION } from "../names.ts";

export const secretTargetRef = z
  .object({ parameter: z.string().min(1), name: z.string().min(1), key: z.string().min(1) })
  .strict();
export type SecretTargetRef = z.infer<typeof secretTargetRef>;

export const authEnvironment = z
  .object({ parameter: z.string().min(1), name: z.string().min(1), containerName: z.string().optional() })
  .strict();
export type AuthEnvironment = z.infer<typeof authEnvironment>;

export const podIdentity = z
  .object({
    provider: z.enum(["azure-workload", "gcp", "aws", "aws-eks", "none"]),
    identityId: z.string().optional(),
    identityTenantId: z.string().optional(),
    identityAuthorityHost: z.string().optional(),
    roleArn: z.string().optional(),
    externalID: z.string().optional(),
    identityOwner: z.enum(["keda", "workload"]).optional(),
  })
  .strict();
/** The identity a trigger authenticates with instead of (or beside) credentials in parameters. */
export type PodIdentity = z.infer<typeof podIdentity>;

/** A value read from a key of a Secret in the authentication's namespace. */
const valueFromSecret = z
  .object({
    valueFrom: z.object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }).strict() }).strict(),
  })
  .strict();

/** KEDA's AzureKeyVault: secrets read from a vault, with an app's credentials or a pod identity. */
export const azureKeyVault = z
  .object({
    vaultUri: z.string(),
    secrets: z
      .array(z.object({ parameter: z.string(), name: z.string(), version: z.string().optional() }).strict())
      .min(1),
    credentials: z
      .object({ clientId: z.string(), tenantId: z.string(), clientSecret: valueFromSecret })
      .strict()
      .optional(),
    podIdentity: podIdentity.optional(),
    cloud: z
      .object({
        type: z.string(),
        keyVaultResourceURL: z.string().optional(),
        activeDirectoryEndpoint: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AzureKeyVault = z.infer<typeof azureKeyVault>;

/** KEDA's awsSecretManager: parameters read from AWS Secrets Manager. */
export const awsSecretManager = z
  .object({
    secrets: z
      .array(
        z
          .object({
            parameter: z.string(),
            name: z.string(),
            versionId: z.string().optional(),
            versionStage: z.string().optional(),
            secretKey: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
    credentials: z
      .object({
        accessKey: valueFromSecret,
        accessSecretKey: valueFromSecret,
        accessToken: valueFromSecret.optional(),
      })
      .strict()
      .optional(),
    podIdentity: podIdentity.optional(),
    region: z.string().optional(),
  })
  .strict();
export type AwsSecretManager = z.infer<typeof awsSecretManager>;

/** KEDA's gcpSecretManager: secrets to read, with a service-account key from a Secret or a pod identity. */
export const gcpSecretManager = z
  .object({
    secrets: z
      .array(z.object({ parameter: z.string(), id: z.string(), version: z.string().optional() }).strict())
      .min(1),
    credentials: z.object({ clientSecret: valueFromSecret }).strict().optional(),
    podIdentity: podIdentity.optional(),
  })
  .strict();
export type GcpSecretManager = z.infer<typeof gcpSecretManager>;

/**
 * The spec shared by TriggerAuthentication and ClusterTriggerAuthentication. Secret stores Tidal
 * does not read yet are accepted by the schema (so KEDA manifests load) and reported by validation.
 */
export const triggerAuthenticationSpec = z
  .object({
    podIdentity: podIdentity.optional(),
    secretTargetRef: z.array(secretTargetRef).optional(),
    configMapTargetRef: z.array(secretTargetRef).optional(),
    env: z.array(authEnvironment).optional(),
    filePath: z.string().optional(),
    hashiCorpVault: hashiCorpVault.optional(),
    azureKeyVault: azureKeyVault.optional(),
    gcpSecretManager: gcpSecretManager.optional(),
    awsSecretManager: awsSecretManager.optional(),
    boundServiceAccountToken: z
      .array(z.object({ parameter: z.string(), serviceAccountName: z.string() }).strict())
      .optional(),
    oauth2: preserved(z.object({}).loose()).optional(),
  })
  .strict();
export type TriggerAuthenticationSpec = z.infer<typeof triggerAuthenticationSpec>;

/** Secret stores in the spec beyond Secrets, ConfigMaps and env (read by src/auth/stores/ where supported). */
export const UNSUPPORTED_AUTH_SOURCES = [
  "hashiCorpVault",
  "azureKeyVault",
  "gcpSecretManager",
  "awsSecretManager",
  "boundServiceAccountToken",
  "oauth2",
] as const;

export const triggerAuthenticationStatus = z
  .object({ scaledobjects: z.string().optional(), scaledjobs: z.string().optional() })
  .loose();

export const triggerAuthentication = z
  .object({
    apiVersion: z.literal(KEDA_API_VERSION),
    kind: z.literal("TriggerAuthentication"),
    metadata: objectMeta,
    spec: triggerAuthenticationSpec,
    status: triggerAuthenticationStatus.optional(),
  })
  .strict();
export type TriggerAuthentication = z.infer<typeof triggerAuthentication>;

export const clusterTriggerAuthentication = z
  .object({
    apiVersion: z.literal(KEDA_API_VERSION),
    kind: z.literal("ClusterTriggerAuthentication"),
    metadata: objectMeta,
    spec: triggerAuthenticationSpec,
    status: triggerAuthenticationStatus.optional(),
  })
  .strict();
export type ClusterTriggerAuthentication = z.infer<typeof clusterTriggerAuthentication>;
