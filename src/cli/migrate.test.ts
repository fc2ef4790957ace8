import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { expectNoStackTrace, runTidal, type CliResult } from "../../test/cli/tidal-cli.ts";
import { rewriteDocuments } from "./migrate.ts";

// Each test spawns `tidal` (a second or more per process on a busy machine): a generous budget, no timing assertions.
vi.setConfig({ testTimeout: 120_000 });

const FIXTURES = "test/fixtures/manifests";
const SEEDS = `${FIXTURES}/seeds`;

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

function documents(stdout: string): Doc[] {
  return parseAllDocuments(stdout).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as Doc;
  });
}

/** Writes the migrated YAML to a temporary file and validates it. */
async function validateOutput(migrated: CliResult): Promise<CliResult> {
  const file = join(mkdtempSync(join(tmpdir(), "tidal-migrate-")), "migrated.yaml");
  writeFileSync(file, migrated.stdout);
  return runTidal(["validate", "-f", file, "-o", "json"]);
}

describe("tidal migrate: the seed articles' KEDA 1.x YAML", () => {
  it("converts the Event Hubs kafka example into keda.sh documents that pass validation", async () => {
    const migrated = await runTidal(["migrate", "-f", `${SEEDS}/kafka-eventhubs-legacy.yaml`]);
    expect(migrated.code).toBe(0);
    const docs = documents(migrated.stdout);
    expect(docs.map((doc) => `${doc.apiVersion} ${doc.kind}/${doc.metadata.name}`)).toEqual([
      "v1 Secret/eventhub-kafka-credentials",
      "keda.sh/v1alpha1 ScaledObject/kafka-scaledobject",
      "apps/v1 Deployment/kafka-consumer",
      "keda.sh/v1alpha1 TriggerAuthentication/eventhub-kafka-triggerauth",
    ]);
    const scaledObject = docs[1]!;
    expect(scaledObject.metadata.labels).toBeUndefined();
    expect(scaledObject.spec).toMatchObject({
      scaleTargetRef: { name: "kafka-consumer" },
      pollingInterval: 15,
      cooldownPeriod: 100,
      maxReplicaCount: 10,
      triggers: [
        {
          type: "kafka",
          metadata: { lagThreshold: "10" },
          authenticationRef: { name: "eventhub-kafka-triggerauth" },
        },
      ],
    });
    // What changed is on stderr, per document, ending with a count.
    expect(migrated.stderr).toContain(
      `${SEEDS}/kafka-eventhubs-legacy.yaml:17:1: ScaledObject/kafka-scaledobject: spec.scaleTargetRef.deploymentName → spec.scaleTargetRef.name`,
    );
    expect(migrated.stderr).toContain(
      `${SEEDS}/kafka-eventhubs-legacy.yaml:17:1: ScaledObject/kafka-scaledobject: metadata.labels.deploymentName is no longer needed and was removed`,
    );
    expect(migrated.stderr).toContain(
      "TriggerAuthentication/eventhub-kafka-triggerauth: spec.secretTargetRef: parameter authMode (kafka, KEDA 1.x) is ignored by KEDA 2.x",
    );
    expect(migrated.stderr.trimEnd().split("\n").at(-1)).toBe("migrated 2 documents");
    const validated = await validateOutput(migrated);
    expect(validated.code).toBe(0);
    // only the article's placeholder password is left to fill in
    expect(JSON.parse(validated.stdout)).toMatchObject([
      {
        kind: "ScaledObject",
        path: "spec.triggers[0].authenticationRef",
        message: "password is still a <placeholder> in the files: fill in the Secret before applying",
        severity: "warning",
      },
    ]);
  });

  it("converts the Service Bus function example into a ScaledObject that passes validation", async () => {
    const migrated = await runTidal(["migrate", "-f", `${SEEDS}/keda-service-bus-function-legacy.yaml`]);
    expect(migrated.code).toBe(0);
    const [scaledObject] = documents(migrated.stdout);
    expect(scaledObject).toEqual({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "keda-service-bus-function" },
      spec: {
        scaleTargetRef: {
          name: "keda-service-bus-function",
          envSourceContainerName: "azure-functions-container",
        },
        pollingInterval: 30,
        maxReplicaCount: 500,
        cooldownPeriod: 300,
        minReplicaCount: 1,
        triggers: [
          {
            type: "azure-servicebus",
            metadata: { queueName: "my-queue", messageCount: "10", connectionFromEnv: "SB_CONN_STRING" },
          },
        ],
      },
    });
    expect(migrated.stderr).toContain(
      `${SEEDS}/keda-service-bus-function-legacy.yaml:4:1: ScaledObject/keda-service-bus-function: spec.triggers[0].metadata.queueLength → spec.triggers[0].metadata.messageCount`,
    );
    expect(migrated.stderr).toContain(
      "spec.triggers[0].metadata.connection named an environment variable in KEDA 1.x → spec.triggers[0].metadata.connectionFromEnv",
    );
    const validated = await validateOutput(migrated);
    expect(JSON.parse(validated.stdout)).toEqual([]);
    expect(validated.code).toBe(0);
  });
});

describe("tidal migrate: every conversion rule", () => {
  it("renames, drops the label, makes a ScaledJob of scaleType job, moves env names to …FromEnv, rabbitmq to protocol http, kafka brokerList to bootstrapServers", async () => {
    const migrated = await runTidal(["migrate", "-f", `${FIXTURES}/legacy/keda-v1.yaml`]);
    expect(migrated.code).toBe(0);
    const [secret, auth, orders, reports] = documents(migrated.stdout);
    expect(secret?.kind).toBe("Secret");
    expect(auth).toEqual({
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: { name: "rabbitmq-auth" },
      spec: { secretTargetRef: [{ parameter: "host", name: "rabbitmq-credentials", key: "api" }] },
    });
    expect(orders).toEqual({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "orders", labels: { team: "payments" } },
      spec: {
        scaleTargetRef: { name: "orders-consumer", envSourceContainerName: "consumer" },
        pollingInterval: 10,
        maxReplicaCount: 20,
        cooldownPeriod: 60,
        minReplicaCount: 1,
        triggers: [
          {
            type: "rabbitmq",
            metadata: { queueName: "orders", queueLength: "50", protocol: "http" },
            authenticationRef: { name: "rabbitmq-auth" },
          },
        ],
      },
    });
    expect(reports?.kind).toBe("ScaledJob");
    expect(reports?.metadata).toEqual({ name: "reports" });
    expect(reports?.spec).not.toHaveProperty("cooldownPeriod");
    expect(reports?.spec).not.toHaveProperty("minReplicaCount");
    expect(reports?.spec).not.toHaveProperty("scaleType");
    expect(reports?.spec).not.toHaveProperty("scaleTargetRef");
    expect(reports?.spec).toMatchObject({
      envSourceContainerName: "report",
      pollingInterval: 30,
      maxReplicaCount: 5,
      jobTargetRef: {
        parallelism: 1,
        template: { spec: { containers: [{ name: "report", image: "example/report:1" }] } },
      },
      triggers: [
        {
          type: "kafka",
          metadata: {
            bootstrapServers: "kafka-0:9092,kafka-1:9092",
            consumerGroup: "reports",
            topic: "report-requests",
            lagThreshold: "10",
          },
        },
        {
          type: "redis",
          metadata: {
            addressFromEnv: "REDIS_ADDRESS",
            passwordFromEnv: "REDIS_PASSWORD",
            listName: "report-retries",
            listLength: "5",
          },
        },
      ],
    });
    expect(migrated.stderr.trimEnd().split("\n").at(-1)).toBe("migrated 3 documents");
    const validated = await validateOutput(migrated);
    expect(JSON.parse(validated.stdout)).toEqual([]);
    expect(validated.code).toBe(0);
  });

  it("rewriteDocuments replaces only the documents asked for, and gives up when --- lines do not delimit them", () => {
    const text = "a: 1\n---\n# two\nb: 2\n---\nc: 3\n";
    expect(rewriteDocuments(text, 3, (doc) => (doc === 2 ? "b: 20\n" : undefined))).toBe(
      "a: 1\n---\n# two\nb: 20\n---\nc: 3\n",
    );
    expect(rewriteDocuments("%YAML 1.2\n---\na: 1\n", 1, () => "x: 1\n")).toBeUndefined();
  });

  it("keeps comments and documents it does not convert byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidal-migrate-"));
    const file = join(dir, "mixed.yaml");
    const config =
      "# settings, untouched\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {ver: 1.10, mask: 0x1F}\n";
    const legacy = [
      "---",
      "# the worker's scaler",
      "apiVersion: keda.k8s.io/v1alpha1",
      "kind: ScaledObject",
      "metadata: {name: w, labels: {deploymentName: w}}",
      "spec:",
      "  scaleTargetRef: {deploymentName: w}",
      "  triggers: [{type: redis, metadata: {address: REDIS_ADDRESS, listName: q}}]",
      "",
    ].join("\n");
    writeFileSync(file, config + legacy);
    const migrated = await runTidal(["migrate", "-f", file]);
    expect(migrated.code).toBe(0);
    expect(
      migrated.stdout.startsWith(`${config}---\n# the worker's scaler\napiVersion: keda.sh/v1alpha1\n`),
    ).toBe(true);
    expect(documents(migrated.stdout)[1]).toMatchObject({
      kind: "ScaledObject",
      spec: { scaleTargetRef: { name: "w" } },
    });
  });

  it("prints keda.sh documents unchanged and says there was nothing to migrate", async () => {
    const migrated = await runTidal(["migrate", "-f", `${SEEDS}/rabbitmq-consumer.yaml`]);
    expect(migrated.code).toBe(0);
    expect(documents(migrated.stdout)).toEqual([
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "rabbitmq-consumer", namespace: "default" },
        spec: {
          scaleTargetRef: { name: "rabbitmq-consumer" },
          pollingInterval: 5,
          cooldownPeriod: 30,
          maxReplicaCount: 30,
          triggers: [
            {
              type: "rabbitmq",
              metadata: { queueName: "hello", queueLength: "5" },
              authenticationRef: { name: "rabbitmq-consumer-trigger" },
            },
          ],
        },
      },
    ]);
    expect(migrated.stderr).toBe("nothing to migrate: no keda.k8s.io/v1alpha1 documents\n");
  });

  it("malformed YAML exits 1 with FILE:LINE:COL; a missing file exits 2; neither prints a stack", async () => {
    const [malformed, missing] = await Promise.all([
      runTidal(["migrate", "-f", `${FIXTURES}/invalid/malformed-yaml.yaml`]),
      runTidal(["migrate", "-f", `${FIXTURES}/no-such-file.yaml`]),
    ]);
    expect(malformed.code).toBe(1);
    expect(malformed.stdout).toBe("");
    expect(malformed.stderr).toMatch(
      new RegExp(`^tidal: ${FIXTURES}/invalid/malformed-yaml\\.yaml:5:1: Flow sequence`),
    );
    expectNoStackTrace(malformed);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tidal: ${FIXTURES}/no-such-file.yaml: cannot read the file\n`);
    expectNoStackTrace(missing);
  });
});
