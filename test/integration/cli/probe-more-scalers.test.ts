/**
 * `tidal probe` reads the scalers of redis-cluster, redis-sentinel, etcd, beanstalkd, nsq and
 * apache-kafka from one manifest against their real servers, with credentials from a Secret; a
 * canary password in that Secret, used by the failing triggers, appears nowhere in the output.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { Cluster } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { expectNoStackTrace, runTidal, type CliResult } from "../../cli/tidal-cli.ts";
import { uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis-cluster", "redis-sentinel", "etcd", "beanstalkd", "nsq", "kafka"));

const CANARY = `canary-${randomBytes(6).toString("hex")}`;

interface ProbeRow {
  trigger: string | number;
  value: number | null;
  error: string | null;
}

describe("tidal probe over the scalers of the newer test servers", () => {
  const cleanup = useCleanup();
  let json: CliResult;
  let table: CliResult;
  const listName = uniqueName("probe-cluster");
  const etcdKey = `/probe/${randomBytes(6).toString("hex")}`;

  beforeAll(async () => {
    const [host = "", port = ""] = (services.redisClusterNodes[0] ?? "").split(":");
    const cluster = new Cluster([{ host, port: Number(port) }]);
    await cluster.rpush(listName, "a", "b");
    cleanup.add(async () => {
      await cluster.del(listName);
      cluster.disconnect();
    });
    const etcd = new Etcd3({
      hosts: services.etcdEndpoint,
      auth: { username: services.etcdUsername, password: services.etcdPassword },
    });
    await etcd.put(etcdKey).value("4");
    cleanup.add(async () => {
      await etcd.delete().key(etcdKey);
      etcd.close();
    });
    const documents = [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "credentials" },
        stringData: {
          sentinel: services.redisSentinelPassword,
          etcdUser: services.etcdUsername,
          etcdPassword: services.etcdPassword,
          canary: CANARY,
        },
      },
      ...[
        ["sentinel", [{ parameter: "sentinelPassword", key: "sentinel" }]],
        [
          "etcd",
          [
            { parameter: "username", key: "etcdUser" },
            { parameter: "password", key: "etcdPassword" },
          ],
        ],
        [
          "etcd-wrong",
          [
            { parameter: "username", key: "etcdUser" },
            { parameter: "password", key: "canary" },
          ],
        ],
      ].map(([name, refs]) => ({
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name },
        spec: {
          secretTargetRef: (refs as { parameter: string; key: string }[]).map((ref) => ({
            ...ref,
            name: "credentials",
          })),
        },
      })),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "probe-more" },
        spec: {
          scaleTargetRef: { name: "probe-more" },
          triggers: [
            {
              type: "redis-cluster",
              name: "cluster",
              metadata: { addresses: services.redisClusterNodes.join(","), listName },
            },
            {
              type: "redis-sentinel",
              name: "sentinel",
              metadata: {
                addresses: services.redisSentinel,
                sentinelMaster: services.redisSentinelMaster,
                listName: uniqueName("probe-empty"),
              },
              authenticationRef: { name: "sentinel" },
            },
            {
              type: "etcd",
              name: "etcd",
              metadata: { endpoints: new URL(services.etcdEndpoint).host, watchKey: etcdKey, value: "2" },
              authenticationRef: { name: "etcd" },
            },
            {
              type: "etcd",
              name: "etcd-wrong",
              metadata: { endpoints: new URL(services.etcdEndpoint).host, watchKey: etcdKey, value: "2" },
              authenticationRef: { name: "etcd-wrong" },
            },
            {
              type: "beanstalkd",
              name: "beanstalkd",
              metadata: { server: services.beanstalkd, tube: uniqueName("probe-tube"), value: "1" },
            },
            {
              type: "nsq",
              name: "nsq",
              metadata: {
                nsqLookupdHTTPAddresses: services.nsqLookupdHttp,
                topic: uniqueName("probe-topic"),
                channel: "c",
              },
            },
            {
              type: "apache-kafka",
              name: "apache-kafka",
              metadata: {
                bootstrapServers: services.kafkaBrokers.join(","),
                consumerGroup: uniqueName("probe-group"),
                topic: uniqueName("probe-missing"),
              },
            },
          ],
        },
      },
    ];
    const manifest = join(mkdtempSync(join(tmpdir(), "tidal-probe-more-")), "probe.yaml");
    writeFileSync(manifest, documents.map((document) => stringify(document)).join("---\n"));
    [table, json] = await Promise.all([
      runTidal(["probe", "-f", manifest]),
      runTidal(["probe", "-f", manifest, "--output", "json"]),
    ]);
  });

  it("reads every trigger, and reports the failing ones with their cause", () => {
    expectNoStackTrace(json);
    expectNoStackTrace(table);
    const rows = new Map((JSON.parse(json.stdout) as ProbeRow[]).map((row) => [String(row.trigger), row]));
    expect(rows.get("cluster")).toMatchObject({ value: 2, error: null });
    expect(rows.get("sentinel")).toMatchObject({ value: 0, error: null });
    expect(rows.get("etcd")).toMatchObject({ value: 4, error: null });
    expect(rows.get("etcd-wrong")?.error).toMatch(/authentication failed, invalid user ID or password/);
    expect(rows.get("beanstalkd")).toMatchObject({ value: 0, error: null });
    expect(rows.get("nsq")).toMatchObject({ value: 0, error: null });
    expect(rows.get("apache-kafka")?.error).toMatch(/topic "tidal-probe-missing-[^"]+" does not exist/);
  });

  it("never shows the canary", () => {
    for (const output of [json.stdout, json.stderr, table.stdout, table.stderr]) {
      expect(output).not.toContain(CANARY);
    }
  });
});
