/**
 * Event Hubs checkpoints in Blob storage, read as KEDA reads them: where each `checkpointStrategy`
 * keeps a partition's checkpoint (container and blob name), and how its sequence number is stored.
 * The unprocessed-event arithmetic is KEDA's, in 64-bit integers (BigInt here).
 */
import { connectionStringValue } from "./connection-string.ts";

export const MAX_INT64 = 9223372036854775807n;

/** Where an event hub is, as the checkpoint paths name it. */
export interface HubLocation {
  /** The connection string (with EntityPath), when one is used. */
  connection?: string | undefined;
  /** With pod identity: the namespace name and the cloud's Service Bus suffix. */
  namespace?: string | undefined;
  serviceBusEndpointSuffix: string;
  eventHubName?: string | undefined;
  consumerGroup: string;
  blobContainer?: string | undefined;
  checkpointStrategy?: string | undefined;
}

/** KEDA's getHubAndNamespace: from the connection string's Endpoint and EntityPath, or the metadata. */
export function hubAndNamespace(location: HubLocation): { namespace: string; hub: string } {
  if (location.connection) {
    let namespace = connectionStringValue(location.connection, "Endpoint") ?? "";
    namespace = namespace.replace(/^sb:\/\//, "").replace(/\/$/, "");
    const hub = connectionStringValue(location.connection, "EntityPath") ?? "";
    if (namespace === "" || hub === "") {
      throw new Error("can't parse event hub connection string. Missing eventHubNamespace or eventHubName");
    }
    return { namespace, hub };
  }
  return {
    namespace: `${location.namespace}.${location.serviceBusEndpointSuffix}`,
    hub: location.eventHubName ?? "",
  };
}

export type CheckpointFormat = "azureFunction" | "blobMetadata" | "goSdk" | "dapr" | "default";

export interface CheckpointBlob {
  container: string;
  blob: string;
  format: CheckpointFormat;
}

/** Go's url.Parse refuses control characters; KEDA checks the paths it builds with it. */
function checkedPath(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  if (/[\u0000-\u001f\u007f]/.test(path))
    throw new Error(`parse "${path}": net/url: invalid control character in URL`);
  return path;
}

/** KEDA's newCheckpointer and resolvePath: the blob holding one partition's checkpoint. */
export function checkpointBlob(location: HubLocation, partitionId: string): CheckpointBlob {
  const container = location.blobContainer ?? "";
  switch (true) {
    case location.checkpointStrategy === "goSdk":
      return { container, blob: partitionId, format: "goSdk" };
    case location.checkpointStrategy === "dapr": {
      const { hub } = hubAndNamespace(location);
      return {
        container,
        blob: checkedPath(`dapr-${hub}-${location.consumerGroup}-${partitionId}`),
        format: "dapr",
      };
    }
    case location.checkpointStrategy === "blobMetadata": {
      const { namespace, hub } = hubAndNamespace(location);
      return {
        container,
        blob: checkedPath(
          `${namespace}/${hub}/${location.consumerGroup.toLowerCase()}/checkpoint/${partitionId}`,
        ),
        format: "blobMetadata",
      };
    }
    case location.checkpointStrategy === "azureFunction" || container === "": {
      const { namespace, hub } = hubAndNamespace(location);
      return {
        container: "azure-webjobs-eventhub",
        blob: checkedPath(`${namespace}/${hub}/${location.consumerGroup}/${partitionId}`),
        format: "azureFunction",
      };
    }
    default:
      return { container, blob: `${location.consumerGroup}/${partitionId}`, format: "default" };
  }
}

/** A JSON field read as Go's encoding/json reads into a struct: the key matched case-insensitively. */
function field(object: unknown, name: string): unknown {
  if (typeof object !== "object" || object === null) return undefined;
  const entries = Object.entries(object);
  const exact = entries.find(([key]) => key === name);
  if (exact) return exact[1];
  return entries.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}

/** An int64 JSON number as Go decodes it (a fraction, a string or an overflow is an error). */
function int64(value: unknown, raw: string, name: string): bigint {
  if (value === undefined || value === null) return 0n;
  const match = new RegExp(`"${name}"\\s*:\\s*(-?\\d+)(?=\\s*[,}])`, "i").exec(raw);
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new Error(`failed to decode blob data: cannot read ${name} ${JSON.stringify(value)} as an int64`);
  }
  // JSON.parse loses digits past 2^53: take them from the text when it has the plain integer.
  const exact = match ? BigInt(match[1] as string) : BigInt(value);
  if (exact > MAX_INT64 || exact < -MAX_INT64 - 1n)
    throw new Error(`failed to decode blob data: ${name} overflows int64`);
  return exact;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`failed to decode blob data: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** The sequence number of a checkpoint blob of this format, from its body or (blobMetadata) its metadata. */
export function checkpointSequenceNumber(
  format: CheckpointFormat,
  body: string,
  metadata: Readonly<Record<string, string>>,
): bigint {
  if (format === "blobMetadata") {
    const entry =
      Object.entries(metadata).find(([key]) => key === "sequencenumber" || key === "Sequencenumber") ??
      Object.entries(metadata).find(([key]) => key.toLowerCase() === "sequencenumber");
    if (entry === undefined) throw new Error("sequencenumber on blob not found");
    if (!/^[+-]?\d+$/.test(entry[1]))
      throw new Error(`sequencenumber is not a valid int64 value: ${entry[1]}`);
    const value = BigInt(entry[1]);
    if (value > MAX_INT64 || value < -MAX_INT64 - 1n)
      throw new Error("sequencenumber is not a valid int64 value");
    return value;
  }
  const parsed = parseJson(body);
  if (format === "goSdk" || format === "dapr") {
    return int64(field(field(parsed, "checkpoint"), "sequenceNumber"), body, "sequenceNumber");
  }
  const sequence = int64(field(parsed, "SequenceNumber"), body, "SequenceNumber");
  if (format === "azureFunction" || sequence !== 0n) return sequence;
  // The default format also reads the old Python SDK's checkpoint (sequence_number), where the
  // common one is zero.
  return int64(field(parsed, "sequence_number"), body, "sequence_number");
}

/** KEDA's calculateUnprocessedEvents: the events after the checkpoint, across a wrap of the sequence. */
export function unprocessedEvents(
  lastEnqueuedSequenceNumber: bigint,
  checkpointSequence: bigint,
  stalePartitionInfoThreshold: bigint,
): bigint {
  const count =
    lastEnqueuedSequenceNumber >= checkpointSequence
      ? lastEnqueuedSequenceNumber - checkpointSequence
      : MAX_INT64 - checkpointSequence + lastEnqueuedSequenceNumber;
  // More than the buffer less the stale threshold: the partition information is stale.
  return count > MAX_INT64 - stalePartitionInfoThreshold ? 0n : count;
}

/** KEDA's GetUnprocessedEventCountWithoutCheckpoint. */
export function unprocessedWithoutCheckpoint(beginning: bigint, lastEnqueued: bigint): bigint {
  if ((beginning === 0n && lastEnqueued === 0n) || beginning !== lastEnqueued)
    return lastEnqueued - beginning + 1n;
  return 0n;
}

/** KEDA's getTotalLagRelatedToPartitionAmount: never more than a threshold's worth per partition. */
export function lagForPartitions(unprocessed: bigint, partitionCount: bigint, threshold: bigint): bigint {
  return unprocessed / threshold > partitionCount ? partitionCount * threshold : unprocessed;
}

/** Go's int64 addition wraps around: a negative total becomes MaxInt64, as KEDA does. */
export function addInt64(a: bigint, b: bigint): bigint {
  return BigInt.asIntN(64, a + b);
}
