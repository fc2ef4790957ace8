/**
 * `tidal probe` and `tidal validate` over Google Cloud triggers: gcp-pubsub, gcp-stackdriver and
 * gcp-cloudtasks against fake-gcp-monitoring, gcp-storage against fake-gcs-server, credentials from
 * a Secret, from the workload's identity (fake-gcp-metadata) and from Secret Manager
 * (fake-gcp-secret-manager), as a user runs the command. No piece of a service-account key may
 * appear in any output, and validate must not contact Secret Manager.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import { expectNoStackTrace, runTidal, type CliResult } from "../../cli/tidal-cli.ts";
import { KEY_PROJECT, useGcpFakes, WORKLOAD_PROJECT } from "../../support/fakes/gcp-environment.ts";
import { uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("fake-gcs"));
const gcp = useGcpFakes(() => ({ [GCP_ENDPOINT_VARIABLES.storage]: services.gcsEndpoint }));

interface ProbeRow {
  trigger: string | number;
  type: string;
  metricName: string | null;
  value: number | null;
  active: boolean | null;
  error: string | null;
}

const taWith = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "TriggerAuthentication",
  metadata: { name },
  spec,
});
const fromSecret = (key: string) => ({
  secretTargetRef: [{ parameter: "GoogleApplicationCredentials", name: "gcp-sa", key }],
});

describe("tidal probe and validate with Google Cloud triggers", () => {
  const cleanup = useCleanup();
  const subscription = uniqueName("probe-sub");
  const queue = uniqueName("probe-queue");
  const bucket = uniqueName("probe-bucket");
  let manifest: string;
  let json: CliResult;
  let table: CliResult;
  let validate: CliResult;
  let rows: ProbeRow[];
  let storeRequestsBeforeValidate: number;
  let storeRequestsAfterValidate: number;

  beforeAll(async () => {
    gcp.monitoring.series.push(
      {
        project: KEY_PROJECT,
        metricType: "pubsub.googleapis.com/subscription/num_undelivered_messages",
        resourceType: "pubsub_subscription",
        resourceLabels: { subscription_id: subscription },
        points: [{ int64: 9 }],
      },
      {
        project: WORKLOAD_PROJECT,
        metricType: "custom.googleapis.com/probe/backlog",
        resourceType: "global",
        points: [2.5],
      },
      {
        project: "ct-project",
        metricType: "cloudtasks.googleapis.com/queue/depth",
        resourceType: "cloud_tasks_queue",
        resourceLabels: { queue_id: queue },
        points: [{ int64: 40 }],
      },
    );
    gcp.secretManager.addVersion(KEY_PROJECT, "scaler-key", { data: gcp.account.keyJson });
    const gcs = services.gcsEndpoint;
    await fetch(`${gcs}/storage/v1/b?project=tidal-test`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: bucket }),
    });
    for (const name of ["a", "b"]) {
      await fetch(`${gcs}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${name}`, {
        method: "POST",
        body: "x",
      });
    }
    cleanup.add(async () => {
      for (const name of ["a", "b"])
        await fetch(`${gcs}/storage/v1/b/${bucket}/o/${name}`, { method: "DELETE" });
      await fetch(`${gcs}/storage/v1/b/${bucket}`, { method: "DELETE" });
    });

    const documents = [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "gcp-sa" },
        stringData: { "key.json": gcp.account.keyJson, "stranger.json": gcp.stranger.keyJson },
      },
      taWith("gcp-key", fromSecret("key.json")),
      taWith("gcp-stranger", fromSecret("stranger.json")),
      taWith("gcp-workload", { podIdentity: { provider: "gcp" } }),
      taWith("gcp-store", {
        gcpSecretManager: {
          secrets: [{ parameter: "GoogleApplicationCredentials", id: "scaler-key" }],
          credentials: { clientSecret: { valueFrom: { secretKeyRef: { name: "gcp-sa", key: "key.json" } } } },
        },
      }),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "gcp-mix" },
        spec: {
          scaleTargetRef: { name: "gcp-mix" },
          triggers: [
            {
              type: "gcp-pubsub",
              name: "pubsub-key",
              metadata: { subscriptionName: subscription, value: "5" },
              authenticationRef: { name: "gcp-key" },
            },
            {
              type: "gcp-stackdriver",
              name: "stackdriver-workload",
              metadata: {
                projectId: WORKLOAD_PROJECT,
                filter: 'metric.type="custom.googleapis.com/probe/backlog"',
                targetValue: "2",
              },
              authenticationRef: { name: "gcp-workload" },
            },
            {
              type: "gcp-cloudtasks",
              name: "cloudtasks-store",
              metadata: { queueName: queue, projectID: "ct-project", value: "10" },
              authenticationRef: { name: "gcp-store" },
            },
            {
              type: "gcp-storage",
              name: "storage-key",
              metadata: { bucketName: bucket, targetObjectCount: "1" },
              authenticationRef: { name: "gcp-key" },
            },
            {
              type: "gcp-pubsub",
              name: "pubsub-missing",
              metadata: { subscriptionName: uniqueName("probe-missing") },
              authenticationRef: { name: "gcp-key" },
            },
            {
              type: "gcp-stackdriver",
              name: "stackdriver-stranger",
              metadata: { projectId: KEY_PROJECT, filter: 'metric.type="x"' },
              authenticationRef: { name: "gcp-stranger" },
            },
          ],
        },
      },
    ];
    const folder = mkdtempSync(join(tmpdir(), "tidal-probe-gcp-"));
    cleanup.add(() => rmSync(folder, { recursive: true, force: true }));
    manifest = join(folder, "gcp.yaml");
    writeFileSync(manifest, documents.map((document) => stringify(document)).join("---\n"));
    [json, table] = await Promise.all([
      runTidal(["probe", "-f", manifest, "--output", "json"]),
      runTidal(["probe", "-f", manifest]),
    ]);
    rows = JSON.parse(json.stdout) as ProbeRow[];
    storeRequestsBeforeValidate = gcp.secretManager.requests.length;
    validate = await runTidal(["validate", "-f", manifest]);
    storeRequestsAfterValidate = gcp.secretManager.requests.length;
  });

  const row = (trigger: string) => rows.find((candidate) => candidate.trigger === trigger);

  it("measures each working trigger with its own credentials", () => {
    expect(row("pubsub-key")).toMatchObject({
      metricName: `s0-gcp-ps-${subscription}`,
      value: 9,
      active: true,
      error: null,
    });
    expect(row("stackdriver-workload")).toMatchObject({
      metricName: `s1-gcp-stackdriver-${WORKLOAD_PROJECT}`,
      value: 2.5,
      error: null,
    });
    expect(row("cloudtasks-store")).toMatchObject({
      metricName: `s2-gcp-ct-${queue}`,
      value: 40,
      error: null,
    });
    expect(row("storage-key")).toMatchObject({
      metricName: `s3-gcp-storage-${bucket}`,
      value: 2,
      error: null,
    });
  });

  it("gives each failing trigger its own error", () => {
    expect(row("pubsub-missing")?.error).toMatch(
      /^could not find stackdriver metric with query fetch pubsub_subscription/,
    );
    expect(row("stackdriver-stranger")?.error).toMatch(/Google rejected the credentials \(UNAUTHENTICATED/);
    expect(json.code).toBe(1);
    expect(table.code).toBe(1);
    expectNoStackTrace(json);
    expectNoStackTrace(table);
  });

  it("never prints any piece of a service-account key", () => {
    for (const result of [json, table, validate]) {
      const output = result.stdout + result.stderr;
      for (const account of [gcp.account, gcp.stranger]) {
        for (const line of account.privateKey.split("\n").filter((text) => text.length > 20)) {
          expect(output).not.toContain(line);
        }
        expect(output).not.toContain(account.keyId);
      }
    }
  });

  it("validates the files without contacting Secret Manager", () => {
    expect(validate.stderr + validate.stdout).not.toMatch(/gcpSecretManager|podIdentity/);
    expect(validate.code).toBe(0);
    expect(storeRequestsAfterValidate).toBe(storeRequestsBeforeValidate);
  });
});
