import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { escapeFilterValue } from "./cloud-tasks.ts";
import { checkPubSubResourceName, numberOfTypedValue, stackdriverAggregation } from "./monitoring.ts";
import { pubSubMetricType } from "./pubsub.ts";

const key = { GoogleApplicationCredentials: "{}" };
const errors = (type: string, metadata: Record<string, string>, authParams: Record<string, string> = key) =>
  withErrorMessages(prepareScalerTrigger(type, metadata, { authParams })).errors;

describe("gcp-stackdriver aggregation", () => {
  it("maps KEDA's aligner and reducer names, case-insensitively, empty meaning none", () => {
    expect(stackdriverAggregation(60, "Mean", "")).toEqual({
      alignmentPeriod: { seconds: 60 },
      perSeriesAligner: "ALIGN_MEAN",
      crossSeriesReducer: "REDUCE_NONE",
    });
    expect(stackdriverAggregation(120, "percentile_99", "COUNT_TRUE")).toMatchObject({
      perSeriesAligner: "ALIGN_PERCENTILE_99",
      crossSeriesReducer: "REDUCE_COUNT_TRUE",
    });
    expect(() => stackdriverAggregation(60, "median", "")).toThrow("unknown aligner: median");
    expect(() => stackdriverAggregation(60, "", "percent_change")).toThrow("unknown reducer: percent_change");
  });

  it("checks the period and names when the trigger is prepared, as KEDA parses them", () => {
    const base = { projectId: "p", filter: 'metric.type="x"' };
    expect(errors("gcp-stackdriver", { ...base, alignmentPeriodSeconds: "30" })).toEqual([
      "alignmentPeriodSeconds must be at least 60",
    ]);
    expect(
      errors("gcp-stackdriver", { ...base, alignmentPeriodSeconds: "60", alignmentAligner: "avg" }),
    ).toEqual(["unknown aligner: avg"]);
    expect(
      errors("gcp-stackdriver", { ...base, alignmentPeriodSeconds: "60", alignmentReducer: "avg" }),
    ).toEqual(["unknown reducer: avg"]);
    // Without a period there is no aggregation, whatever the names say (KEDA ignores them too).
    expect(errors("gcp-stackdriver", { ...base, alignmentAligner: "avg" })).toEqual([]);
  });
});

describe("point values", () => {
  it("reads doubles and int64s, and refuses other kinds as KEDA does", () => {
    expect(numberOfTypedValue({ value: "doubleValue", doubleValue: 1.5 })).toBe(1.5);
    expect(numberOfTypedValue({ int64Value: "42" })).toBe(42);
    expect(() => numberOfTypedValue({ value: "boolValue", boolValue: true })).toThrow(
      "could not extract a value from the metric: its point holds bool value, not a number",
    );
    expect(() => numberOfTypedValue({})).toThrow("its point holds no value");
  });
});

describe("gcp-pubsub", () => {
  it("reads SubscriptionSize as num_undelivered_messages, other modes in snake case", () => {
    expect(pubSubMetricType("SubscriptionSize", "subscription")).toBe(
      "pubsub.googleapis.com/subscription/num_undelivered_messages",
    );
    expect(pubSubMetricType("OldestUnackedMessageAge", "subscription")).toBe(
      "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
    );
    expect(pubSubMetricType("MessageSizes", "topic")).toBe("pubsub.googleapis.com/topic/message_sizes");
  });

  it("checks names as KEDA does before they go into a query", () => {
    expect(() => checkPubSubResourceName("orders")).not.toThrow();
    expect(() => checkPubSubResourceName("Google-orders")).toThrow('names cannot start with "goog"');
    expect(() => checkPubSubResourceName("ab")).toThrow('invalid Pub/Sub resource name "ab"');
    expect(() => checkPubSubResourceName("it's")).toThrow(`invalid Pub/Sub resource name "it's"`);
  });

  it("says which of subscriptionName and topicName to give, and rejects subscriptionSize", () => {
    expect(errors("gcp-pubsub", {})).toEqual(["exactly one of subscriptionName or topicName must be given"]);
    expect(errors("gcp-pubsub", { subscriptionName: "a", subscriptionSize: "5" })).toEqual([
      "subscriptionSize was removed in KEDA 2.20: use mode and value instead",
    ]);
  });

  it("reports a trigger without credentials in one line naming every way to give them", () => {
    expect(errors("gcp-pubsub", { subscriptionName: "a" }, {})).toEqual([
      "no Google credentials: give a service-account key as the authentication parameter GoogleApplicationCredentials, " +
        "through credentialsFromEnv or credentialsFromEnvFile, or use a TriggerAuthentication with podIdentity provider gcp",
    ]);
    const withIdentity = prepareScalerTrigger(
      "gcp-pubsub",
      { subscriptionName: "a" },
      { podIdentity: { provider: "gcp" } },
    );
    expect(withIdentity.problems).toEqual([]);
  });

  it("warns that credentials in metadata are not read (KEDA ignores them too)", () => {
    const prepared = prepareScalerTrigger(
      "gcp-pubsub",
      { subscriptionName: "a", credentials: "{}" },
      { authParams: key },
    );
    expect(prepared.problems).toEqual([
      {
        key: "credentials",
        message:
          'parameter "credentials" cannot be set in trigger metadata; set it through a TriggerAuthentication or credentialsFromEnv',
        severity: "warning",
      },
    ]);
  });
});

describe("gcp-cloudtasks", () => {
  it("escapes the queue name inside the filter's quotes", () => {
    expect(escapeFilterValue('q"ueue\\x')).toBe('q\\"ueue\\\\x');
  });
});

describe("gcp-storage", () => {
  it("checks the counts as KEDA does", () => {
    expect(errors("gcp-storage", { bucketName: "b", targetObjectCount: "0" })).toEqual([
      "targetObjectCount must be greater than 0",
    ]);
    expect(errors("gcp-storage", { bucketName: "b", activationTargetObjectCount: "-1" })).toEqual([
      "activationTargetObjectCount must be 0 or more",
    ]);
    expect(errors("gcp-storage", { bucketName: "b", maxBucketItemsToScan: "0" })).toEqual([
      "maxBucketItemsToScan must be greater than 0",
    ]);
  });
});
