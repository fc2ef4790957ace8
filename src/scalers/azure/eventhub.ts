import type { EventHubProducerClient, PartitionProperties } from "@azure/event-hubs";
import type { ContainerClient } from "@azure/storage-blob";
import { azureEnvironmentProperty, azurePodIdentityCredential } from "../../auth/identity/azure.ts";
import type { Lease } from "../connection-pool.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";
import {
  MAX_INT64,
  addInt64,
  checkpointBlob,
  checkpointSequenceNumber,
  lagForPartitions,
  unprocessedEvents,
  unprocessedWithoutCheckpoint,
  type HubLocation,
} from "./checkpoint.ts";
import {
  connectionStringSecrets,
  connectionStringValue,
  hasEntityPath,
  redactSecrets,
} from "./connection-string.ts";
import { azureErrorMessage } from "./errors.ts";
import { acquireContainerClient, storageErrorCode } from "./storage.ts";

const params = {
  unprocessedEventThreshold: param.int({
    default: 64,
    description: "target number of unprocessed events per replica",
  }),
  activationUnprocessedEventThreshold: param.int({
    default: 0,
    description: "active when the unprocessed events are more than this",
  }),
  stalePartitionInfoThreshold: param.int({
    default: 10000,
    description:
      "a partition whose unprocessed count is within this of the int64 limit is read as 0 (stale information)",
  }),
  connection: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "Event Hubs connection string (with EntityPath, or give eventHubName); not with podIdentity",
  }),
  consumerGroup: param.string({
    default: "$Default",
    description: "the consumer group whose checkpoints are read",
  }),
  storageConnection: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "connection string of the storage account holding the checkpoints",
  }),
  storageAccountName: param.string({
    optional: true,
    description: "with podIdentity azure-workload: the storage account holding the checkpoints",
  }),
  blobContainer: param.string({
    optional: true,
    description:
      "container of the checkpoints (default: azure-webjobs-eventhub, as Azure Functions write them)",
  }),
  eventHubNamespace: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "namespace name without the domain (with podIdentity azure-workload)",
  }),
  eventHubName: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "event hub name (with podIdentity, or when the connection string has no EntityPath)",
  }),
  checkpointStrategy: param.string({
    optional: true,
    description:
      "azureFunction, blobMetadata (Event Hubs SDKs for .NET, Java, Python, JavaScript), goSdk, dapr, or unset (the consumer group's blobs in blobContainer)",
  }),
  cloud: param.string({
    optional: true,
    description:
      "AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud, or Private",
  }),
  endpointSuffix: param.string({
    optional: true,
    description: "with cloud Private: the Event Hubs namespace domain, e.g. servicebus.example.net",
  }),
  storageEndpointSuffix: param.string({
    optional: true,
    description: "with cloud Private and storageAccountName: the storage domain, e.g. core.example.net",
  }),
};

type Values = ParsedParams<typeof params>;

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

function cloudMetadata(values: Values): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const key of ["cloud", "endpointSuffix", "storageEndpointSuffix"] as const) {
    const value = values[key];
    if (value) metadata[key] = value;
  }
  return metadata;
}

/** The connection string KEDA uses: EntityPath appended when the string has none. */
export function eventHubConnection(values: Pick<Values, "connection" | "eventHubName">): string | undefined {
  if (!values.connection) return undefined;
  if (hasEntityPath(values.connection)) return values.connection;
  return `${values.connection};EntityPath=${values.eventHubName}`;
}

export const azureEventHubScaler: ScalerDefinition<typeof params> = {
  type: "azure-eventhub",
  testedAgainst:
    "fake-eventhubs (a loopback fake of Event Hubs' AMQP management plane: $cbs put-token and $management READ, served with rhea) and Azurite 3.37 for the checkpoint blobs",
  example: {
    metadata: { consumerGroup: "orders", unprocessedEventThreshold: "64" },
    authParams: {
      connection:
        "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=keda;SharedAccessKey=c2VjcmV0;EntityPath=orders",
      storageConnection:
        "DefaultEndpointsProtocol=https;AccountName=example;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net",
    },
    metricName: "s0-azure-eventhub-orders",
  },
  kedaScalerName: "azureEventHubScaler",
  legacy: { envNameKeys: ["connection", "storageConnection"] },
  description:
    "Unprocessed events of an Event Hub consumer group: each partition's last sequence number less its checkpoint in Blob storage.",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (values.unprocessedEventThreshold <= 0)
      problems.push(
        problem("unprocessedEventThreshold", `"unprocessedEventThreshold" must be a positive number`),
      );
    const metadata = cloudMetadata(values);
    const suffix = azureEnvironmentProperty(
      metadata,
      "endpointSuffix",
      (environment) => environment.serviceBusEndpointSuffix,
    );
    if ("error" in suffix) problems.push(problem("cloud", suffix.error));
    const provider = context.podIdentity?.provider;
    if (provider === undefined) {
      if (!values.storageConnection)
        problems.push(
          problem(
            "storageConnection",
            "no storage connection string given: set storageConnection or storageConnectionFromEnv",
          ),
        );
      if (!values.connection)
        problems.push(
          problem("connection", "no event hub connection string given: set connection or connectionFromEnv"),
        );
      // About the connection string: when it comes from an unresolved source (tidal validate has no
      // environment), whether it names the event hub is unknown and this is not reported.
      else if (!hasEntityPath(values.connection) && !values.eventHubName)
        problems.push(
          problem(
            "connection",
            "connection string does not contain event hub name, and parameter eventHubName not provided",
          ),
        );
    } else if (provider === "azure-workload") {
      if (values.storageAccountName) {
        const storage = azureEnvironmentProperty(
          metadata,
          "storageEndpointSuffix",
          (environment) => environment.storageEndpointSuffix,
        );
        if ("error" in storage) problems.push(problem("storageEndpointSuffix", storage.error));
      } else if (!values.storageConnection) {
        problems.push(
          problem(
            "storageAccountName",
            "no storage connection string or storage account name for pod identity based authentication given",
          ),
        );
      }
      if (!values.eventHubNamespace)
        problems.push(problem("eventHubNamespace", "no event hub namespace string given"));
      if (!values.eventHubName) problems.push(problem("eventHubName", "no event hub name string given"));
    } else {
      problems.push(
        problem("podIdentity", `event hub does not support pod identity ${provider}; use azure-workload`),
      );
    }
    return problems;
  },
  metric: (values) => ({
    name: `azure-eventhub-${values.consumerGroup}`,
    target: values.unprocessedEventThreshold,
    activationTarget: values.activationUnprocessedEventThreshold,
  }),
  connect(values, context) {
    const identity = context.podIdentity;
    const metadata = cloudMetadata(values);
    const suffix = azureEnvironmentProperty(
      metadata,
      "endpointSuffix",
      (environment) => environment.serviceBusEndpointSuffix,
    );
    const serviceBusEndpointSuffix = "value" in suffix ? suffix.value : "";
    const connection = identity ? undefined : eventHubConnection(values);
    const location: HubLocation = {
      connection,
      namespace: values.eventHubNamespace,
      serviceBusEndpointSuffix,
      eventHubName: values.eventHubName,
      consumerGroup: values.consumerGroup,
      blobContainer: values.blobContainer,
      checkpointStrategy: values.checkpointStrategy,
    };
    const host = connection
      ? (connectionStringValue(connection, "Endpoint") ?? "").replace(/^[a-z]+:\/\//i, "").replace(/\/$/, "")
      : `${values.eventHubNamespace}.${serviceBusEndpointSuffix}`;
    const service = `Event Hubs at ${host}`;
    const hub = acquireHubClient(
      values,
      connection,
      `${values.eventHubNamespace}.${serviceBusEndpointSuffix}`,
      context,
    );
    const storage = acquireCheckpointStorage(values, metadata, context);
    const secrets = connectionStringSecrets(values.connection, values.storageConnection);
    const threshold = BigInt(values.unprocessedEventThreshold);
    const stale = BigInt(values.stalePartitionInfoThreshold);
    const containers = new Map<string, Lease<ContainerClient>>();
    const containerClient = (name: string) => {
      let lease = containers.get(name);
      if (lease === undefined) {
        lease = storage(name);
        containers.set(name, lease);
      }
      return lease.client;
    };

    async function checkpointOf(partition: PartitionProperties, signal: AbortSignal): Promise<bigint> {
      const last = BigInt(partition.lastEnqueuedSequenceNumber);
      const beginning = BigInt(partition.beginningSequenceNumber);
      const blob = checkpointBlob(location, partition.partitionId);
      let body = "";
      let blobMetadata: Record<string, string> = {};
      try {
        const client = (await containerClient(blob.container)).getBlobClient(blob.blob);
        if (blob.format === "blobMetadata") {
          blobMetadata = (await client.getProperties({ abortSignal: signal })).metadata ?? {};
        } else {
          body = (await client.downloadToBuffer(undefined, undefined, { abortSignal: signal })).toString(
            "utf8",
          );
        }
      } catch (error) {
        const code = storageErrorCode(error);
        // No checkpoint yet: every event in the partition is unprocessed.
        if (
          code === "BlobNotFound" ||
          code === "ContainerNotFound" ||
          (error as { statusCode?: number }).statusCode === 404
        )
          return unprocessedWithoutCheckpoint(beginning, last);
        throw new Error(
          `unable to get checkpoint from storage (container "${blob.container}", blob "${blob.blob}"): ${azureErrorMessage(error, "Azure Storage")}`,
          { cause: error },
        );
      }
      let sequence: bigint;
      try {
        sequence = checkpointSequenceNumber(blob.format, body, blobMetadata);
      } catch (error) {
        throw new Error(
          `checkpoint blob "${blob.blob}" in container "${blob.container}" (${blob.format} format): ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      return unprocessedEvents(last, sequence, stale);
    }

    return {
      async measure(signal) {
        try {
          const client = await hub.client;
          let runtime;
          try {
            runtime = await client.getEventHubProperties({ abortSignal: signal });
          } catch (error) {
            throw new Error(eventHubsError(error, service, values.eventHubName ?? hubName(connection)), {
              cause: error,
            });
          }
          let total = 0n;
          for (const partitionId of runtime.partitionIds) {
            let partition: PartitionProperties;
            try {
              partition = await client.getPartitionProperties(partitionId, { abortSignal: signal });
            } catch (error) {
              throw new Error(`partition ${partitionId}: ${eventHubsError(error, service, runtime.name)}`, {
                cause: error,
              });
            }
            // An empty partition (last sequence number -1) has nothing to process.
            if (partition.lastEnqueuedSequenceNumber === -1) continue;
            total = addInt64(total, await checkpointOf(partition, signal));
          }
          if (total < 0n) total = MAX_INT64;
          const lag = lagForPartitions(total, BigInt(runtime.partitionIds.length), threshold);
          return { value: Number(lag), active: total > BigInt(values.activationUnprocessedEventThreshold) };
        } catch (error) {
          throw new Error(redactSecrets(error instanceof Error ? error.message : String(error), secrets), {
            cause: error,
          });
        }
      },
      async close() {
        await Promise.all([hub.release(), ...[...containers.values()].map((lease) => lease.release())]);
      },
    };
  },
};

function hubName(connection: string | undefined): string {
  return connection ? (connectionStringValue(connection, "EntityPath") ?? "") : "";
}

function eventHubsError(error: unknown, service: string, hub: string): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "MessagingEntityNotFoundError")
    return `event hub "${hub}" not found in ${service}: ${message}`;
  if (code === "UnauthorizedError") return `${service} refused the credentials: ${message}`;
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test(message) ||
    code === "ServiceCommunicationError"
  )
    return `cannot reach ${service}: ${message}`;
  return `event hub "${hub}" in ${service}: ${azureErrorMessage(error, service)}`;
}

/** One producer client (management requests only) per connection string, or namespace and identity. */
function acquireHubClient(
  values: Values,
  connection: string | undefined,
  namespace: string,
  context: ScalerContext,
) {
  const identity = context.podIdentity;
  const key = identity
    ? poolKey("azure-eventhub", "identity", namespace, values.eventHubName, JSON.stringify(identity))
    : poolKey("azure-eventhub", connection);
  return context.pool.acquire(
    key,
    async (): Promise<EventHubProducerClient> => {
      const { EventHubProducerClient } = await import("@azure/event-hubs");
      const options = { retryOptions: { maxRetries: 0, timeoutInMs: context.timeoutMs } };
      if (identity) {
        const credential = await azurePodIdentityCredential(identity);
        return new EventHubProducerClient(namespace, values.eventHubName ?? "", credential, options);
      }
      try {
        return new EventHubProducerClient(connection ?? "", options);
      } catch (error) {
        throw new Error(
          redactSecrets(
            `the event hub connection string is not valid: ${error instanceof Error ? error.message : String(error)}`,
            [connection ?? ""],
          ),
          {
            cause: error,
          },
        );
      }
    },
    (client) => client.close(),
  );
}

/**
 * The checkpoints' containers: from storageConnection, or with pod identity from
 * storageAccountName (a connection string is used when no account name is given).
 */
function acquireCheckpointStorage(values: Values, metadata: Record<string, string>, context: ScalerContext) {
  const identity = context.podIdentity && values.storageAccountName ? context.podIdentity : undefined;
  let endpointSuffix: string | undefined;
  if (identity) {
    const storage = azureEnvironmentProperty(
      metadata,
      "storageEndpointSuffix",
      (environment) => environment.storageEndpointSuffix,
    );
    endpointSuffix = "value" in storage ? `blob.${storage.value}` : undefined;
  }
  return (containerName: string) =>
    acquireContainerClient(
      identity
        ? { accountName: values.storageAccountName, cloud: "Private", endpointSuffix, containerName }
        : { connection: values.storageConnection, containerName },
      identity ? { pool: context.pool, podIdentity: identity } : { pool: context.pool },
    );
}
