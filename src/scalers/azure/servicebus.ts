import type { ServiceBusAdministrationClient } from "@azure/service-bus";
import { azureEnvironmentProperty, azurePodIdentityCredential } from "../../auth/identity/azure.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";
import { connectionStringSecrets, connectionStringValue, redactSecrets } from "./connection-string.ts";
import { azureErrorMessage } from "./errors.ts";

const params = {
  messageCount: param.int({ default: 5, description: "target number of active messages per replica" }),
  activationMessageCount: param.int({
    default: 0,
    description: "active when the active message count is greater than this",
  }),
  queueName: param.string({
    optional: true,
    description: "queue to measure (or, with useRegex, a regular expression over queue names)",
  }),
  topicName: param.string({ optional: true, description: "topic of the subscription to measure" }),
  subscriptionName: param.string({
    optional: true,
    description:
      "subscription to measure (or, with useRegex, a regular expression over the topic's subscriptions)",
  }),
  connection: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "Service Bus connection string (required unless podIdentity azure-workload is used)",
  }),
  namespace: param.string({
    optional: true,
    description: "namespace name, without the domain (required with podIdentity azure-workload)",
  }),
  useRegex: param.bool({
    default: false,
    description: "treat queueName or subscriptionName as a regular expression matching whole names",
  }),
  operation: param.enum(["sum", "max", "avg"] as const, {
    default: "sum",
    description: "with useRegex: how the matching entities' counts combine (avg rounds down)",
  }),
  cloud: param.string({
    optional: true,
    description:
      "with podIdentity: AzurePublicCloud (default), AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud or Private",
  }),
  endpointSuffix: param.string({
    optional: true,
    description: "with cloud Private: the namespace's domain, e.g. servicebus.example.net",
  }),
};

type Values = ParsedParams<typeof params>;

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/**
 * A Go (RE2) regular expression as JavaScript's: named groups are spelled `(?<name>` there. KEDA
 * matches with leftmost-longest semantics and keeps a name when the match is the whole name,
 * which is a whole-string match.
 */
export function wholeNameRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern.replace(/\(\?P</g, "(?<")})$`, "u");
  } catch {
    return undefined;
  }
}

/** KEDA's performOperation: sum, max, or the integer average of the counts (0 for none). */
export function combineCounts(counts: readonly number[], operation: "sum" | "max" | "avg"): number {
  if (operation === "max") return counts.reduce((max, count) => Math.max(max, count), 0);
  const sum = counts.reduce((total, count) => total + count, 0);
  return operation === "avg" && counts.length > 0 ? Math.trunc(sum / counts.length) : sum;
}

/**
 * The fully qualified namespace KEDA builds for pod identity: `<namespace>.<suffix>`, the suffix
 * from `cloud` (and `endpointSuffix` for a Private cloud); or the problem with them.
 */
export function serviceBusIdentityNamespace(
  namespace: string,
  metadata: Readonly<Record<string, string>>,
): { value: string } | { error: string } {
  const suffix = azureEnvironmentProperty(
    metadata,
    "endpointSuffix",
    (environment) => environment.serviceBusEndpointSuffix,
  );
  if ("error" in suffix) return { error: suffix.error };
  return { value: `${namespace}.${suffix.value}` };
}

function identityNamespace(values: Values, metadata: Readonly<Record<string, string>>) {
  return serviceBusIdentityNamespace(values.namespace ?? "", metadata);
}

function metadataOf(values: Values): Record<string, string> {
  return {
    ...(values.cloud ? { cloud: values.cloud } : {}),
    ...(values.endpointSuffix ? { endpointSuffix: values.endpointSuffix } : {}),
  };
}

export const azureServiceBusScaler: ScalerDefinition<typeof params> = {
  type: "azure-servicebus",
  testedAgainst:
    "fake-servicebus (a loopback fake of Service Bus's documented ATOM management API over HTTPS, with SAS and Entra ID bearer authentication)",
  example: {
    metadata: { queueName: "orders", messageCount: "10" },
    authParams: {
      connection:
        "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=keda;SharedAccessKey=c2VjcmV0",
    },
    metricName: "s0-azure-servicebus-orders",
  },
  kedaScalerName: "azureServiceBusScaler",
  legacy: { renamedKeys: { queueLength: "messageCount" }, envNameKeys: ["connection"] },
  description:
    "Active messages of a Service Bus queue or topic subscription (or several, matched by a regular expression).",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (values.queueName) {
      if (values.subscriptionName)
        problems.push(problem("subscriptionName", "subscription name provided with queue name"));
      if (values.topicName)
        problems.push(problem("topicName", "both topic and queue name metadata provided: set one of them"));
      if (values.useRegex && wholeNameRegex(values.queueName) === undefined)
        problems.push(problem("queueName", "queueName is not a valid regular expression"));
    } else if (values.topicName) {
      if (!values.subscriptionName)
        problems.push(problem("subscriptionName", "no subscription name provided with topic name"));
      else if (values.useRegex && wholeNameRegex(values.subscriptionName) === undefined)
        problems.push(problem("subscriptionName", "subscriptionName is not a valid regular expression"));
    } else {
      problems.push(
        problem(
          "queueName",
          "no service bus entity type set: set queueName, or topicName and subscriptionName",
        ),
      );
    }
    const provider = context.podIdentity?.provider;
    if (provider === undefined) {
      if (!values.connection) {
        problems.push(
          problem(
            "connection",
            "no connection setting given: set connection in a TriggerAuthentication, connectionFromEnv, or use podIdentity azure-workload with namespace",
          ),
        );
      }
    } else if (provider === "azure-workload") {
      if (!values.namespace)
        problems.push(problem("namespace", "namespace is required when using pod identity"));
      else {
        const namespace = identityNamespace(values, metadataOf(values));
        if ("error" in namespace) problems.push(problem("cloud", namespace.error));
      }
    } else {
      problems.push(
        problem(
          "podIdentity",
          `azure service bus doesn't support pod identity ${provider}; use azure-workload`,
        ),
      );
    }
    return problems;
  },
  metric(values) {
    const queue = Boolean(values.queueName);
    const entity = values.useRegex
      ? `${queue ? "queue" : "topic"}-regex`
      : queue
        ? values.queueName
        : values.topicName;
    return {
      name: `azure-servicebus-${entity}`,
      target: values.messageCount,
      activationTarget: values.activationMessageCount,
    };
  },
  connect(values, context) {
    const lease = acquireAdministrationClient(values, context);
    const secrets = connectionStringSecrets(values.connection);
    return {
      async measure(signal) {
        const { client, endpoint } = await lease.client;
        try {
          const count = await activeMessages(client, values, signal);
          return { value: count, active: count > values.activationMessageCount };
        } catch (error) {
          throw new Error(redactSecrets(countError(error, values, `Service Bus at ${endpoint}`), secrets), {
            cause: error,
          });
        }
      },
      close: () => lease.release(),
    };
  },
};

function entityLabel(values: Values): string {
  if (values.queueName) return `${values.useRegex ? "queues matching" : "queue"} "${values.queueName}"`;
  return `${values.useRegex ? "subscriptions matching" : "subscription"} "${values.subscriptionName}" of topic "${values.topicName}"`;
}

function countError(error: unknown, values: Values, service: string): string {
  const code = (error as { code?: unknown }).code;
  if (code === "MessageEntityNotFoundError") {
    return `${entityLabel(values)} not found in ${service}: create it or fix the name`;
  }
  return `${entityLabel(values)}: ${azureErrorMessage(error, service)}`;
}

/** The count KEDA scales on: active messages (not scheduled, dead-lettered or transferred ones). */
async function activeMessages(
  client: ServiceBusAdministrationClient,
  values: Values,
  signal: AbortSignal,
): Promise<number> {
  const options = { abortSignal: signal };
  if (values.queueName) {
    if (!values.useRegex) {
      return (await client.getQueueRuntimeProperties(values.queueName, options)).activeMessageCount;
    }
    const pattern = wholeNameRegex(values.queueName) as RegExp;
    const counts: number[] = [];
    for await (const queue of client.listQueuesRuntimeProperties(options)) {
      if (pattern.test(queue.name)) counts.push(queue.activeMessageCount);
    }
    return combineCounts(counts, values.operation);
  }
  const topic = values.topicName as string;
  const subscription = values.subscriptionName as string;
  if (!values.useRegex) {
    return (await client.getSubscriptionRuntimeProperties(topic, subscription, options)).activeMessageCount;
  }
  const pattern = wholeNameRegex(subscription) as RegExp;
  const counts: number[] = [];
  for await (const entry of client.listSubscriptionsRuntimeProperties(topic, options)) {
    if (pattern.test(entry.subscriptionName)) counts.push(entry.activeMessageCount);
  }
  return combineCounts(counts, values.operation);
}

interface AdministrationClient {
  client: ServiceBusAdministrationClient;
  /** Host of the namespace, for messages. */
  endpoint: string;
}

/**
 * One management client per connection string (or namespace and identity). The SDK's retries are
 * off: the next poll is the retry, and a measurement must end within its deadline.
 */
function acquireAdministrationClient(values: Values, context: ScalerContext) {
  const identity = context.podIdentity;
  const key = identity
    ? poolKey(
        "azure-servicebus",
        "identity",
        values.namespace,
        values.cloud,
        values.endpointSuffix,
        JSON.stringify(identity),
      )
    : poolKey("azure-servicebus", values.connection);
  return context.pool.acquire(
    key,
    async (): Promise<AdministrationClient> => {
      const { ServiceBusAdministrationClient } = await import("@azure/service-bus");
      const options = { retryOptions: { maxRetries: 0 } };
      if (identity) {
        const namespace = identityNamespace(values, metadataOf(values));
        if ("error" in namespace) throw new Error(namespace.error);
        const credential = await azurePodIdentityCredential(identity);
        return {
          client: new ServiceBusAdministrationClient(namespace.value, credential, options),
          endpoint: namespace.value,
        };
      }
      const connection = values.connection ?? "";
      const endpoint = connectionStringValue(connection, "Endpoint")?.match(/^[a-z]+:\/\/([^/]*)/i)?.[1];
      if (!endpoint) throw new Error("the connection string has no Endpoint=sb://<namespace>/ part");
      try {
        return { client: new ServiceBusAdministrationClient(connection, options), endpoint };
      } catch (error) {
        throw new Error(
          redactSecrets(`the connection string is not valid: ${azureErrorMessage(error, "Service Bus")}`, [
            connection,
          ]),
          { cause: error },
        );
      }
    },
    async () => {},
  );
}
