import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import amqp from "amqplib";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import mysql from "mysql2/promise";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkaTopic, mariadbDatabase, rabbitmqQueue, uniqueName, useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { services, useServices } from "../support/services.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";

beforeAll(() => useServices("kafka", "mariadb", "rabbitmq"));

const base64 = (text: string) => Buffer.from(text).toString("base64");

function workload(kind: "Deployment" | "StatefulSet", name: string, replicas: number) {
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: { name },
    spec: {
      replicas,
      ...(kind === "StatefulSet" ? { serviceName: name } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: name, image: `example.invalid/${name}` }] },
      },
    },
  };
}

/**
 * The seed articles' KEDA examples, each against a real server: a StatefulSet scaled on a MariaDB
 * query (keda.sh, `kind: statefulset` as the article writes it), a RabbitMQ queue (keda.sh), and a
 * Kafka consumer group over SASL_SSL (KEDA 1.x, run through `tidal migrate` first). Names that
 * would collide between runs (queue, topic, database) are made unique; everything else is as written.
 */
describe("the seed articles' examples on the operator", () => {
  const cleanup = useCleanup();
  let operator: TidalOperator;
  let namespace = "";

  beforeAll(async () => {
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-seeds"));
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
  });

  const apply = (documents: unknown[]) =>
    kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      documents.map((document) => JSON.stringify(document)).join("\n"),
    );
  const replicasOf = async (kind: string, name: string) =>
    (await kubectlJson<{ spec: { replicas: number } }>(["-n", namespace, "get", kind, name])).spec.replicas;
  const ready = (name: string) =>
    eventually(`ScaledObject ${name} Ready=True`, async () => {
      const object = await kubectlJson<{
        status?: { conditions?: { type: string; status: string; message?: string }[] };
      }>(["-n", namespace, "get", "scaledobject", name]);
      return object.status?.conditions?.some(
        (condition) => condition.type === "Ready" && condition.status === "True",
      );
    });

  it("scales a StatefulSet on a MariaDB query (connectionString from a Secret)", async () => {
    const database = await mariadbDatabase(cleanup, "seed");
    const connection = await mysql.createConnection({ uri: database.url });
    await connection.query("CREATE TABLE test (id INT PRIMARY KEY AUTO_INCREMENT)");
    await apply([
      workload("StatefulSet", "mysql", 1),
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "mysql-secrets" },
        type: "Opaque",
        data: { mysql_conn_str: base64(`tidal:tidal@tcp(127.0.0.1:3306)/${database.name}`) },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "keda-trigger-auth-mysql-secret" },
        spec: {
          secretTargetRef: [{ parameter: "connectionString", name: "mysql-secrets", key: "mysql_conn_str" }],
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "mysql-scaledobject" },
        spec: {
          scaleTargetRef: { kind: "statefulset", name: "mysql" },
          pollingInterval: 1,
          triggers: [
            {
              type: "mysql",
              metadata: { queryValue: "4", query: "SELECT COUNT(*) FROM test;" },
              authenticationRef: { name: "keda-trigger-auth-mysql-secret" },
            },
          ],
        },
      },
    ]);
    await ready("mysql-scaledobject");
    await eventually(
      "the idle StatefulSet scaled to 0",
      async () => (await replicasOf("statefulset", "mysql")) === 0,
      { timeoutMs: 30_000 },
    );
    await connection.query("INSERT INTO test () VALUES " + Array.from({ length: 10 }, () => "()").join(","));
    await connection.end();
    // ceil(10 rows / queryValue 4) = 3
    await eventually("3 replicas", async () => (await replicasOf("statefulset", "mysql")) === 3, {
      timeoutMs: 90_000,
    });
    const status = await kubectlJson<{ status: { scaleTargetKind: string } }>([
      "-n",
      namespace,
      "get",
      "scaledobject",
      "mysql-scaledobject",
    ]);
    expect(status.status.scaleTargetKind).toBe("apps/v1.StatefulSet");
  });

  it("scales a Deployment on a RabbitMQ queue (host from a TriggerAuthentication)", async () => {
    const queue = await rabbitmqQueue(cleanup, "hello");
    await apply([
      workload("Deployment", "rabbitmq-consumer", 0),
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "rabbitmq-consumer-secret" },
        data: { RabbitMqHost: base64(services.rabbitmqUrl) },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "rabbitmq-consumer-trigger" },
        spec: {
          secretTargetRef: [{ parameter: "host", name: "rabbitmq-consumer-secret", key: "RabbitMqHost" }],
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "rabbitmq-consumer" },
        spec: {
          scaleTargetRef: { name: "rabbitmq-consumer" },
          pollingInterval: 1,
          cooldownPeriod: 30,
          maxReplicaCount: 30,
          triggers: [
            {
              type: "rabbitmq",
              metadata: { queueName: queue, queueLength: "5" },
              authenticationRef: { name: "rabbitmq-consumer-trigger" },
            },
          ],
        },
      },
    ]);
    await ready("rabbitmq-consumer");
    const connection = await amqp.connect(services.rabbitmqUrl);
    const channel = await connection.createChannel();
    for (let index = 0; index < 12; index += 1) channel.sendToQueue(queue, Buffer.from(`hello ${index}`));
    await channel.close();
    await connection.close();
    // ceil(12 messages / queueLength 5) = 3
    await eventually("3 replicas", async () => (await replicasOf("deployment", "rabbitmq-consumer")) === 3, {
      timeoutMs: 90_000,
    });
  });

  it("scales a Kafka consumer over SASL_SSL from the KEDA 1.x example after tidal migrate", async () => {
    const topic = await kafkaTopic(cleanup, "orders", 3);
    const group = uniqueName("consumers");
    const admin = new Admin({ clientId: "tidal-e2e", bootstrapBrokers: services.kafkaBrokers });
    const producer = new Producer({
      clientId: "tidal-e2e",
      bootstrapBrokers: services.kafkaBrokers,
      serializers: stringSerializers,
      idempotent: true,
    });
    cleanup.add(async () => {
      await producer.close();
      await admin.deleteGroups({ groups: [group] }).catch(() => undefined);
      await admin.close();
    });
    const legacy = readFileSync(
      new URL("../fixtures/manifests/kafka-eventhubs-v1.yaml", import.meta.url),
      "utf8",
    )
      .replaceAll("<TOPIC>", topic)
      .replaceAll("<GROUP>", group)
      .replaceAll("<BROKERS>", services.kafkaSaslSslBrokers.join(","))
      .replaceAll("<USERNAME_BASE64>", base64(services.kafkaUsername))
      .replaceAll("<PASSWORD_BASE64>", base64(services.kafkaPassword))
      .replaceAll("<CA_BASE64>", base64(readFileSync(services.kafkaCaFile, "utf8")));
    const { stdout } = await runWithInput(["bin/tidal.js", "migrate", "-f", "-"], legacy);
    const documents = parseAllDocuments(stdout).map(
      (document) => document.toJS() as { apiVersion: string; kind: string },
    );
    expect(documents.map((document) => `${document.apiVersion} ${document.kind}`)).toEqual([
      "v1 Secret",
      "keda.sh/v1alpha1 ScaledObject",
      "apps/v1 Deployment",
      "keda.sh/v1alpha1 TriggerAuthentication",
    ]);
    expect(stdout).not.toContain("deploymentName");
    await apply(documents);
    await ready("kafka-scaledobject");
    await producer.send({
      messages: [0, 1, 2].flatMap((partition) =>
        Array.from({ length: 10 }, (_, index) => ({ topic, partition, value: `order ${index}` })),
      ),
    });
    await admin.alterConsumerGroupOffsets({
      groupId: group,
      topics: [{ name: topic, partitionOffsets: [0, 1, 2].map((partition) => ({ partition, offset: 0n })) }],
    });
    // Lag 30 over lagThreshold 10 → 3 replicas, which is also the partition count.
    await eventually("3 replicas", async () => (await replicasOf("deployment", "kafka-consumer")) === 3, {
      timeoutMs: 90_000,
    });
  });
});

function runWithInput(args: string[], input: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${args.join(" ")}: ${stderr || error.message}`));
      else resolve({ stdout, stderr });
    });
    child.stdin?.end(input);
  });
}
