import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { KEY_PROJECT, useGcpFakes, WORKLOAD_PROJECT } from "../../support/fakes/gcp-environment.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Cloud Monitoring has no local server: these tests drive the real client library, through Tidal's
// gcp-stackdriver scaler, against fake-gcp-monitoring and fake-gcp-metadata (loopback fakes of the
// documented REST and metadata APIs).
const gcp = useGcpFakes();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "gcp-stackdriver", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

/** A time series of its own (a unique bucket label) in `project`, and the filter that selects it. */
function series(cleanup: Cleanup, project: string, points: (number | { int64: number })[]) {
  const bucket = uniqueName("sd-bucket");
  const entry = {
    project,
    metricType: "storage.googleapis.com/storage/object_count",
    resourceType: "gcs_bucket",
    resourceLabels: { bucket_name: bucket },
    points,
  };
  gcp.monitoring.series.push(entry);
  cleanup.add(() => gcp.monitoring.series.splice(gcp.monitoring.series.indexOf(entry), 1));
  return {
    entry,
    filter: `metric.type="storage.googleapis.com/storage/object_count" resource.type="gcs_bucket" resource.labels.bucket_name="${bucket}"`,
  };
}

function requestsWith(filter: string) {
  return gcp.monitoring.requests.filter((request) => request.query.get("filter")?.startsWith(filter));
}

/** The sample as the CLI would print it, checked for any piece of the key. */
function expectNoKeyMaterial(output: unknown) {
  const text = JSON.stringify(output);
  for (const account of [gcp.account, gcp.stranger]) {
    expect(text).not.toContain(account.privateKey.split("\n")[1]);
    expect(text).not.toContain(account.keyId);
    expect(text).not.toContain(JSON.stringify(account.keyJson).slice(1, 40));
  }
}

describe("gcp-stackdriver scaler (fake-gcp-monitoring)", () => {
  const cleanup = useCleanup();

  it("reads the first point of the first series with a service-account key, activation at the threshold", async () => {
    const { entry, filter } = series(cleanup, "sd-project", [7]);
    const trigger = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter, targetValue: "5", activationTargetValue: "7" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: "s0-gcp-stackdriver-sd-project", value: 7, active: false });
    expectNoKeyMaterial(sample);
    entry.points = [8, 2];
    expect(await trigger.measure()).toMatchObject({ value: 8, active: true });

    const [request] = requestsWith(filter);
    expect(request?.path).toBe("/v3/projects/sd-project/timeSeries");
    expect(request?.query.get("filter")).toBe(`${filter} AND resource.labels.project_id="sd-project"`);
    const start = Date.parse(request?.query.get("interval.startTime") ?? "");
    const end = Date.parse(request?.query.get("interval.endTime") ?? "");
    expect(end - start).toBe(120_000);
    expect(request?.query.has("aggregation.alignmentPeriod")).toBe(false);
    expect(request?.principal).toEqual({ kind: "serviceAccount", email: gcp.account.email });
  });

  it("sends KEDA's aggregation and filterDuration, and reads int64 points", async () => {
    const { filter } = series(cleanup, "sd-project", [{ int64: 42 }]);
    const trigger = measurer(cleanup, {
      metadata: {
        projectId: "sd-project",
        filter,
        filterDuration: "5",
        alignmentPeriodSeconds: "120",
        alignmentAligner: "MEAN",
        alignmentReducer: "sum",
      },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await trigger.measure()).toMatchObject({ value: 42, active: true });
    const [request] = requestsWith(filter);
    const start = Date.parse(request?.query.get("interval.startTime") ?? "");
    const end = Date.parse(request?.query.get("interval.endTime") ?? "");
    expect(end - start).toBe(300_000);
    expect(request?.query.get("aggregation.alignmentPeriod")).toBe("120s");
    // The REST transport sends enums as numbers: ALIGN_MEAN is 12, REDUCE_SUM is 4.
    expect(request?.query.get("aggregation.perSeriesAligner")).toBe("12");
    expect(request?.query.get("aggregation.crossSeriesReducer")).toBe("4");
  });

  it("fails when no series matches, unless valueIfNull is set", async () => {
    const filter = `metric.type="custom.googleapis.com/${uniqueName("none")}"`;
    const trigger = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `could not find stackdriver metric with filter ${filter} AND resource.labels.project_id="sd-project"`,
    );
    const withDefault = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter, valueIfNull: "1.5", activationTargetValue: "1" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await withDefault.measure()).toMatchObject({ value: 1.5, active: true });
  });

  it("takes the key from credentialsFromEnv and from the file credentialsFromEnvFile names", async () => {
    const { filter } = series(cleanup, "sd-project", [3]);
    const fromEnv = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter, credentialsFromEnv: "GCP_KEY" },
      resolvedEnv: { GCP_KEY: gcp.account.keyJson },
    });
    expect(await fromEnv.measure()).toMatchObject({ value: 3 });

    const folder = mkdtempSync(join(tmpdir(), "tidal-gcp-"));
    cleanup.add(() => rmSync(folder, { recursive: true, force: true }));
    const keyFile = join(folder, "key.json");
    writeFileSync(keyFile, gcp.account.keyJson);
    const fromFile = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter, credentialsFromEnvFile: "GCP_KEY_FILE" },
      resolvedEnv: { GCP_KEY_FILE: keyFile },
    });
    expect(await fromFile.measure()).toMatchObject({ value: 3 });
    const missingFile = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter, credentialsFromEnvFile: "GCP_KEY_FILE" },
      resolvedEnv: { GCP_KEY_FILE: join(folder, "absent.json") },
    });
    // A value that came from the environment is never quoted; the parameter names where it came from.
    expect((await missingFile.measure()).error).toBe(
      "cannot read the key file *** (credentialsFromEnvFile): no such file",
    );
  });

  it("uses the workload's identity from the metadata server with podIdentity provider gcp", async () => {
    const { filter } = series(cleanup, "sd-project", [11]);
    const tokensBefore = gcp.metadata.tokens.length;
    const trigger = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter },
      podIdentity: { provider: "gcp" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 11, active: true });
    expect(gcp.metadata.tokens.length).toBeGreaterThan(tokensBefore);
    expect(requestsWith(filter)[0]?.principal).toEqual({
      kind: "workload",
      token: gcp.metadata.tokens.at(-1),
    });
  });

  it("reads the workload's project from the metadata server when the query needs it", async () => {
    // gcp-stackdriver always names its project; the shared client falls back on the workload's
    // project only when the trigger gives none, which the pubsub tests cover. Here: it is not asked.
    const { filter } = series(cleanup, WORKLOAD_PROJECT, [4]);
    const trigger = measurer(cleanup, {
      metadata: { projectId: WORKLOAD_PROJECT, filter },
      podIdentity: { provider: "gcp" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 4 });
  });

  it("reports a key that is not JSON without quoting it", async () => {
    const notJson = `not-json-${gcp.account.privateKey.slice(40, 80)}`;
    const trigger = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter: 'metric.type="x"' },
      authParams: { GoogleApplicationCredentials: notJson },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "GoogleApplicationCredentials is not JSON: give the contents of a service-account key file",
    );
    expect(JSON.stringify(sample)).not.toContain(notJson.slice(9));
  });

  it("reports a key Google does not accept as rejected credentials, with no key material", async () => {
    const { filter } = series(cleanup, KEY_PROJECT, [1]);
    const trigger = measurer(cleanup, {
      metadata: { projectId: KEY_PROJECT, filter },
      authParams: { GoogleApplicationCredentials: gcp.stranger.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^Cloud Monitoring list time series: Google rejected the credentials \(UNAUTHENTICATED: .*\); check the service-account key or the workload identity$/,
    );
    expectNoKeyMaterial(sample);
  });

  it("reports an unreachable endpoint", async () => {
    const saved = process.env[GCP_ENDPOINT_VARIABLES.monitoring];
    const port = await closedPort();
    process.env[GCP_ENDPOINT_VARIABLES.monitoring] = `http://127.0.0.1:${port}`;
    cleanup.add(() => {
      process.env[GCP_ENDPOINT_VARIABLES.monitoring] = saved;
    });
    const trigger = measurer(cleanup, {
      metadata: { projectId: "sd-project", filter: 'metric.type="x"' },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
      timeoutMs: 2000,
    });
    const sample = await trigger.measure();
    expect(sample.error).toContain(
      `Cloud Monitoring list time series: cannot reach http://127.0.0.1:${port}`,
    );
    expectNoKeyMaterial(sample);
  });
});
