/**
 * `tidal probe` reads pulsar, temporal, loki, elasticsearch, opensearch, elastic-forecast and
 * influxdb triggers from one manifest: against Pulsar, Temporal, OpenSearch and InfluxDB, fake-loki
 * and fake-elasticsearch (in this process, over loopback), with credentials from a Secret. Each
 * scaler also has a trigger given a canary credential, which the servers refuse; the canary
 * appears nowhere in the output.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Connection } from "@temporalio/client";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { expectNoStackTrace, runTidal, type CliResult } from "../../cli/tidal-cli.ts";
import { FakeElasticsearch } from "../../support/fakes/fake-elasticsearch.ts";
import { FakeLoki } from "../../support/fakes/fake-loki.ts";
import { useCleanup } from "../../support/isolation.ts";
import { jobsIndex } from "../../support/opensearch.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("pulsar", "temporal", "opensearch", "influxdb"));

const CANARY = `canary-${randomBytes(6).toString("hex")}`;
const suffix = `${process.pid}-${randomBytes(3).toString("hex")}`;

interface ProbeRow {
  trigger: string | number;
  value: number | null;
  error: string | null;
}

describe("tidal probe over pulsar, temporal, loki, elasticsearch, opensearch, elastic-forecast, influxdb", () => {
  const cleanup = useCleanup();
  let json: CliResult;
  let table: CliResult;

  beforeAll(async () => {
    // Pulsar: a topic with 2 messages waiting for subscription workers.
    const topic = `probe-${suffix}`;
    const pulsar = (path: string, init: RequestInit) =>
      fetch(new URL(path, services.pulsarAdminUrl), {
        ...init,
        headers: { Authorization: `Bearer ${services.pulsarToken}`, "Content-Type": "application/json" },
      });
    await pulsar(`/admin/v2/persistent/public/default/${topic}/subscription/workers`, { method: "PUT" });
    await pulsar(`/topics/persistent/public/default/${topic}`, {
      method: "POST",
      body: JSON.stringify({ messages: [{ payload: "YQ==" }, { payload: "Yg==" }] }),
    });
    cleanup.add(() =>
      pulsar(`/admin/v2/persistent/public/default/${topic}?force=true`, { method: "DELETE" }),
    );
    // Temporal: one workflow waiting on a task queue no worker polls.
    const taskQueue = `probe-${suffix}`;
    const connection = await Connection.connect({ address: services.temporalEndpoint });
    const handle = await new Client({ connection }).workflow.start("ProcessOrder", {
      taskQueue,
      workflowId: `probe-${suffix}`,
    });
    cleanup.add(async () => {
      await handle.terminate("test over").catch(() => undefined);
      await connection.close();
    });
    // OpenSearch: 3 pending jobs, searched directly and through fake-elasticsearch.
    const index = await jobsIndex(cleanup, 3);
    const elastic = await FakeElasticsearch.start(services.opensearchUrl);
    elastic.addJob("probe-requests", { bucketSpanMs: 60_000, predict: () => 5 });
    cleanup.add(() => elastic.close());
    // Loki: 2 errors.
    const loki = await FakeLoki.start({ auth: { bearer: "loki-reader-token" } });
    loki.push({ app: "worker" }, ["error", "error"]);
    cleanup.add(() => loki.close());
    // InfluxDB: a database with one point.
    const database = `probe_${suffix.replace("-", "_")}`;
    const influx = (path: string, body: string, type: string) =>
      fetch(new URL(path, services.influxdbUrl), {
        method: "POST",
        headers: {
          Authorization: `Basic ${Buffer.from(services.influxdbToken).toString("base64")}`,
          "Content-Type": type,
        },
        body,
      });
    const form = "application/x-www-form-urlencoded";
    await influx("/query", `q=${encodeURIComponent(`CREATE DATABASE ${database}`)}`, form);
    cleanup.add(() => influx("/query", `q=${encodeURIComponent(`DROP DATABASE ${database}`)}`, form));
    await influx(`/write?db=${database}`, `queue depth=6`, "text/plain");

    const search = JSON.stringify({ query: { term: { status: "pending" } } });
    const pulsarMetadata = {
      adminURL: services.pulsarAdminUrl,
      topic: `persistent://public/default/${topic}`,
      subscription: "workers",
      authModes: "basic",
    };
    const lokiMetadata = {
      serverAddress: loki.url,
      query: 'sum(count_over_time({app="worker"} [5m]))',
      threshold: "1",
      authModes: "bearer",
    };
    const influxMetadata = {
      serverURL: services.influxdbUrl,
      organizationName: "probe",
      query: `from(bucket: "${database}/autogen") |> range(start: -1h) |> last()`,
      thresholdValue: "1",
    };
    const searchMetadata = { index, query: search, valueLocation: "hits.total.value", targetValue: "1" };
    const triggers = [
      ["pulsar", pulsarMetadata, "basic"],
      ["temporal", { endpoint: services.temporalEndpoint, taskQueue, queueTypes: "workflow" }, undefined],
      ["loki", lokiMetadata, "loki"],
      ["elasticsearch", { addresses: elastic.url, ...searchMetadata }, "basic"],
      ["opensearch", { addresses: services.opensearchUrl, ...searchMetadata }, "basic"],
      ["elastic-forecast", { addresses: elastic.url, jobID: "probe-requests", targetValue: "1" }, "basic"],
      ["influxdb", influxMetadata, "influx"],
    ] as const;
    const wrong: Record<string, string> = {
      pulsar: "basic-wrong",
      temporal: "temporal-wrong",
      loki: "loki-wrong",
      elasticsearch: "basic-wrong",
      opensearch: "basic-wrong",
      "elastic-forecast": "basic-wrong",
      influxdb: "influx-wrong",
    };
    const authentication = (name: string, refs: [string, string][]) => ({
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: { name },
      spec: { secretTargetRef: refs.map(([parameter, key]) => ({ parameter, key, name: "credentials" })) },
    });
    const documents = [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "credentials" },
        stringData: {
          username: services.opensearchUsername,
          password: services.opensearchPassword,
          lokiToken: "loki-reader-token",
          influxToken: services.influxdbToken,
          canary: CANARY,
          influxCanary: `tidal:${CANARY}`,
        },
      },
      authentication("basic", [
        ["username", "username"],
        ["password", "password"],
      ]),
      authentication("basic-wrong", [
        ["username", "username"],
        ["password", "canary"],
      ]),
      authentication("loki", [["bearerToken", "lokiToken"]]),
      authentication("loki-wrong", [["bearerToken", "canary"]]),
      authentication("influx", [["authToken", "influxToken"]]),
      authentication("influx-wrong", [["authToken", "influxCanary"]]),
      authentication("temporal-wrong", [["apiKey", "canary"]]),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "probe-search-and-queues" },
        spec: {
          scaleTargetRef: { name: "worker" },
          triggers: triggers.flatMap(([type, metadata, auth]) => [
            { type, name: type, metadata, ...(auth ? { authenticationRef: { name: auth } } : {}) },
            { type, name: `${type}-wrong`, metadata, authenticationRef: { name: wrong[type] } },
          ]),
        },
      },
    ];
    const manifest = join(mkdtempSync(join(tmpdir(), "tidal-probe-search-")), "probe.yaml");
    writeFileSync(manifest, documents.map((document) => stringify(document)).join("---\n"));
    [table, json] = await Promise.all([
      runTidal(["probe", "-f", manifest]),
      runTidal(["probe", "-f", manifest, "--output", "json"]),
    ]);
  });

  it("reads every trigger, and reports the refused credentials", () => {
    expectNoStackTrace(json);
    expectNoStackTrace(table);
    const rows = new Map((JSON.parse(json.stdout) as ProbeRow[]).map((row) => [String(row.trigger), row]));
    expect(rows.get("pulsar")).toMatchObject({ value: 2, error: null });
    expect(rows.get("temporal")).toMatchObject({ error: null });
    expect(rows.get("loki")).toMatchObject({ value: 2, error: null });
    expect(rows.get("elasticsearch")).toMatchObject({ value: 3, error: null });
    expect(rows.get("opensearch")).toMatchObject({ value: 3, error: null });
    expect(rows.get("elastic-forecast")).toMatchObject({ error: null });
    expect(rows.get("influxdb")).toMatchObject({ value: 6, error: null });
    expect(rows.get("pulsar-wrong")?.error).toMatch(/401 Unauthorized/);
    expect(rows.get("temporal-wrong")?.error).toBeTruthy();
    expect(rows.get("loki-wrong")?.error).toBe("loki query api returned error. status: 401");
    expect(rows.get("elasticsearch-wrong")?.error).toMatch(/HTTP 401/);
    expect(rows.get("opensearch-wrong")?.error).toMatch(/HTTP 401/);
    expect(rows.get("influxdb-wrong")?.error).toMatch(/authorization failed/);
  });

  it("never shows the canary", () => {
    for (const output of [json.stdout, json.stderr, table.stdout, table.stderr]) {
      expect(output).not.toContain(CANARY);
    }
  });
});
