import type { ContainerClient } from "@azure/storage-blob";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { connectionStringSecrets, redactSecrets } from "./connection-string.ts";
import { azureErrorMessage } from "./errors.ts";
import { compileGlob } from "./glob.ts";
import {
  acquireContainerClient,
  storageAccountProblems,
  storageCloudParams,
  storageErrorCode,
  storageLabel,
} from "./storage.ts";

const params = {
  blobContainerName: param.string({ description: "the blob container whose blobs are counted" }),
  blobCount: param.int({ default: 5, description: "target number of blobs per replica" }),
  activationBlobCount: param.int({ default: 0, description: "active when the count is greater than this" }),
  blobDelimiter: param.string({
    default: "/",
    description: "the delimiter of virtual folders: only blobs directly under blobPrefix count",
  }),
  blobPrefix: param.string({
    optional: true,
    description: "virtual folder to count in (the delimiter is appended)",
  }),
  recursive: param.bool({ default: false, description: "count blobs in every virtual subfolder too" }),
  globPattern: param.string({
    optional: true,
    description: "count only blobs whose whole name matches this glob (* ? [a-z] {a,b}); lists flat",
  }),
  connection: param.string({
    sources: ["auth", "env", "metadata"],
    optional: true,
    secret: true,
    description: "storage account connection string (required unless podIdentity azure-workload is used)",
  }),
  accountName: param.string({
    optional: true,
    description: "storage account name (with podIdentity azure-workload)",
  }),
  ...storageCloudParams,
};

type Values = ParsedParams<typeof params>;

/** What KEDA's Validate makes of the listing parameters: recursive drops the delimiter, the prefix gets it. */
export function blobListing(
  values: Pick<Values, "blobDelimiter" | "blobPrefix" | "recursive" | "globPattern">,
) {
  const delimiter = values.recursive ? "" : values.blobDelimiter;
  const prefix = values.blobPrefix && delimiter ? `${values.blobPrefix}${delimiter}` : values.blobPrefix;
  // Blob names never start with "/": a path-style pattern is read without it.
  const glob = values.globPattern ? compileGlob(values.globPattern.replace(/^\//, "")) : undefined;
  return { delimiter, prefix: prefix || undefined, glob };
}

/** Counts the blobs KEDA counts: glob matches over a flat listing, or the blobs at one level. */
export async function countBlobs(
  container: Pick<ContainerClient, "listBlobsFlat" | "listBlobsByHierarchy">,
  listing: ReturnType<typeof blobListing>,
  signal: AbortSignal,
): Promise<number> {
  const options = { ...(listing.prefix ? { prefix: listing.prefix } : {}), abortSignal: signal };
  let count = 0;
  if (listing.glob instanceof RegExp) {
    for await (const blob of container.listBlobsFlat(options)) if (listing.glob.test(blob.name)) count += 1;
    return count;
  }
  if (listing.delimiter === "") {
    for await (const _blob of container.listBlobsFlat(options)) count += 1;
    return count;
  }
  for await (const item of container.listBlobsByHierarchy(listing.delimiter, options)) {
    if (item.kind === "blob") count += 1;
  }
  return count;
}

export const azureBlobScaler: ScalerDefinition<typeof params> = {
  type: "azure-blob",
  testedAgainst: "Azurite 3.37 (npm, Microsoft's Azure Storage emulator)",
  example: {
    metadata: { blobContainerName: "uploads", blobCount: "10" },
    authParams: {
      connection:
        "DefaultEndpointsProtocol=https;AccountName=example;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net",
    },
    metricName: "s0-azure-blob-uploads",
  },
  kedaScalerName: "azureBlobScaler",
  legacy: { envNameKeys: ["connection"] },
  description: "Number of blobs in an Azure Storage container (under a prefix, or matching a glob).",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const glob = blobListing(values).glob;
    if (glob !== undefined && !(glob instanceof RegExp)) {
      problems.push({
        key: "globPattern",
        message: `invalid glob pattern "${values.globPattern}": ${glob.error}`,
        severity: "error",
      });
    }
    problems.push(...storageAccountProblems(values, context.podIdentity, "blob", "Azure Storage Blobs"));
    return problems;
  },
  metric: (values) => ({
    name: `azure-blob-${values.blobContainerName}`,
    target: values.blobCount,
    activationTarget: values.activationBlobCount,
  }),
  connect(values, context) {
    // With pod identity KEDA ignores a connection string.
    const target = context.podIdentity ? { ...values, connection: undefined } : values;
    const lease = acquireContainerClient({ ...target, containerName: values.blobContainerName }, context);
    const listing = blobListing(values);
    const secrets = connectionStringSecrets(values.connection);
    const service = storageLabel(target, "blob");
    return {
      async measure(signal) {
        try {
          const count = await countBlobs(await lease.client, listing, signal);
          return { value: count, active: count > values.activationBlobCount };
        } catch (error) {
          const message =
            storageErrorCode(error) === "ContainerNotFound"
              ? `blob container "${values.blobContainerName}" not found in ${service}: create it or fix blobContainerName`
              : `blob container "${values.blobContainerName}": ${azureErrorMessage(error, service)}`;
          throw new Error(redactSecrets(message, secrets), { cause: error });
        }
      },
      close: () => lease.release(),
    };
  },
};
