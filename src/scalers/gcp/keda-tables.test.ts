/**
 * KEDA's test tables of its Google Cloud scalers (pkg/scalers/gcp_*_scaler_test.go and
 * pkg/scalers/gcp/*_test.go at v2.20.1), row by row: the same inputs give Tidal's verdict and
 * facts. A row where Tidal answers differently on purpose is marked with its reason and asserts
 * Tidal's own answer (docs/keda-differences.md#google-cloud).
 */
import { describe, expect, it } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import {
  errorsOf as vectorErrors,
  kedaTable,
  kedaVar,
  prepareRow,
  rowLabel,
  stringMap,
} from "../../../test/support/keda-vectors.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { createRedactor } from "../../util/redact.ts";
import { metricNameWithIndex } from "../metric-name.ts";
import { triggerCredentialSource } from "./credentials.ts";
import { actualProjectId, buildMqlQuery } from "./monitoring.ts";
import { pubSubResource, snakeCase } from "./pubsub.ts";
import { spannerValue } from "./spanner.ts";

interface Row {
  name: string;
  authParams?: Record<string, string> | null;
  metadata: Record<string, string>;
  isError: boolean;
  /** Tidal's verdict where it differs on purpose, and why. */
  differs?: { tidalError: boolean; reason: string };
}

function prepare(
  type: string,
  row: Pick<Row, "authParams" | "metadata">,
  env: Record<string, string>,
  index = 0,
) {
  return prepareScalerTrigger(
    type,
    { ...row.metadata },
    { authParams: { ...row.authParams }, resolvedEnv: env, index },
  );
}

function errorsOf(prepared: ReturnType<typeof prepare>): string[] {
  return prepared.problems
    .filter((problem) => problem.severity === "error")
    .map((problem) => problem.message);
}

/** Runs a parse table: KEDA's isError (or the documented difference) is Tidal's verdict. */
function parseTable(type: string, table: string, rows: Row[], env: Record<string, string>) {
  describe(`${type}: ${table}`, () => {
    it.each(rows.map((row, index) => [index, row.name, row] as const))("row %i: %s", (_index, _name, row) => {
      const prepared = prepare(type, row, env);
      const errors = errorsOf(prepared);
      const expected = row.differs ? row.differs.tidalError : row.isError;
      expect(errors.length > 0, errors.join("; ") || "no errors").toBe(expected);
      // No credential of the row appears in a message.
      const secrets = Object.values(row.authParams ?? {}).filter((value) => value.length >= 3);
      const redact = createRedactor(secrets);
      for (const problem of prepared.problems) expect(redact(problem.message)).toBe(problem.message);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// gcp-pubsub (gcp_pubsub_scaler_test.go)

const pubSubEnv = {
  SAMPLE_CREDS: "{}",
  MY_ENV_SUBSCRIPTION: "myEnvSubscription",
  MY_ENV_TOPIC: "myEnvTopic",
};
const creds = { credentialsFromEnv: "SAMPLE_CREDS" };

const testPubSubMetadata: Row[] = [
  { name: "empty", authParams: {}, metadata: {}, isError: true },
  {
    name: "all properly formed with value",
    metadata: { subscriptionName: "mysubscription", value: "7", ...creds },
    isError: false,
  },
  {
    name: "all properly formed with subscriptionName",
    metadata: { subscriptionName: "mysubscription", value: "7", ...creds, activationValue: "5" },
    isError: false,
  },
  {
    name: "all properly formed with oldest unacked message age mode",
    metadata: { subscriptionName: "mysubscription", mode: "OldestUnackedMessageAge", value: "7", ...creds },
    isError: false,
  },
  {
    name: "missing subscriptionName",
    metadata: { subscriptionName: "", value: "7", ...creds },
    isError: true,
  },
  {
    name: "missing credentials",
    metadata: { subscriptionName: "mysubscription", value: "7", credentialsFromEnv: "" },
    isError: true,
  },
  {
    name: "malformed value",
    metadata: { subscriptionName: "mysubscription", value: "AA", ...creds },
    isError: true,
  },
  {
    name: "malformed mode",
    metadata: { subscriptionName: "", mode: "AA", value: "7", ...creds },
    isError: true,
  },
  {
    name: "malformed activationTargetValue",
    metadata: { subscriptionName: "mysubscription", value: "7", ...creds, activationValue: "AA" },
    isError: true,
  },
  {
    name: "Credentials from AuthParams",
    authParams: { GoogleApplicationCredentials: "Creds" },
    metadata: { subscriptionName: "mysubscription", value: "7" },
    isError: false,
  },
  {
    name: "Credentials from AuthParams with empty creds",
    authParams: { GoogleApplicationCredentials: "" },
    metadata: { subscriptionName: "mysubscription", value: "7" },
    isError: true,
  },
  {
    name: "with full link to subscription",
    metadata: { subscriptionName: "projects/myproject/subscriptions/mysubscription", value: "7", ...creds },
    isError: false,
  },
  {
    name: "with full (bad) link to subscription",
    metadata: { subscriptionName: "projects/myproject/mysubscription", value: "7", ...creds },
    isError: false,
  },
  {
    name: "properly formed float value and activationTargetValue",
    metadata: { subscriptionName: "mysubscription", value: "7.1", ...creds, activationValue: "2.1" },
    isError: false,
  },
  {
    name: "All optional omitted",
    metadata: { subscriptionName: "mysubscription", ...creds },
    isError: false,
  },
  {
    name: "value omitted when mode present",
    metadata: { subscriptionName: "mysubscription", mode: "SubscriptionSize", ...creds },
    isError: false,
  },
  {
    name: "all properly formed with topicName",
    metadata: { topicName: "mytopic", mode: "MessageSizes", value: "7", ...creds },
    isError: false,
  },
  {
    name: "with full link to topic",
    metadata: { topicName: "projects/myproject/topics/mytopic", mode: "MessageSizes", ...creds },
    isError: false,
  },
  {
    name: "with full (bad) link to topic",
    metadata: { topicName: "projects/myproject/mytopic", mode: "MessageSizes", ...creds },
    isError: false,
  },
  {
    name: "both subscriptionName and topicName present",
    metadata: { subscriptionName: "mysubscription", topicName: "mytopic", value: "7", ...creds },
    isError: true,
  },
  { name: "both subscriptionName and topicName missing", metadata: { value: "7", ...creds }, isError: true },
  {
    name: "deprecated subscriptionSize errors",
    metadata: { subscriptionName: "mysubscription", subscriptionSize: "7", ...creds },
    isError: true,
  },
  {
    name: "both subscriptionName and subscriptionNameFromEnv present",
    metadata: {
      subscriptionName: "mysubscription",
      subscriptionNameFromEnv: "MY_ENV_SUBSCRIPTION",
      value: "7",
      ...creds,
    },
    isError: false,
  },
  {
    name: "both topicName and topicNameFromEnv present",
    metadata: { topicName: "mytopic", topicNameFromEnv: "MY_ENV_TOPIC", value: "7", ...creds },
    isError: false,
  },
  {
    name: "subscriptionNameFromEnv present",
    metadata: { subscriptionNameFromEnv: "MY_ENV_SUBSCRIPTION", value: "7", ...creds },
    isError: false,
  },
  {
    name: "topicNameFromEnv present",
    metadata: { topicNameFromEnv: "MY_ENV_TOPIC", value: "7", ...creds },
    isError: false,
  },
];

parseTable("gcp-pubsub", "testPubSubMetadata", testPubSubMetadata, pubSubEnv);

describe("gcp-pubsub: metric names, resource names, defaults, snake case", () => {
  const row = (index: number) => testPubSubMetadata[index] as Row;

  it.each([
    [1, 0, "s0-gcp-ps-mysubscription"],
    [1, 1, "s1-gcp-ps-mysubscription"],
    [16, 0, "s0-gcp-ps-mytopic"],
    [16, 1, "s1-gcp-ps-mytopic"],
  ] as const)("gcpPubSubMetricIdentifiers: row %i at index %i is %s", (rowIndex, triggerIndex, name) => {
    expect(prepare("gcp-pubsub", row(rowIndex), pubSubEnv, triggerIndex).metricSpec?.metricName).toBe(name);
  });

  it.each([
    [11, "mysubscription", "myproject"],
    [12, "projects/myproject/mysubscription", ""],
    [17, "mytopic", "myproject"],
    [18, "projects/myproject/mytopic", ""],
    [24, "myEnvSubscription", ""],
    [25, "myEnvTopic", ""],
  ] as const)("gcpResourceNameTests: row %i reads %s in project %j", (rowIndex, id, projectId) => {
    const params = prepare("gcp-pubsub", row(rowIndex), pubSubEnv).params as {
      subscriptionName?: string;
      topicName?: string;
    };
    expect(pubSubResource(params.subscriptionName ?? params.topicName ?? "")).toEqual({ id, projectId });
  });

  it.each([14, 15])("gcpSubscriptionDefaults: row %i has mode SubscriptionSize and value 10", (rowIndex) => {
    expect(prepare("gcp-pubsub", row(rowIndex), pubSubEnv).params).toMatchObject({
      mode: "SubscriptionSize",
      value: 10,
    });
  });

  it.each([
    ["PullAckRequestCount", "pull_ack_request_count"],
    ["AckLatencies", "ack_latencies"],
    ["AckMessageCount", "ack_message_count"],
    ["BacklogBytes", "backlog_bytes"],
    ["NumOutstandingMessages", "num_outstanding_messages"],
    ["NumUndeliveredMessages", "num_undelivered_messages"],
  ])("TestGcpPubSubSnakeCase: %s is %s", (camel, snake) => {
    expect(snakeCase(camel)).toBe(snake);
  });
});

// ---------------------------------------------------------------------------------------------
// gcp-stackdriver (gcp_stackdriver_scaler_test.go)

const sdFilter = 'metric.type="storage.googleapis.com/storage/object_count" resource.type="gcs_bucket"';
const stackdriverEnv = { SAMPLE_CREDS: "{}" };

interface StackdriverRow extends Row {
  expected?: Record<string, unknown>;
  metricName?: string;
}

const testStackdriverMetadata: StackdriverRow[] = [
  { name: "error case - empty metadata", authParams: {}, metadata: {}, isError: true },
  {
    name: "all properly formed",
    metadata: {
      projectId: "myProject",
      filter: sdFilter,
      targetValue: "7",
      ...creds,
      activationTargetValue: "5",
    },
    isError: false,
    expected: {
      projectId: "myProject",
      filter: sdFilter,
      targetValue: 7,
      activationTargetValue: 5,
      credentials: "{}",
    },
    metricName: "s0-gcp-stackdriver-myProject",
  },
  {
    name: "required fields only with defaults",
    metadata: { projectId: "myProject", filter: sdFilter, ...creds },
    isError: false,
    expected: {
      projectId: "myProject",
      filter: sdFilter,
      targetValue: 5,
      activationTargetValue: 0,
      credentials: "{}",
    },
    metricName: "s0-gcp-stackdriver-myProject",
  },
  {
    name: "with valueIfNull configuration",
    metadata: { projectId: "myProject", filter: sdFilter, ...creds, valueIfNull: "1.5" },
    isError: false,
    expected: { targetValue: 5, activationTargetValue: 0, valueIfNull: 1.5, credentials: "{}" },
    metricName: "s0-gcp-stackdriver-myProject",
  },
  { name: "error case - missing projectId", metadata: { filter: sdFilter, ...creds }, isError: true },
  { name: "error case - missing filter", metadata: { projectId: "myProject", ...creds }, isError: true },
  {
    name: "error case - missing credentials",
    metadata: { projectId: "myProject", filter: sdFilter },
    isError: true,
  },
];

parseTable("gcp-stackdriver", "testStackdriverMetadata", testStackdriverMetadata, stackdriverEnv);

describe("gcp-stackdriver: parsed values and metric names", () => {
  it.each(testStackdriverMetadata.filter((row) => row.expected).map((row) => [row.name, row] as const))(
    "testStackdriverMetadata %s: the values KEDA checks",
    (_name, row) => {
      const prepared = prepare("gcp-stackdriver", row, stackdriverEnv);
      expect(prepared.params).toMatchObject(row.expected as Record<string, unknown>);
      expect(prepared.params).not.toHaveProperty("alignmentPeriodSeconds");
      expect(prepared.metricSpec?.metricName).toBe(row.metricName);
    },
  );

  it.each([
    [0, "s0-gcp-stackdriver-myProject"],
    [1, "s1-gcp-stackdriver-myProject"],
  ])("gcpStackdriverMetricIdentifiers: index %i is %s", (index, name) => {
    const row = { metadata: { projectId: "myProject", filter: sdFilter, ...creds } };
    expect(prepare("gcp-stackdriver", row, stackdriverEnv, index).metricSpec?.metricName).toBe(name);
  });
});

// ---------------------------------------------------------------------------------------------
// gcp-cloudtasks (gcp_cloud_tasks_scaler_test.go)

const cloudTasksEnv = { SAMPLE_CREDS: "{}" };
const testGcpCloudTasksMetadata: StackdriverRow[] = [
  { name: "error case", authParams: {}, metadata: {}, isError: true },
  {
    name: "all properly formed",
    metadata: { queueName: "myQueue", value: "7", ...creds, projectID: "myproject", activationValue: "5" },
    isError: false,
    expected: {
      value: 7,
      activationValue: 5,
      queueName: "myQueue",
      projectID: "myproject",
      credentials: "{}",
    },
  },
  {
    name: "missing subscriptionName",
    metadata: { queueName: "", value: "7", projectID: "myproject", ...creds },
    isError: true,
  },
  {
    name: "missing credentials",
    metadata: { queueName: "myQueue", value: "7", projectID: "myproject", credentialsFromEnv: "" },
    isError: true,
  },
  {
    name: "malformed subscriptionSize",
    metadata: { queueName: "myQueue", value: "AA", projectID: "myproject", ...creds },
    isError: true,
  },
  {
    name: "malformed mode",
    metadata: { queueName: "", mode: "AA", value: "7", projectID: "myproject", ...creds },
    isError: true,
  },
  {
    name: "malformed activationTargetValue",
    metadata: { queueName: "myQueue", value: "7", ...creds, projectID: "myproject", activationValue: "AA" },
    isError: true,
  },
  {
    name: "Credentials from AuthParams",
    authParams: { GoogleApplicationCredentials: "Creds" },
    metadata: { queueName: "myQueue", value: "7", projectID: "myproject" },
    isError: false,
    expected: {
      value: 7,
      activationValue: 0,
      queueName: "myQueue",
      projectID: "myproject",
      GoogleApplicationCredentials: "Creds",
    },
  },
  {
    name: "Credentials from AuthParams with empty creds",
    authParams: { GoogleApplicationCredentials: "" },
    metadata: { queueName: "myQueue", subscriptionSize: "7", projectID: "myproject" },
    isError: true,
  },
  {
    name: "properly formed float value and activationTargetValue",
    metadata: {
      queueName: "mysubscription",
      value: "7.1",
      ...creds,
      activationValue: "2.1",
      projectID: "myproject",
    },
    isError: false,
    expected: { value: 7.1, activationValue: 2.1, queueName: "mysubscription", projectID: "myproject" },
  },
  {
    name: "test default value (100) when value is not provided",
    metadata: { queueName: "myQueue", projectID: "myProject", ...creds },
    isError: false,
    expected: { value: 100, activationValue: 0, queueName: "myQueue", projectID: "myProject" },
  },
  {
    name: "test default value with specified activationVal",
    metadata: { queueName: "myQueue", projectID: "myProject", ...creds, activationValue: "5" },
    isError: false,
    expected: { value: 100, activationValue: 5 },
  },
  {
    name: "test invalid filterDuration with default values",
    metadata: { queueName: "myQueue", projectID: "myProject", ...creds, filterDuration: "invalid" },
    isError: true,
  },
];

parseTable("gcp-cloudtasks", "testGcpCloudTasksMetadata", testGcpCloudTasksMetadata, cloudTasksEnv);

describe("gcp-cloudtasks: parsed values and metric names", () => {
  it.each(testGcpCloudTasksMetadata.filter((row) => row.expected).map((row) => [row.name, row] as const))(
    "testGcpCloudTasksMetadata %s: the values KEDA checks",
    (_name, row) => {
      const prepared = prepare("gcp-cloudtasks", row, cloudTasksEnv);
      expect(prepared.params).toMatchObject(row.expected as Record<string, unknown>);
      expect(prepared.params).not.toHaveProperty("filterDuration");
    },
  );

  it.each([
    [0, "s0-gcp-ct-myQueue"],
    [1, "s1-gcp-ct-myQueue"],
  ])("gcpCloudTasksMetricIdentifiers: index %i is %s", (index, name) => {
    expect(
      prepare("gcp-cloudtasks", testGcpCloudTasksMetadata[1] as Row, cloudTasksEnv, index).metricSpec
        ?.metricName,
    ).toBe(name);
  });
});

// ---------------------------------------------------------------------------------------------
// gcp-storage (gcp_storage_scaler_test.go)

const gcsEnv = { SAMPLE_CREDS: "" };
const EMPTY_VARIABLE = {
  tidalError: true,
  reason:
    "credentialsFromEnv names a variable that is empty: Tidal reports the missing credentials when the trigger is prepared; KEDA accepts the row and fails when it builds the client from an empty key",
};
const testGcsMetadata: Row[] = [
  { name: "empty", authParams: {}, metadata: {}, isError: true },
  {
    name: "all properly formed",
    metadata: {
      bucketName: "test-bucket",
      targetObjectCount: "7",
      maxBucketItemsToScan: "100",
      ...creds,
      activationTargetObjectCount: "5",
      blobPrefix: "blobsubpath",
      blobDelimiter: "/",
    },
    isError: false,
    differs: EMPTY_VARIABLE,
  },
  {
    name: "all properly formed while using defaults",
    metadata: { bucketName: "test-bucket", ...creds },
    isError: false,
    differs: EMPTY_VARIABLE,
  },
  {
    name: "missing bucketName",
    metadata: { bucketName: "", targetObjectCount: "7", ...creds },
    isError: true,
  },
  {
    name: "missing credentials",
    metadata: { bucketName: "test-bucket", targetObjectCount: "7", credentialsFromEnv: "" },
    isError: true,
  },
  {
    name: "malformed targetObjectCount",
    metadata: { bucketName: "test-bucket", targetObjectCount: "AA", ...creds },
    isError: true,
  },
  {
    name: "malformed maxBucketItemsToScan",
    metadata: { bucketName: "test-bucket", targetObjectCount: "7", maxBucketItemsToScan: "AA", ...creds },
    isError: true,
  },
  {
    name: "malformed activationTargetObjectCount",
    metadata: { bucketName: "test-bucket", ...creds, activationTargetObjectCount: "A" },
    isError: true,
  },
  {
    name: "Credentials from AuthParams",
    authParams: { GoogleApplicationCredentials: "Creds" },
    metadata: { bucketName: "test-bucket", targetLength: "7" },
    isError: false,
  },
  {
    name: "Credentials from AuthParams with empty creds",
    authParams: { GoogleApplicationCredentials: "" },
    metadata: { bucketName: "test-bucket", subscriptionSize: "7" },
    isError: true,
  },
];

parseTable("gcp-storage", "testGcsMetadata", testGcsMetadata, gcsEnv);

describe("gcp-storage: metric names", () => {
  it.each([
    [0, "s0-gcp-storage-test-bucket"],
    [1, "s1-gcp-storage-test-bucket"],
  ])("gcpGcsMetricIdentifiers: index %i is %s", (index, name) => {
    // KEDA's row 1 has an empty SAMPLE_CREDS, which Tidal reports (see the table above): its only
    // error is the credentials, and the metric is named from the rest as KEDA names it.
    const prepared = prepare("gcp-storage", testGcsMetadata[1] as Row, gcsEnv, index);
    expect(errorsOf(prepared)).toEqual([expect.stringMatching(/^no Google credentials/)]);
    const metric = prepared.definition?.metric(prepared.params as never, {
      triggerType: "gcp-storage",
      triggerIndex: index,
    });
    expect(metricNameWithIndex(index, metric?.name ?? "")).toBe(name);
    const withKey = prepare(
      "gcp-storage",
      { ...(testGcsMetadata[1] as Row), authParams: { GoogleApplicationCredentials: "Creds" } },
      gcsEnv,
      index,
    );
    expect(withKey.metricSpec?.metricName).toBe(name);
  });
});

// ---------------------------------------------------------------------------------------------
// pkg/scalers/gcp: TestBuildMQLQuery, TestGetActualProjectID, TestGetGCPAuthorization

describe("gcp: TestBuildMQLQuery", () => {
  it.each([
    [
      "topic with aggregation",
      ["topic", "pubsub.googleapis.com/topic/x", "mytopic", "count", 60_000],
      "fetch pubsub_topic | metric 'pubsub.googleapis.com/topic/x' | filter (resource.project_id == 'myproject' && resource.topic_id == 'mytopic')" +
        " | within 1m0s | align delta(3m0s) | every 3m0s | group_by [], count(value)",
      false,
    ],
    [
      "topic without aggregation",
      ["topic", "pubsub.googleapis.com/topic/x", "mytopic", "", 0],
      "fetch pubsub_topic | metric 'pubsub.googleapis.com/topic/x' | filter (resource.project_id == 'myproject' && resource.topic_id == 'mytopic')" +
        " | within 2m0s",
      false,
    ],
    [
      "subscription with aggregation",
      ["subscription", "pubsub.googleapis.com/subscription/x", "mysubscription", "percentile99", 0],
      "fetch pubsub_subscription | metric 'pubsub.googleapis.com/subscription/x' | filter (resource.project_id == 'myproject' && resource.subscription_id == 'mysubscription')" +
        " | within 5m0s | align delta(3m0s) | every 3m0s | group_by [], percentile(value, 99)",
      false,
    ],
    [
      "subscription without aggregation",
      ["subscription", "pubsub.googleapis.com/subscription/x", "mysubscription", "", 4 * 60_000],
      "fetch pubsub_subscription | metric 'pubsub.googleapis.com/subscription/x' | filter (resource.project_id == 'myproject' && resource.subscription_id == 'mysubscription')" +
        " | within 4m0s",
      false,
    ],
    [
      "invalid percentile",
      ["topic", "pubsub.googleapis.com/topic/x", "mytopic", "percentile101", 60_000],
      "invalid percentile value: 101",
      true,
    ],
    [
      "unsupported aggregation function",
      ["topic", "pubsub.googleapis.com/topic/x", "mytopic", "max", 0],
      "unsupported aggregation function: max",
      true,
    ],
  ] as const)("%s", (_name, [resourceType, metric, name, aggregation, horizon], expected, isError) => {
    const build = () => buildMqlQuery("myproject", resourceType, metric, name, aggregation, horizon);
    if (isError) expect(build).toThrow(new Error(expected));
    else expect(build()).toBe(expected);
  });
});

describe("gcp: TestGetActualProjectID", () => {
  it.each([
    ["all projectID present", "myproject0", "myproject1", "myproject2", "myproject0"],
    ["both projectID from metadata and client present", "myproject0", "myproject1", "", "myproject0"],
    [
      "both projectID from metadata and client credentials present",
      "myproject0",
      "",
      "myproject2",
      "myproject0",
    ],
    [
      "both projectID from client and client credentials present",
      "",
      "myproject1",
      "myproject2",
      "myproject1",
    ],
    ["projectID from metadata only", "myproject0", "", "", "myproject0"],
    ["projectID from client only", "", "myproject1", "", "myproject1"],
    ["projectID from client credentials only", "", "", "myproject2", "myproject2"],
  ])("%s", (_name, trigger, client, credentials, expected) => {
    expect(actualProjectId(trigger, client, credentials)).toBe(expected);
  });
});

describe("gcp: TestGetGCPAuthorization", () => {
  const gcp: PodIdentity = { provider: "gcp" };
  it.each([
    ["PodIdentity GCP enables PodIdentityProviderEnabled", gcp, {}, {}, {}, { kind: "workload" }],
    [
      "GoogleApplicationCredentials in AuthParams sets credentials",
      undefined,
      { GoogleApplicationCredentials: '{"type":"service_account"}' },
      {},
      {},
      { kind: "key", json: '{"type":"service_account"}' },
    ],
    [
      "credentialsFromEnv in TriggerMetadata resolves from ResolvedEnv",
      undefined,
      {},
      { credentialsFromEnv: "GCP_CREDS" },
      { GCP_CREDS: '{"type":"service_account","resolved":true}' },
      { kind: "key", json: '{"type":"service_account","resolved":true}' },
    ],
    [
      "credentialsFromEnvFile in TriggerMetadata sets GoogleApplicationCredentialsFile",
      undefined,
      {},
      { credentialsFromEnvFile: "GCP_CREDS_FILE" },
      { GCP_CREDS_FILE: "/var/secrets/gcp/key.json" },
      { kind: "keyFile", path: "/var/secrets/gcp/key.json" },
    ],
    [
      "PodIdentity GCP takes precedence over AuthParams credentials",
      gcp,
      { GoogleApplicationCredentials: '{"type":"service_account"}' },
      {},
      {},
      { kind: "workload" },
    ],
    [
      "AuthParams credentials take precedence over credentialsFromEnv",
      undefined,
      { GoogleApplicationCredentials: '{"source":"authParams"}' },
      { credentialsFromEnv: "GCP_CREDS" },
      { GCP_CREDS: '{"source":"env"}' },
      { kind: "key", json: '{"source":"authParams"}' },
    ],
    [
      "credentialsFromEnv takes precedence over credentialsFromEnvFile",
      undefined,
      {},
      { credentialsFromEnv: "GCP_CREDS", credentialsFromEnvFile: "GCP_CREDS_FILE" },
      { GCP_CREDS: '{"type":"service_account"}', GCP_CREDS_FILE: "/var/secrets/gcp/key.json" },
      { kind: "key", json: '{"type":"service_account"}' },
    ],
    ["no credential source set returns error", undefined, {}, {}, {}, undefined],
  ] as const)("%s", (_name, podIdentity, authParams, metadata, env, expected) => {
    const prepared = prepareScalerTrigger(
      "gcp-storage",
      { bucketName: "b", ...metadata },
      { authParams: { ...authParams }, resolvedEnv: { ...env }, ...(podIdentity ? { podIdentity } : {}) },
    );
    const source = triggerCredentialSource(prepared.params as never, podIdentity);
    if (expected === undefined) {
      expect(source).toBeUndefined();
      expect(errorsOf(prepared)).toEqual([expect.stringMatching(/^no Google credentials/)]);
    } else {
      expect(source).toMatchObject(expected);
      expect(errorsOf(prepared)).toEqual([]);
    }
  });
});

// gcp-spanner: KEDA added it after the pinned release; its tables come from KEDA's main branch
// (test/conformance/keda-main/). Rows built with the test's withoutKey/withOverrides helpers are
// evaluated here from their source text.
describe("KEDA main gcp_spanner_scaler_test.go", () => {
  const file = "../keda-main/gcp_spanner_scaler_test.json";
  const required = stringMap(kedaVar(file, "spannerRequiredFields"));
  const resolvedEnv = stringMap(kedaVar(file, "testSpannerResolvedEnv"));
  const metadataOf = (value: unknown): Record<string, string> => {
    const source = (value as { $unevaluated?: string } | null)?.$unevaluated;
    if (source === undefined) return stringMap(value);
    const without = /^withoutKey\(spannerRequiredFields, "(\w+)"\)$/.exec(source);
    if (without) return Object.fromEntries(Object.entries(required).filter(([key]) => key !== without[1]));
    const overrides = /^withOverrides\(spannerRequiredFields, map\[string\]string\{(.*)\}\)$/s.exec(source);
    if (overrides) {
      const pairs = [...(overrides[1] as string).matchAll(/"(\w+)":\s*"([^"]*)"/g)].map((match) => [
        match[1],
        match[2],
      ]);
      return { ...required, ...Object.fromEntries(pairs) };
    }
    throw new Error(`cannot evaluate ${source}`);
  };
  const metadataTable = kedaTable(file, "testSpannerMetadataCases");
  it.each(metadataTable.rows.map((row, index) => [rowLabel(index, row), row] as const))(
    "%s",
    (_label, row) => {
      const inputs = {
        metadata: metadataOf(row.metadata),
        authParams: stringMap(row.authParams),
        resolvedEnv,
      };
      const prepared = prepareRow("gcp-spanner", inputs);
      expect(vectorErrors(prepared).length > 0, JSON.stringify(vectorErrors(prepared))).toBe(
        Boolean(row.isError),
      );
      if (!row.isError) expect(prepared.metricSpec?.target).toBe(Number(inputs.metadata.targetValue ?? 5));
    },
  );
  const names = kedaTable(file, "spannerMetricNameCases");
  it.each(names.rows.map((row, index) => [rowLabel(index, row), row] as const))("%s", (_label, row) => {
    const prepared = prepareRow("gcp-spanner", {
      metadata: required,
      authParams: { GoogleApplicationCredentials: '{"type":"service_account"}' },
      index: Number(row.triggerIndex),
    });
    expect(prepared.metricSpec?.metricName).toBe(row.wantName);
  });
  it("reads the first column as KEDA's int64; no row is 0", () => {
    expect(spannerValue([[{ value: { value: "42" } }]], "INT64")).toBe(42);
    expect(spannerValue([], "INT64")).toBe(0);
    expect(() => spannerValue([[{ value: "x" }]], "STRING")).toThrow("reading first column as INT64");
    expect(() => spannerValue([[{ value: null }]], "INT64")).toThrow("NULL");
  });
});
