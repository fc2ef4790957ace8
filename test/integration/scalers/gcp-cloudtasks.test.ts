import { describe, expect, it } from "vitest";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useGcpFakes } from "../../support/fakes/gcp-environment.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Cloud Tasks' queue depth comes from Cloud Monitoring, which has no local server: the real client
// library, through Tidal's gcp-cloudtasks scaler, against fake-gcp-monitoring and
// fake-gcp-metadata (loopback fakes of the documented REST and metadata APIs).
const gcp = useGcpFakes();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "gcp-cloudtasks", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

function queue(cleanup: Cleanup, project: string, depth: number) {
  const id = uniqueName("ct-queue");
  const entry = {
    project,
    metricType: "cloudtasks.googleapis.com/queue/depth",
    resourceType: "cloud_tasks_queue",
    resourceLabels: { queue_id: id, target_type: "http" },
    points: [{ int64: depth }],
  };
  gcp.monitoring.series.push(entry);
  cleanup.add(() => gcp.monitoring.series.splice(gcp.monitoring.series.indexOf(entry), 1));
  return { id, entry };
}

describe("gcp-cloudtasks scaler (fake-gcp-monitoring)", () => {
  const cleanup = useCleanup();

  it("reads the queue depth with KEDA's filter, activation at activationValue", async () => {
    const { id, entry } = queue(cleanup, "ct-project", 20);
    const trigger = measurer(cleanup, {
      metadata: { queueName: id, projectID: "ct-project", value: "10", activationValue: "20" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: `s0-gcp-ct-${id}`, value: 20, active: false });
    expect(JSON.stringify(sample)).not.toContain(gcp.account.privateKey.split("\n")[1]);
    entry.points = [{ int64: 21 }];
    expect(await trigger.measure()).toMatchObject({ value: 21, active: true });
    const request = gcp.monitoring.requests.find((one) => one.query.get("filter")?.includes(id));
    expect(request?.path).toBe("/v3/projects/ct-project/timeSeries");
    expect(request?.query.get("filter")).toBe(
      `metric.type="cloudtasks.googleapis.com/queue/depth" AND resource.labels.queue_id="${id}" AND resource.labels.project_id="ct-project"`,
    );
  });

  it("reads with the workload's identity (podIdentity gcp)", async () => {
    const { id } = queue(cleanup, "ct-project", 3);
    const trigger = measurer(cleanup, {
      metadata: { queueName: id, projectID: "ct-project", filterDuration: "10" },
      podIdentity: { provider: "gcp" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 3, active: true });
    const request = gcp.monitoring.requests.find((one) => one.query.get("filter")?.includes(id));
    expect(request?.principal?.kind).toBe("workload");
    const start = Date.parse(request?.query.get("interval.startTime") ?? "");
    const end = Date.parse(request?.query.get("interval.endTime") ?? "");
    expect(end - start).toBe(600_000);
  });

  it("fails for a queue with no data (KEDA has no valueIfNull here)", async () => {
    const missing = uniqueName("ct-missing");
    const trigger = measurer(cleanup, {
      metadata: { queueName: missing, projectID: "ct-project" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect((await trigger.measure()).error).toBe(
      `could not find stackdriver metric with filter metric.type="cloudtasks.googleapis.com/queue/depth" AND ` +
        `resource.labels.queue_id="${missing}" AND resource.labels.project_id="ct-project"`,
    );
  });

  it("reports a key Google rejects and an unreachable endpoint, without key material", async () => {
    const { id } = queue(cleanup, "ct-project", 1);
    const stranger = measurer(cleanup, {
      metadata: { queueName: id, projectID: "ct-project" },
      authParams: { GoogleApplicationCredentials: gcp.stranger.keyJson },
    });
    const rejected = await stranger.measure();
    expect(rejected.error).toMatch(/^Cloud Monitoring list time series: Google rejected the credentials/);
    expect(JSON.stringify(rejected)).not.toContain(gcp.stranger.privateKey.split("\n")[1]);

    const saved = process.env[GCP_ENDPOINT_VARIABLES.monitoring];
    const port = await closedPort();
    process.env[GCP_ENDPOINT_VARIABLES.monitoring] = `http://127.0.0.1:${port}`;
    cleanup.add(() => {
      process.env[GCP_ENDPOINT_VARIABLES.monitoring] = saved;
    });
    const unreachable = measurer(cleanup, {
      metadata: { queueName: id, projectID: "ct-project" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect((await unreachable.measure()).error).toBe(
      `Cloud Monitoring list time series: cannot reach http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });
});
