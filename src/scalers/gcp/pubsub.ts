import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { gcpCredentialParams, gcpCredentialProblems, triggerCredentialSource } from "./credentials.ts";
import { acquireMonitoring, buildMqlQuery } from "./monitoring.ts";

const params = {
  subscriptionName: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description:
      "subscription id, or projects/PROJECT/subscriptions/ID (then PROJECT is the project); give it or topicName",
  }),
  topicName: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "topic id, or projects/PROJECT/topics/ID; give it or subscriptionName",
  }),
  mode: param.string({
    default: "SubscriptionSize",
    description:
      "the Pub/Sub metric, in CamelCase: SubscriptionSize (num_undelivered_messages), OldestUnackedMessageAge, " +
      "or any other metric of the subscription or topic, e.g. MessageSizes",
  }),
  value: param.float({ default: 10, description: "target value of the metric per replica" }),
  activationValue: param.float({ default: 0, description: "active when the value is greater than this" }),
  aggregation: param.string({
    optional: true,
    description:
      "aggregate over 3-minute windows: mean, median, variance, stddev, sum, count or percentileN (e.g. percentile99)",
  }),
  timeHorizon: param.duration({
    optional: true,
    description: "how far back the query looks (default 2m, or 5m with an aggregation)",
  }),
  valueIfNull: param.float({
    optional: true,
    description: "value to use when Cloud Monitoring has no data (default: an error)",
  }),
  subscriptionSize: param.int({
    optional: true,
    deprecated: "subscriptionSize was removed in KEDA 2.20: use mode and value instead",
    description: "removed; use mode SubscriptionSize and value",
  }),
  ...gcpCredentialParams,
};

/** A full name `projects/P/subscriptions/S` (KEDA's pattern, matched anywhere in the name). */
const COMPOSITE_NAME =
  /projects\/[a-z][a-zA-Z0-9-]*[a-zA-Z0-9]\/(subscriptions|topics)\/[a-zA-Z][a-zA-Z0-9_~%+.-]*/;

/** KEDA's getResourceData: the id and the project of a subscription or topic name. */
export function pubSubResource(name: string): { id: string; projectId: string } {
  if (!COMPOSITE_NAME.test(name)) return { id: name, projectId: "" };
  const parts = name.split("/");
  return { id: parts[3] ?? "", projectId: parts[1] ?? "" };
}

/** KEDA's snakeCase: `OldestUnackedMessageAge` → `oldest_unacked_message_age`. */
export function snakeCase(camelCase: string): string {
  return camelCase
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** The Cloud Monitoring metric a mode reads; SubscriptionSize is num_undelivered_messages. */
export function pubSubMetricType(mode: string, resourceType: "subscription" | "topic"): string {
  const metric = mode === "SubscriptionSize" ? "NumUndeliveredMessages" : mode;
  return `pubsub.googleapis.com/${resourceType}/${snakeCase(metric)}`;
}

export const gcpPubSubScaler: ScalerDefinition<typeof params> = {
  type: "gcp-pubsub",
  kedaScalerName: "pubsubScaler",
  // KEDA 1.x read `credentials` as the name of the variable holding the key.
  legacy: { envNameKeys: ["credentials"] },
  description:
    "A Google Cloud Pub/Sub subscription's or topic's metric from Cloud Monitoring (undelivered messages by default). " +
    "KEDA marks this scaler deprecated.",
  testedAgainst:
    "fake-gcp-monitoring (a loopback fake of Cloud Monitoring's documented REST API) and fake-gcp-metadata (of the GCE metadata server's)",
  example: {
    metadata: { subscriptionName: "orders", value: "5" },
    authParams: { GoogleApplicationCredentials: '{"type":"service_account", …}' },
    metricName: "s0-gcp-ps-orders",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (Boolean(values.subscriptionName) === Boolean(values.topicName)) {
      problems.push({
        key: "subscriptionName",
        message: "exactly one of subscriptionName or topicName must be given",
        severity: "error",
      });
    }
    return [...problems, ...gcpCredentialProblems(values, context.podIdentity)];
  },
  metric: (values) => ({
    name: `gcp-ps-${values.subscriptionName ?? values.topicName}`,
    target: values.value,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const source = triggerCredentialSource(values, context.podIdentity);
    if (source === undefined) throw new Error("gcp-pubsub trigger without credentials");
    const resourceType = values.subscriptionName ? "subscription" : "topic";
    const resource = pubSubResource(values.subscriptionName ?? values.topicName ?? "");
    const metricType = pubSubMetricType(values.mode, resourceType);
    const lease = acquireMonitoring(context.pool, source, context.timeoutMs);
    return {
      async measure(signal) {
        const monitoring = await lease.client;
        const projectId = await monitoring.projectOf(resource.projectId);
        const query = buildMqlQuery(
          projectId,
          resourceType,
          metricType,
          resource.id,
          values.aggregation ?? "",
          values.timeHorizon ?? 0,
        );
        const value = await monitoring.firstQueryValue(
          { projectId, query, valueIfNull: values.valueIfNull },
          signal,
        );
        return { value, active: value > values.activationValue };
      },
      close: () => lease.release(),
    };
  },
};
