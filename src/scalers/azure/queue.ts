import type { QueueClient } from "@azure/storage-queue";
import type { ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { connectionStringSecrets, redactSecrets } from "./connection-string.ts";
import { azureErrorMessage } from "./errors.ts";
import {
  acquireQueueClient,
  storageAccountProblems,
  storageCloudParams,
  storageErrorCode,
  storageLabel,
} from "./storage.ts";

const params = {
  queueName: param.string({ description: "the storage queue to measure" }),
  queueLength: param.int({ default: 5, description: "target number of messages per replica" }),
  activationQueueLength: param.int({ default: 0, description: "active when the count is greater than this" }),
  queueLengthStrategy: param.enum(["all", "visibleonly"] as const, {
    default: "all",
    description:
      "all: the queue's approximate message count; visibleonly: the visible messages (peeked, up to 32; beyond that the approximate count)",
  }),
  connection: param.string({
    sources: ["auth", "metadata", "env"],
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

/** KEDA peeks at most this many messages for visibleonly. */
export const MAX_PEEK_MESSAGES = 32;

/** KEDA's getMessageCount: visibleonly trusts a peek of fewer than 32 messages, otherwise the approximate count. */
export async function queueMessageCount(
  client: Pick<QueueClient, "peekMessages" | "getProperties">,
  strategy: Values["queueLengthStrategy"],
  signal: AbortSignal,
): Promise<number> {
  if (strategy === "visibleonly") {
    const peeked = await client.peekMessages({ numberOfMessages: MAX_PEEK_MESSAGES, abortSignal: signal });
    if (peeked.peekedMessageItems.length < MAX_PEEK_MESSAGES) return peeked.peekedMessageItems.length;
  }
  const properties = await client.getProperties({ abortSignal: signal });
  return properties.approximateMessagesCount ?? 0;
}

export const azureQueueScaler: ScalerDefinition<typeof params> = {
  type: "azure-queue",
  testedAgainst: "Azurite 3.37 (npm, Microsoft's Azure Storage emulator)",
  example: {
    metadata: { queueName: "orders", queueLength: "10" },
    authParams: {
      connection:
        "DefaultEndpointsProtocol=https;AccountName=example;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net",
    },
    metricName: "s0-azure-queue-orders",
  },
  kedaScalerName: "azureQueueScaler",
  legacy: { envNameKeys: ["connection"] },
  description: "Approximate (or visible) message count of an Azure Storage queue.",
  params,
  validate(values: Values, context) {
    return storageAccountProblems(values, context.podIdentity, "queue", "azure storage queues");
  },
  metric: (values) => ({
    name: `azure-queue-${values.queueName}`,
    target: values.queueLength,
    activationTarget: values.activationQueueLength,
  }),
  connect(values, context) {
    // With pod identity KEDA ignores a connection string.
    const target = context.podIdentity ? { ...values, connection: undefined } : values;
    const lease = acquireQueueClient(target, context);
    const secrets = connectionStringSecrets(values.connection);
    const service = storageLabel(target, "queue");
    return {
      async measure(signal) {
        try {
          const client = await lease.client;
          const count = await queueMessageCount(client, values.queueLengthStrategy, signal);
          return { value: count, active: count > values.activationQueueLength };
        } catch (error) {
          const message =
            storageErrorCode(error) === "QueueNotFound"
              ? `queue "${values.queueName}" not found in ${service}: create it or fix queueName`
              : `queue "${values.queueName}": ${azureErrorMessage(error, service)}`;
          throw new Error(redactSecrets(message, secrets), { cause: error });
        }
      },
      close: () => lease.release(),
    };
  },
};
