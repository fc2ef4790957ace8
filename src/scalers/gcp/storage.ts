import type { Storage } from "@google-cloud/storage";
import {
  describeGcpError,
  gcpEndpointLabel,
  gcpEndpointOverride,
  loadGcpIdentity,
  sdkCallTimeout,
  untilAborted,
  type GcpCredentialSource,
  type GcpIdentity,
} from "../../auth/identity/gcp.ts";
import { retryingLazy } from "../../util/lazy.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { gcpCredentialParams, gcpCredentialProblems, triggerCredentialSource } from "./credentials.ts";

const params = {
  bucketName: param.string({ description: "the Cloud Storage bucket" }),
  targetObjectCount: param.int({ default: 100, description: "target number of objects per replica" }),
  activationTargetObjectCount: param.int({
    default: 0,
    description: "active when the count is greater than this",
  }),
  maxBucketItemsToScan: param.int({
    default: 1000,
    description: "stop counting at this many objects (each page of 1,000 is one request)",
  }),
  blobPrefix: param.string({ optional: true, description: "count only objects whose names start with this" }),
  blobDelimiter: param.string({
    optional: true,
    description: "with a delimiter such as /, count only the objects directly under the prefix",
  }),
  ...gcpCredentialParams,
};

/** A Storage client and the identity it was built from. */
interface StorageClient {
  storage: Storage;
  identity: GcpIdentity;
}

/** The scopes Cloud Storage's client asks for by default (an access token from the key). */
const STORAGE_SCOPES = [
  "https://www.googleapis.com/auth/iam",
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/devstorage.full_control",
];

/** Builds the client as KEDA does: the key's credentials, or Application Default Credentials. */
async function createStorage(source: GcpCredentialSource, timeoutMs: number): Promise<StorageClient> {
  const identity = await loadGcpIdentity(source);
  const { Storage } = await import("@google-cloud/storage");
  const endpoint = gcpEndpointOverride("storage");
  const storage = new Storage({
    ...(await identity.clientOptions(STORAGE_SCOPES)),
    ...(endpoint ? { apiEndpoint: endpoint.origin } : {}),
    timeout: sdkCallTimeout(timeoutMs),
    // Two quick retries of a failed read, then the error: the next poll is the real retry.
    retryOptions: {
      autoRetry: true,
      maxRetries: 2,
      maxRetryDelay: 0.25,
      totalTimeout: Math.max(1, Math.floor(timeoutMs / 1000)),
    },
  });
  return { storage, identity };
}

const FIELDS = "items(name,size),prefixes,nextPageToken";

/**
 * KEDA's count: objects under the prefix (and delimiter) with a size above 0 (folders are empty
 * placeholder objects), up to `max`. A bucket that does not exist counts 0, as in KEDA.
 */
async function countObjects(
  client: StorageClient,
  values: { bucketName: string; blobPrefix?: string | undefined; blobDelimiter?: string | undefined },
  max: number,
): Promise<number> {
  const bucket = client.storage.bucket(values.bucketName);
  let count = 0;
  let pageToken: string | undefined;
  do {
    const [files, next] = await bucket.getFiles({
      autoPaginate: false,
      fields: FIELDS,
      ...(values.blobPrefix ? { prefix: values.blobPrefix } : {}),
      ...(values.blobDelimiter ? { delimiter: values.blobDelimiter } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
    // With a field selection the library hands over the listed items as they are.
    for (const item of files as unknown as { size?: string | number }[]) {
      if (count >= max) break;
      if (Number(item.size ?? 0) === 0) continue;
      count += 1;
    }
    pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
  } while (pageToken && count < max);
  return count;
}

export const gcpStorageScaler: ScalerDefinition<typeof params> = {
  type: "gcp-storage",
  kedaScalerName: "gcsScaler",
  description:
    "Number of objects in a Google Cloud Storage bucket (under a prefix), counted up to maxBucketItemsToScan; a missing bucket counts 0, as in KEDA.",
  testedAgainst: "fake-gcs-server 1.56.1 (a local Cloud Storage server, built from its Go module)",
  example: {
    metadata: { bucketName: "uploads", targetObjectCount: "50" },
    authParams: { GoogleApplicationCredentials: '{"type":"service_account", …}' },
    metricName: "s0-gcp-storage-uploads",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const positive = (key: string, ok: boolean, what: string) => {
      if (!ok) problems.push({ key, message: `${key} must be ${what}`, severity: "error" });
    };
    positive("targetObjectCount", values.targetObjectCount > 0, "greater than 0");
    positive("activationTargetObjectCount", values.activationTargetObjectCount >= 0, "0 or more");
    positive("maxBucketItemsToScan", values.maxBucketItemsToScan > 0, "greater than 0");
    return [...problems, ...gcpCredentialProblems(values, context.podIdentity)];
  },
  metric: (values) => ({
    name: `gcp-storage-${values.bucketName}`,
    target: values.targetObjectCount,
    activationTarget: values.activationTargetObjectCount,
  }),
  connect(values, context) {
    const source = triggerCredentialSource(values, context.podIdentity);
    if (source === undefined) throw new Error("gcp-storage trigger without credentials");
    const credential =
      source.kind === "workload" ? "workload" : source.kind === "key" ? source.json : source.path;
    const lease = context.pool.acquire(
      poolKey("gcp-storage", source.kind, credential, context.timeoutMs),
      async () => retryingLazy(() => createStorage(source, context.timeoutMs)),
      async () => {},
    );
    return {
      async measure(signal) {
        const client = await untilAborted((await lease.client)(), signal);
        let count: number;
        try {
          count = await untilAborted(countObjects(client, values, values.maxBucketItemsToScan), signal);
        } catch (error) {
          if (signal.aborted) throw error;
          if ((error as { code?: unknown }).code === 404) count = 0;
          else {
            const what = `listing the objects of bucket ${values.bucketName}`;
            throw new Error(
              client.identity.redact(describeGcpError(error, what, gcpEndpointLabel("storage"))),
              {
                cause: error,
              },
            );
          }
        }
        return { value: count, active: count > values.activationTargetObjectCount };
      },
      close: () => lease.release(),
    };
  },
};
