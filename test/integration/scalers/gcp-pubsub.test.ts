import { describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import type { FakePointValue } from "../../support/fakes/fake-gcp-monitoring.ts";
import { KEY_PROJECT, useGcpFakes, WORKLOAD_PROJECT } from "../../support/fakes/gcp-environment.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Pub/Sub's backlog comes from Cloud Monitoring (an MQL query, as in KEDA), which has no local
// server: the real client library, through Tidal's gcp-pubsub scaler, against fake-gcp-monitoring
// and fake-gcp-metadata (loopback fakes of the documented REST and metadata APIs).
const gcp = useGcpFakes();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "gcp-pubsub", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

/** A Pub/Sub metric series of a new subscription (or topic) in `project`; returns its id. */
function pubsubSeries(
  cleanup: Cleanup,
  options: { project: string; kind?: "subscription" | "topic"; metric: string; points: FakePointValue[] },
) {
  const kind = options.kind ?? "subscription";
  const id = uniqueName(`ps-${kind}`);
  const entry = {
    project: options.project,
    metricType: `pubsub.googleapis.com/${kind}/${options.metric}`,
    resourceType: `pubsub_${kind}`,
    resourceLabels: { [`${kind}_id`]: id },
    points: options.points,
  };
  gcp.monitoring.series.push(entry);
  cleanup.add(() => gcp.monitoring.series.splice(gcp.monitoring.series.indexOf(entry), 1));
  return { id, entry };
}

function queriesFor(id: string) {
  return gcp.monitoring.requests.filter((request) => String(request.body?.query ?? "").includes(`'${id}'`));
}

function expectNoKeyMaterial(output: unknown) {
  const text = JSON.stringify(output);
  for (const account of [gcp.account, gcp.stranger]) {
    expect(text).not.toContain(account.privateKey.split("\n")[1]);
    expect(text).not.toContain(account.keyId);
  }
}

describe("gcp-pubsub scaler (fake-gcp-monitoring)", () => {
  const cleanup = useCleanup();

  it("reads num_undelivered_messages in the key's project, activation at activationValue", async () => {
    const { id, entry } = pubsubSeries(cleanup, {
      project: KEY_PROJECT,
      metric: "num_undelivered_messages",
      points: [{ int64: 5 }],
    });
    const trigger = measurer(cleanup, {
      metadata: { subscriptionName: id, value: "3", activationValue: "5" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: `s0-gcp-ps-${id}`, value: 5, active: false });
    expectNoKeyMaterial(sample);
    entry.points = [{ int64: 6 }];
    expect(await trigger.measure()).toMatchObject({ value: 6, active: true });

    const [request] = queriesFor(id);
    expect(request?.path).toBe(`/v3/projects/${KEY_PROJECT}/timeSeries:query`);
    // The REST transport puts the request's name in the path and the rest in the body.
    expect(request?.body).toEqual({
      query:
        `fetch pubsub_subscription | metric 'pubsub.googleapis.com/subscription/num_undelivered_messages' | ` +
        `filter (resource.project_id == '${KEY_PROJECT}' && resource.subscription_id == '${id}') | within 2m0s`,
      pageSize: 1,
    });
    expect(request?.principal).toEqual({ kind: "serviceAccount", email: gcp.account.email });
  });

  it("reads another mode of a subscription named with its project, over timeHorizon", async () => {
    const { id } = pubsubSeries(cleanup, {
      project: "other-project",
      metric: "oldest_unacked_message_age",
      points: [{ int64: 95 }],
    });
    const trigger = measurer(cleanup, {
      metadata: {
        subscriptionName: `projects/other-project/subscriptions/${id}`,
        mode: "OldestUnackedMessageAge",
        value: "60",
        timeHorizon: "4m",
      },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-gcp-ps-projects-other-project-subscriptions-${id}`,
      value: 95,
      active: true,
    });
    expect(queriesFor(id)[0]?.body?.query).toBe(
      `fetch pubsub_subscription | metric 'pubsub.googleapis.com/subscription/oldest_unacked_message_age' | ` +
        `filter (resource.project_id == 'other-project' && resource.subscription_id == '${id}') | within 4m0s`,
    );
  });

  it("aggregates a topic's metric when asked, over KEDA's 5-minute horizon", async () => {
    const { id } = pubsubSeries(cleanup, {
      project: KEY_PROJECT,
      kind: "topic",
      metric: "message_sizes",
      points: [120, 80, 40],
    });
    const trigger = measurer(cleanup, {
      metadata: { topicName: id, mode: "MessageSizes", aggregation: "count" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await trigger.measure()).toMatchObject({ metricName: `s0-gcp-ps-${id}`, value: 3 });
    expect(queriesFor(id)[0]?.body?.query).toBe(
      `fetch pubsub_topic | metric 'pubsub.googleapis.com/topic/message_sizes' | ` +
        `filter (resource.project_id == '${KEY_PROJECT}' && resource.topic_id == '${id}') | within 5m0s` +
        ` | align delta(3m0s) | every 3m0s | group_by [], count(value)`,
    );
  });

  it("with podIdentity gcp, authenticates as the workload and takes its project from the metadata server", async () => {
    const { id } = pubsubSeries(cleanup, {
      project: WORKLOAD_PROJECT,
      metric: "num_undelivered_messages",
      points: [{ int64: 12 }],
    });
    const trigger = measurer(cleanup, {
      metadata: { subscriptionName: id },
      podIdentity: { provider: "gcp" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 12, active: true });
    expect(gcp.metadata.requests).toContain("/computeMetadata/v1/project/project-id");
    expect(queriesFor(id)[0]?.principal?.kind).toBe("workload");
  });

  it("with podIdentity gcp, takes the project from CLOUDSDK_CORE_PROJECT when it is set", async () => {
    const { id } = pubsubSeries(cleanup, {
      project: "hook-project",
      metric: "num_undelivered_messages",
      points: [{ int64: 2 }],
    });
    process.env.CLOUDSDK_CORE_PROJECT = "hook-project";
    cleanup.add(() => delete process.env.CLOUDSDK_CORE_PROJECT);
    const trigger = measurer(cleanup, {
      metadata: { subscriptionName: id },
      podIdentity: { provider: "gcp" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("fails for a subscription with no data, unless valueIfNull is set", async () => {
    const missing = uniqueName("ps-missing");
    const trigger = measurer(cleanup, {
      metadata: { subscriptionName: missing },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect((await trigger.measure()).error).toBe(
      `could not find stackdriver metric with query fetch pubsub_subscription | metric ` +
        `'pubsub.googleapis.com/subscription/num_undelivered_messages' | filter (resource.project_id == ` +
        `'${KEY_PROJECT}' && resource.subscription_id == '${missing}') | within 2m0s`,
    );
    const withDefault = measurer(cleanup, {
      metadata: { subscriptionName: missing, valueIfNull: "0" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await withDefault.measure()).toMatchObject({ value: 0, active: false });
  });

  it("reports KEDA's query errors: an unsupported aggregation, an invalid name", async () => {
    const auth = { GoogleApplicationCredentials: gcp.account.keyJson };
    const aggregation = measurer(cleanup, {
      metadata: { subscriptionName: "orders", aggregation: "max" },
      authParams: auth,
    });
    expect((await aggregation.measure()).error).toBe("unsupported aggregation function: max");
    const name = measurer(cleanup, { metadata: { subscriptionName: "projects/p/orders" }, authParams: auth });
    expect((await name.measure()).error).toBe('invalid Pub/Sub resource name "projects/p/orders"');
  });

  it("reports credentials that are not a service-account key, and a key Google rejects, without key material", async () => {
    const empty = measurer(cleanup, {
      metadata: { subscriptionName: "orders", credentialsFromEnv: "SAMPLE_CREDS" },
      resolvedEnv: { SAMPLE_CREDS: "{}" },
    });
    expect((await empty.measure()).error).toBe(
      'the variable credentialsFromEnv names is not a service-account key (its type is missing; it must be "service_account")',
    );
    const { id } = pubsubSeries(cleanup, {
      project: KEY_PROJECT,
      metric: "num_undelivered_messages",
      points: [{ int64: 1 }],
    });
    const stranger = measurer(cleanup, {
      metadata: { subscriptionName: id },
      authParams: { GoogleApplicationCredentials: gcp.stranger.keyJson },
    });
    const sample = await stranger.measure();
    expect(sample.error).toMatch(
      /^Cloud Monitoring query time series: Google rejected the credentials \(UNAUTHENTICATED/,
    );
    expectNoKeyMaterial(sample);
  });

  it("shares one client between triggers with the same credentials", async () => {
    const { id } = pubsubSeries(cleanup, {
      project: KEY_PROJECT,
      metric: "num_undelivered_messages",
      points: [{ int64: 4 }],
    });
    const { ConnectionPool } = await import("../../../src/scalers/connection-pool.ts");
    const pool = new ConnectionPool();
    const auth = { GoogleApplicationCredentials: gcp.account.keyJson };
    const first = measurer(cleanup, { metadata: { subscriptionName: id }, authParams: auth, pool });
    const second = measurer(cleanup, {
      metadata: { subscriptionName: id, value: "2" },
      authParams: auth,
      pool,
      index: 1,
    });
    expect(await first.measure()).toMatchObject({ value: 4 });
    expect(await second.measure()).toMatchObject({ metricName: `s1-gcp-ps-${id}`, value: 4 });
    expect(pool.size).toBe(1);
  });
});
