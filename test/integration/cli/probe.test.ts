/**
 * `tidal probe` against the real servers: one manifest mixes working and failing triggers across
 * every server-backed scaler the registry has (redis, postgresql, mysql, rabbitmq, prometheus,
 * nats-jetstream), with credentials from a Secret through TriggerAuthentications in the same file.
 * A canary password sits in the Secret for the triggers that fail: it must appear nowhere in the
 * output of probe (table and JSON, stdout and stderr) or validate.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as amqpConnect } from "amqplib";
import { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { findScaler } from "../../../src/scalers/registry.ts";
import { expectNoStackTrace, runTidal, type CliResult } from "../../cli/tidal-cli.ts";
import { closedPort } from "../../support/closed-port.ts";
import { rabbitmqQueue, redisKeyPrefix, uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("mariadb", "nats", "postgres", "prometheus", "rabbitmq", "redis"));

const CANARY = `canary-Xq7-secret-${randomBytes(6).toString("hex")}`;

interface ProbeRow {
  scaledObject: string;
  trigger: string | number;
  type: string;
  metricName: string | null;
  value: number | null;
  target: number | null;
  active: boolean | null;
  error: string | null;
  latencyMs: number | null;
}

const postgres = new URL(services.postgresUrl);
const mysql = new URL(services.mysqlUrl);
const rabbitmq = new URL(services.rabbitmqUrl);
const redisUrl = new URL(services.redisUrl);

/** A MySQL DSN as KEDA's mysql scaler reads it: user:password@tcp(host:port)/database. */
function mysqlDsn(password: string): string {
  return `${decodeURIComponent(mysql.username)}:${password}@tcp(${mysql.hostname}:${mysql.port || 3306})${mysql.pathname}`;
}

function amqpUrl(password: string): string {
  const url = new URL(services.rabbitmqUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}

const secretRef = (parameter: string, key: string) => ({ parameter, name: "probe-credentials", key });
const auth = (name: string, ...refs: ReturnType<typeof secretRef>[]) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "TriggerAuthentication",
  metadata: { name },
  spec: { secretTargetRef: refs },
});

describe("tidal probe against real servers", () => {
  const cleanup = useCleanup();
  let manifest: string;
  let listKey: string;
  let queue: string;
  let table: CliResult;
  let json: CliResult;
  let rows: ProbeRow[];

  beforeAll(async () => {
    for (const type of ["redis", "postgresql", "mysql", "rabbitmq", "prometheus", "nats-jetstream"]) {
      expect(findScaler(type), `${type} is registered`).toBeDefined();
    }
    listKey = `${redisKeyPrefix(cleanup, "probe-cli")}jobs`;
    const redis = new Redis(services.redisUrl);
    await redis.rpush(listKey, "a", "b", "c");
    redis.disconnect();
    queue = await rabbitmqQueue(cleanup, "probe-cli");
    const connection = await amqpConnect(services.rabbitmqUrl);
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue(queue, Buffer.from("1"));
    channel.sendToQueue(queue, Buffer.from("2"));
    await channel.waitForConfirms();
    await connection.close();
    const closed = await closedPort();

    const pgMetadata = {
      host: postgres.hostname,
      port: postgres.port || "5432",
      userName: decodeURIComponent(postgres.username),
      dbName: postgres.pathname.slice(1),
      sslmode: "disable",
      targetQueryValue: "5",
    };
    const documents = [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "probe-credentials" },
        stringData: {
          postgresPassword: decodeURIComponent(postgres.password),
          canary: CANARY,
          mysqlDsn: mysqlDsn(decodeURIComponent(mysql.password)),
          mysqlDsnCanary: mysqlDsn(CANARY),
          amqpUrl: amqpUrl(decodeURIComponent(rabbitmq.password)),
          amqpUrlCanary: amqpUrl(CANARY),
        },
      },
      auth("postgres", secretRef("password", "postgresPassword")),
      auth("postgres-canary", secretRef("password", "canary")),
      auth("mysql", secretRef("connectionString", "mysqlDsn")),
      auth("mysql-canary", secretRef("connectionString", "mysqlDsnCanary")),
      auth("rabbitmq", secretRef("host", "amqpUrl")),
      auth("rabbitmq-canary", secretRef("host", "amqpUrlCanary")),
      auth("redis-canary", secretRef("password", "canary")),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "probe-mix" },
        spec: {
          scaleTargetRef: { name: "probe-mix" },
          triggers: [
            // Working triggers.
            {
              type: "redis",
              name: "redis-ok",
              metadata: {
                address: `${redisUrl.hostname}:${redisUrl.port || 6379}`,
                listName: listKey,
                listLength: "2",
              },
            },
            {
              type: "postgresql",
              name: "postgres-ok",
              metadata: { ...pgMetadata, query: "SELECT 7" },
              authenticationRef: { name: "postgres" },
            },
            {
              type: "mysql",
              name: "mysql-ok",
              metadata: { query: "SELECT 4", queryValue: "2" },
              authenticationRef: { name: "mysql" },
            },
            {
              type: "rabbitmq",
              name: "rabbitmq-ok",
              metadata: { queueName: queue, mode: "QueueLength", value: "1" },
              authenticationRef: { name: "rabbitmq" },
            },
            // Unnamed: reported by its index, 4.
            {
              type: "prometheus",
              metadata: { serverAddress: services.prometheusUrl, query: "vector(5)", threshold: "10" },
            },
            // Failing triggers: wrong credentials (the canary), unreachable host, missing queue and
            // stream, a query with no rows or text, a malformed URL, a URL with credentials.
            {
              type: "postgresql",
              name: "postgres-wrong-password",
              metadata: { ...pgMetadata, query: "SELECT 7" },
              authenticationRef: { name: "postgres-canary" },
            },
            {
              type: "mysql",
              name: "mysql-wrong-password",
              metadata: { query: "SELECT 4", queryValue: "2" },
              authenticationRef: { name: "mysql-canary" },
            },
            {
              type: "rabbitmq",
              name: "rabbitmq-wrong-password",
              metadata: { queueName: queue, mode: "QueueLength", value: "1" },
              authenticationRef: { name: "rabbitmq-canary" },
            },
            {
              type: "redis",
              name: "redis-unreachable",
              metadata: { address: `127.0.0.1:${closed}`, listName: "jobs" },
              authenticationRef: { name: "redis-canary" },
            },
            {
              type: "rabbitmq",
              name: "rabbitmq-missing-queue",
              metadata: { queueName: uniqueName("probe-cli-missing"), mode: "QueueLength", value: "1" },
              authenticationRef: { name: "rabbitmq" },
            },
            {
              type: "nats-jetstream",
              name: "nats-missing-stream",
              metadata: {
                natsServerMonitoringEndpoint: services.natsMonitoring,
                account: "$G",
                stream: uniqueName("missing"),
                consumer: "worker",
                lagThreshold: "5",
              },
            },
            {
              type: "postgresql",
              name: "postgres-no-rows",
              metadata: { ...pgMetadata, query: "SELECT 1 WHERE false" },
              authenticationRef: { name: "postgres" },
            },
            {
              type: "postgresql",
              name: "postgres-text",
              metadata: { ...pgMetadata, query: "SELECT 'many'" },
              authenticationRef: { name: "postgres" },
            },
            {
              type: "prometheus",
              name: "prometheus-malformed-url",
              metadata: { serverAddress: "not a url", query: "up", threshold: "1" },
            },
            {
              type: "prometheus",
              name: "prometheus-url-credentials",
              metadata: {
                serverAddress: `http://tidal:${CANARY}@127.0.0.1:${closed}`,
                query: "up",
                threshold: "1",
              },
            },
          ],
        },
      },
    ];
    manifest = join(mkdtempSync(join(tmpdir(), "tidal-probe-")), "probe.yaml");
    writeFileSync(manifest, documents.map((document) => stringify(document)).join("---\n"));
    [table, json] = await Promise.all([
      runTidal(["probe", "-f", manifest]),
      runTidal(["probe", "-f", manifest, "--output", "json"]),
    ]);
    rows = JSON.parse(json.stdout) as ProbeRow[];
  });

  const row = (trigger: string | number) => {
    const found = rows.find((candidate) => candidate.trigger === trigger);
    expect(found, `a row for trigger ${trigger}`).toBeDefined();
    return found as ProbeRow;
  };

  it("exits 1 because some triggers failed, prints one JSON row per trigger with the documented keys, no stack trace", () => {
    expect(json.code).toBe(1);
    expect(table.code).toBe(1);
    expectNoStackTrace(json);
    expectNoStackTrace(table);
    expect(rows).toHaveLength(15);
    for (const candidate of rows) {
      expect(Object.keys(candidate)).toEqual([
        "scaledObject",
        "trigger",
        "type",
        "metricName",
        "value",
        "target",
        "active",
        "error",
        "latencyMs",
      ]);
      expect(candidate.scaledObject).toBe("probe-mix");
    }
  });

  it("measures the working triggers, whatever fails beside them", () => {
    expect(row("redis-ok")).toMatchObject({
      type: "redis",
      metricName: `s0-redis-${listKey.replace(/[/.:%()]/g, "-")}`,
      value: 3,
      target: 2,
      active: true,
      error: null,
    });
    expect(row("postgres-ok")).toMatchObject({
      type: "postgresql",
      metricName: "s1-postgresql",
      value: 7,
      target: 5,
      active: true,
      error: null,
    });
    expect(row("mysql-ok")).toMatchObject({ type: "mysql", value: 4, target: 2, active: true, error: null });
    expect(row("rabbitmq-ok")).toMatchObject({
      type: "rabbitmq",
      metricName: `s3-rabbitmq-${queue}`,
      value: 2,
      target: 1,
      active: true,
      error: null,
    });
    expect(row(4)).toMatchObject({
      type: "prometheus",
      metricName: "s4-prometheus",
      value: 5,
      target: 10,
      active: true,
      error: null,
    });
    for (const trigger of ["redis-ok", "postgres-ok", "mysql-ok", "rabbitmq-ok", 4]) {
      expect(typeof row(trigger).latencyMs, String(trigger)).toBe("number");
      expect(row(trigger).latencyMs, String(trigger)).toBeGreaterThanOrEqual(0);
    }
  });

  it("gives each failing trigger its own error naming the cause", () => {
    const failures: Record<string, RegExp> = {
      "postgres-wrong-password": /password authentication failed for user/,
      "mysql-wrong-password": /Access denied for user/,
      "rabbitmq-wrong-password": /ACCESS.REFUSED/,
      "redis-unreachable": new RegExp(`127\\.0\\.0\\.1:\\d+.*ECONNREFUSED|ECONNREFUSED.*127\\.0\\.0\\.1`),
      "rabbitmq-missing-queue": /cannot read queue "tidal-probe-cli-missing-[^"]+": .*404/,
      "nats-missing-stream": /stream "tidal-missing-[^"]+" not found/,
      "postgres-no-rows": /no rows/,
      "postgres-text": /"many".*not a number/,
      "prometheus-malformed-url": /serverAddress.*not a URL/,
      "prometheus-url-credentials": /ECONNREFUSED|cannot reach/,
    };
    for (const [trigger, cause] of Object.entries(failures)) {
      const failed = row(trigger);
      expect(failed.error, trigger).toMatch(cause);
      expect(failed.value, trigger).toBeNull();
      expect(failed.active, trigger).toBeNull();
    }
    // A trigger whose parameters are wrong is never connected: no metric, no latency.
    expect(row("prometheus-malformed-url")).toMatchObject({ metricName: null, latencyMs: null });
  });

  it("shows every trigger as a row of the table, errors included", () => {
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^OBJECT\s+TRIGGER\s+TYPE\s+METRIC\s+VALUE\s+TARGET\s+ACTIVE\s+LATENCY\s+ERROR$/,
    );
    expect(lines).toHaveLength(16);
    expect(lines.find((line) => /\sredis-ok\s/.test(line))).toMatch(
      /ScaledObject\/probe-mix\s+redis-ok\s+redis\s+s0-redis-\S+\s+3\s+2\s+yes\s+\d+ ms$/,
    );
    expect(lines.find((line) => /\spostgres-no-rows\s/.test(line))).toMatch(/query returned no rows$/);
  });

  it("never shows the canary password: not in the table, the JSON, stderr, or validate's output", async () => {
    const [validateText, validateJson] = await Promise.all([
      runTidal(["validate", "-f", manifest]),
      runTidal(["validate", "-f", manifest, "-o", "json"]),
    ]);
    // validate reports the malformed URL, so it does look at these triggers.
    expect(validateJson.stdout).toContain("spec.triggers[13].metadata.serverAddress");
    for (const [label, output] of Object.entries({
      "probe table stdout": table.stdout,
      "probe table stderr": table.stderr,
      "probe json stdout": json.stdout,
      "probe json stderr": json.stderr,
      "validate stdout": validateText.stdout,
      "validate stderr": validateText.stderr,
      "validate json": validateJson.stdout,
    })) {
      expect(output, label).not.toContain(CANARY);
      expect(output, label).not.toContain(encodeURIComponent(CANARY));
    }
  });
});
