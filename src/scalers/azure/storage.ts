/**
 * Azure Storage clients for azure-queue, azure-blob and azure-eventhub's checkpoints, as KEDA makes
 * them: from a connection string, or for `podIdentity.provider: azure-workload` from the account
 * name (`https://<account>.<blob|queue>.<suffix>`) and the workload identity credential. The SDKs
 * load on first use; their retries are off (the next poll retries).
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { QueueClient } from "@azure/storage-queue";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { azureEnvironmentProperty, azurePodIdentityCredential } from "../../auth/identity/azure.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext } from "../types.ts";
import { connectionStringValue, redactSecrets } from "./connection-string.ts";
import { azureErrorMessage } from "./errors.ts";

export type StorageEndpoint = "blob" | "queue";

/** `cloud` and `endpointSuffix`, read by KEDA from the metadata for storage scalers. */
export const storageCloudParams = {
  cloud: param.string({
    optional: true,
    description:
      "AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud, or Private with endpointSuffix",
  }),
  endpointSuffix: param.string({
    optional: true,
    description: "with cloud Private: the storage endpoint's domain, e.g. blob.core.example.net",
  }),
};

/**
 * KEDA's ParseAzureStorageEndpointSuffix: `<blob|queue>.<cloud's storage suffix>`, or the
 * endpointSuffix given with cloud Private.
 */
export function storageEndpointSuffix(
  metadata: { cloud?: string | undefined; endpointSuffix?: string | undefined },
  endpoint: StorageEndpoint,
): { value: string } | { error: string } {
  const raw: Record<string, string> = {};
  if (metadata.cloud) raw.cloud = metadata.cloud;
  if (metadata.endpointSuffix) raw.endpointSuffix = metadata.endpointSuffix;
  return azureEnvironmentProperty(
    raw,
    "endpointSuffix",
    (environment) => `${endpoint}.${environment.storageEndpointSuffix}`,
  );
}

/** KEDA's checks of a storage scaler's account: the cloud's endpoint suffix, then the authentication. */
export function storageAccountProblems(
  values: {
    cloud?: string | undefined;
    endpointSuffix?: string | undefined;
    connection?: string | undefined;
    accountName?: string | undefined;
  },
  podIdentity: PodIdentity | undefined,
  endpoint: StorageEndpoint,
  what: string,
): ParamProblem[] {
  const suffix = storageEndpointSuffix(values, endpoint);
  return [
    ...("error" in suffix ? [{ key: "cloud", message: suffix.error, severity: "error" as const }] : []),
    ...storageAuthProblems(values, podIdentity, what),
  ];
}

/** KEDA's rules on connection string versus pod identity for a storage scaler. */
export function storageAuthProblems(
  values: { connection?: string | undefined; accountName?: string | undefined },
  podIdentity: PodIdentity | undefined,
  what: string,
): ParamProblem[] {
  const provider = podIdentity?.provider;
  if (provider === undefined) {
    return values.connection
      ? []
      : [
          {
            key: "connection",
            message: `no connection setting given: set connection (a TriggerAuthentication parameter, or connectionFromEnv), or use podIdentity azure-workload with accountName`,
            severity: "error",
          },
        ];
  }
  if (provider === "azure-workload") {
    return values.accountName
      ? []
      : [
          {
            key: "accountName",
            message: "accountName is required when using pod identity",
            severity: "error",
          },
        ];
  }
  return [
    {
      key: "podIdentity",
      message: `pod identity ${provider} is not supported for ${what}; use azure-workload`,
      severity: "error",
    },
  ];
}

export interface StorageTarget {
  connection?: string | undefined;
  accountName?: string | undefined;
  cloud?: string | undefined;
  endpointSuffix?: string | undefined;
}

/** The account URL for pod identity: https://<account>.<suffix>. */
function accountUrl(target: StorageTarget, endpoint: StorageEndpoint): string {
  const suffix = storageEndpointSuffix(target, endpoint);
  if ("error" in suffix) throw new Error(suffix.error);
  return `https://${target.accountName}.${suffix.value}`;
}

/** Where a connection string points, for messages: the endpoint's host, or the account. */
export function storageLabel(target: StorageTarget, endpoint: StorageEndpoint): string {
  if (target.connection === undefined) return `Azure Storage account ${target.accountName}`;
  const explicit = connectionStringValue(
    target.connection,
    endpoint === "blob" ? "BlobEndpoint" : "QueueEndpoint",
  );
  if (explicit) return `Azure Storage at ${explicit.replace(/\/+$/, "")}`;
  const account = connectionStringValue(target.connection, "AccountName");
  return `Azure Storage account ${account ?? "(no AccountName)"}`;
}

const RETRIES_OFF = { retryOptions: { maxTries: 1 } };

function invalidConnection(error: unknown, connection: string): Error {
  return new Error(
    redactSecrets(
      `the storage connection string is not valid: ${azureErrorMessage(error, "Azure Storage")}`,
      [connection],
    ),
    { cause: error },
  );
}

/** A shared client for one queue. */
export function acquireQueueClient(target: StorageTarget & { queueName: string }, context: ScalerContext) {
  const identity = context.podIdentity;
  const key = identity
    ? poolKey(
        "azure-queue",
        "identity",
        target.accountName,
        target.cloud,
        target.endpointSuffix,
        target.queueName,
        JSON.stringify(identity),
      )
    : poolKey("azure-queue", target.connection, target.queueName);
  return context.pool.acquire(
    key,
    async (): Promise<QueueClient> => {
      const { QueueClient } = await import("@azure/storage-queue");
      if (identity) {
        const credential = await azurePodIdentityCredential(identity);
        return new QueueClient(`${accountUrl(target, "queue")}/${target.queueName}`, credential, RETRIES_OFF);
      }
      try {
        return new QueueClient(target.connection ?? "", target.queueName, RETRIES_OFF);
      } catch (error) {
        throw invalidConnection(error, target.connection ?? "");
      }
    },
    async () => {},
  );
}

/** A shared client for one blob container. */
export function acquireContainerClient(
  target: StorageTarget & { containerName: string },
  context: Pick<ScalerContext, "pool" | "podIdentity">,
) {
  const identity = context.podIdentity;
  const key = identity
    ? poolKey(
        "azure-blob",
        "identity",
        target.accountName,
        target.cloud,
        target.endpointSuffix,
        target.containerName,
        JSON.stringify(identity),
      )
    : poolKey("azure-blob", target.connection, target.containerName);
  return context.pool.acquire(
    key,
    async (): Promise<ContainerClient> => {
      const { BlobServiceClient } = await import("@azure/storage-blob");
      if (identity) {
        const credential = await azurePodIdentityCredential(identity);
        return new BlobServiceClient(accountUrl(target, "blob"), credential, RETRIES_OFF).getContainerClient(
          target.containerName,
        );
      }
      try {
        return BlobServiceClient.fromConnectionString(
          target.connection ?? "",
          RETRIES_OFF,
        ).getContainerClient(target.containerName);
      } catch (error) {
        throw invalidConnection(error, target.connection ?? "");
      }
    },
    async () => {},
  );
}

/** The storage error code (QueueNotFound, ContainerNotFound, BlobNotFound, AuthenticationFailed…). */
export function storageErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown; details?: { errorCode?: unknown } } | undefined)?.code;
  if (typeof code === "string") return code;
  const detail = (error as { details?: { errorCode?: unknown } } | undefined)?.details?.errorCode;
  return typeof detail === "string" ? detail : undefined;
}
