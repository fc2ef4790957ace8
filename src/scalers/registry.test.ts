import { describe, expect, it } from "vitest";
import { metricNameWithIndex } from "./metric-name.ts";
import { knownMetadataKeys } from "./params.ts";
import { prepareScalerTrigger } from "../../test/support/prepare-trigger.ts";
import { allScalers, findScaler, supportedTriggerTypes } from "./registry.ts";

/**
 * A minimal valid trigger for every registered scaler type. The contract test below runs over
 * EVERY registered scaler: a new scaler fails it until it gets an entry here.
 */
const MINIMAL: Record<string, { metadata: Record<string, string>; authParams?: Record<string, string> }> = {
  cron: {
    metadata: { timezone: "Asia/Kolkata", start: "0 6 * * *", end: "0 20 * * *", desiredReplicas: "10" },
  },
  external: { metadata: { scalerAddress: "external-scaler:9090" } },
  "external-push": { metadata: { scalerAddress: "external-scaler:9090" } },
  kafka: { metadata: { bootstrapServers: "kafka:9092", consumerGroup: "workers", topic: "a.b" } },
  "metrics-api": {
    metadata: { url: "http://api:8080/stats", valueLocation: "components.worker.tasks", targetValue: "5" },
  },
  mqtt: { metadata: { brokerUrl: "mqtt://broker:1883", topic: "tidal/backlog", value: "5" } },
  mysql: {
    metadata: {
      host: "mysql",
      port: "3306",
      dbName: "stats_db",
      username: "tidal",
      query: "SELECT COUNT(*) FROM jobs",
      queryValue: "4",
    },
    authParams: { password: "pw-123" },
  },
  "nats-jetstream": {
    metadata: {
      natsServerMonitoringEndpoint: "nats:8222",
      account: "$G",
      stream: "orders",
      consumer: "worker",
    },
  },
  postgresql: {
    metadata: {
      host: "pg",
      port: "5432",
      userName: "tidal",
      dbName: "tidal",
      sslmode: "disable",
      query: "SELECT 1",
      targetQueryValue: "5",
    },
    authParams: { password: "pw-123" },
  },
  prometheus: { metadata: { serverAddress: "http://prometheus:9090", query: "sum(up)", threshold: "3" } },
  rabbitmq: {
    metadata: { host: "amqp://rabbitmq:5672/", queueName: "orders/eu 1", mode: "QueueLength", value: "5" },
  },
  redis: { metadata: { address: "redis:6379", listName: "jobs" } },
  "redis-streams": {
    metadata: {
      address: "redis:6379",
      stream: "events",
      consumerGroup: "workers",
      pendingEntriesCount: "10",
    },
  },
};

/** KEDA's metric name prefixes that are not the trigger type (KEDA reference §5). */
const METRIC_PREFIX: Record<string, string> = { "metrics-api": "metric-api-" };

/** Metric names KEDA documents for these inputs (KEDA reference §2.4, §5.1, §5.8, §5.9). */
const DOCUMENTED_NAMES: Record<string, string> = {
  cron: "cron-Asia-Kolkata-06xxx-020xxx",
  kafka: "kafka-a-b",
  "metrics-api": "metric-api-components-worker-tasks",
  mysql: "mysql-stats_db",
  postgresql: "postgresql",
  prometheus: "prometheus",
  rabbitmq: "rabbitmq-orders-2Feu+1",
  redis: "redis-jobs",
  "redis-streams": "redis-streams-events",
  "nats-jetstream": "nats-jetstream-orders",
};

function prepare(
  type: string,
  index: number,
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
) {
  return prepareScalerTrigger(type, metadata, { index, authParams });
}

/** A plausible typo of a key that is not itself a known key: a letter dropped, else one added. */
function typo(key: string, known: ReadonlySet<string>): string {
  const candidates = [`${key.slice(0, -2)}${key.slice(-1)}`, `${key}x`];
  return candidates.find((candidate) => candidate !== key && !known.has(candidate)) as string;
}

describe("registry", () => {
  it("lists the definitions sorted by type", () => {
    const types = allScalers().map((definition) => definition.type);
    expect(types).toEqual([...types].sort());
    expect(types.length).toBeGreaterThan(0);
  });

  it("has unique types and aliases, each found by findScaler", () => {
    const all = allScalers().flatMap((definition) => [definition.type, ...(definition.aliases ?? [])]);
    expect(new Set(all).size).toBe(all.length);
    expect(supportedTriggerTypes()).toEqual([...all].sort());
    for (const definition of allScalers()) {
      for (const type of [definition.type, ...(definition.aliases ?? [])])
        expect(findScaler(type)).toBe(definition);
    }
    expect(findScaler("azure-servicebus")).toBeUndefined();
  });

  it("every definition has a description and every parameter a description", () => {
    for (const definition of allScalers()) {
      expect(definition.description.trim(), definition.type).not.toBe("");
      for (const [name, declaration] of Object.entries(definition.params)) {
        expect(declaration.description.trim(), `${definition.type}.${name}`).not.toBe("");
        if (declaration.kind === "enum")
          expect(declaration.values?.length, `${definition.type}.${name} values`).toBeGreaterThan(0);
        if (declaration.default !== undefined && declaration.kind === "enum") {
          expect(declaration.values, `${definition.type}.${name} default`).toContain(declaration.default);
        }
      }
    }
  });
});

// cpu and memory are HPA Resource metrics, not external metrics: src/scalers/resource/resource.test.ts.
describe.each(
  allScalers()
    .filter((definition) => !definition.resourceMetric)
    .map((definition) => [definition.type, definition] as const),
)("scaler contract: %s", (type, definition) => {
  const example = MINIMAL[type];

  it("has a minimal example in this test (add one to MINIMAL when registering a scaler)", () => {
    expect(
      example,
      `add a minimal valid trigger for "${type}" to MINIMAL in src/scalers/registry.test.ts`,
    ).toBeDefined();
  });

  it("accepts its minimal metadata and names its metric after its type (or KEDA's prefix), with s<i>- in front", () => {
    if (!example) return;
    const prepared = prepare(type, 3, example.metadata, example.authParams);
    expect(prepared.problems).toEqual([]);
    const metric = definition.metric(prepared.params as never, { triggerType: type, triggerIndex: 3 });
    expect(metric.name.startsWith(METRIC_PREFIX[type] ?? type)).toBe(true);
    expect(Number.isFinite(metric.target)).toBe(true);
    expect(Number.isFinite(metric.activationTarget)).toBe(true);
    expect(prepared.metricSpec).toMatchObject({
      index: 3,
      type,
      metricName: metricNameWithIndex(3, metric.name),
      target: metric.target,
      activationTarget: metric.activationTarget,
      targetType: "AverageValue",
    });
    expect(prepared.metricSpec?.metricName.startsWith(`s3-${METRIC_PREFIX[type] ?? type}`)).toBe(true);
    const documented = DOCUMENTED_NAMES[type];
    if (documented) expect(prepared.metricSpec?.metricName).toBe(`s3-${documented}`);
    // The index is the trigger's position: the same trigger at index 0 is s0-.
    expect(prepare(type, 0, example.metadata, example.authParams).metricSpec?.metricName).toBe(
      metricNameWithIndex(0, metric.name),
    );
  });

  it("warns about an unknown metadata key with a did-you-mean (unless it passes metadata through)", () => {
    if (!example) return;
    const known = knownMetadataKeys(definition.params);
    const key = Object.keys(example.metadata).find((candidate) => known.has(candidate)) as string;
    const misspelt = typo(key, known);
    const prepared = prepare(type, 0, { ...example.metadata, [misspelt]: "1" }, example.authParams);
    const warnings = prepared.problems.filter((problem) => problem.key === misspelt);
    if (definition.passesMetadataThrough) {
      expect(warnings).toEqual([]);
      return;
    }
    expect(warnings).toEqual([
      {
        key: misspelt,
        message: `unknown parameter "${misspelt}" for trigger type "${type}"; did you mean "${key}"?`,
        severity: "warning",
      },
    ]);
    // A warning does not make the trigger invalid.
    expect(prepared.metricSpec).toBeDefined();
  });
});
