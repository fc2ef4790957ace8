import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { metricNameWithIndex } from "./metric-name.ts";
import { knownMetadataKeys } from "./params.ts";
import { prepareScalerTrigger } from "../../test/support/prepare-trigger.ts";
import { allScalers, findScaler, legacyTriggerRules, supportedTriggerTypes } from "./registry.ts";

/** Trigger types KEDA's builder knows and the Go type of each one's scaler (pkg/scaling/scalers_builder.go). */
const KEDA = JSON.parse(
  readFileSync(new URL("../../test/conformance/keda-trigger-types.json", import.meta.url), "utf8"),
) as { scalerNames: Record<string, string> };

/**
 * KEDA's metric name prefixes that are not the trigger type (in each scaler's KEDA source;
 * apache-kafka names its metrics as kafka does, the redis variants as redis and redis-streams do,
 * kubernetes-workload after the namespace and kubernetes-resource after the object's kind).
 */
const METRIC_PREFIX: Record<string, string> = {
  "apache-kafka": "kafka-",
  "artemis-queue": "artemis-",
  "aws-kinesis-stream": "aws-kinesis-",
  "aws-sqs-queue": "aws-sqs-",
  couchdb: "coucdb-",
  "forgejo-runner": "forgejo",
  "gcp-cloudtasks": "gcp-ct-",
  "gcp-pubsub": "gcp-ps-",
  "kubernetes-resource": "configmap-",
  "kubernetes-workload": "workload-",
  "metrics-api": "metric-api-",
  "redis-cluster": "redis-",
  "redis-sentinel": "redis-",
  "redis-cluster-streams": "redis-streams-",
  "redis-sentinel-streams": "redis-streams-",
  "solace-direct-messaging": "solace-dm-",
  "solace-event-queue": "solace-",
  "splunk-observability": "signalfx",
};

function prepare(
  type: string,
  index: number,
  metadata: Readonly<Record<string, string>>,
  authParams: Readonly<Record<string, string>> = {},
) {
  return prepareScalerTrigger(type, { ...metadata }, { index, authParams: { ...authParams } });
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
    expect(findScaler("no-such-type")).toBeUndefined();
  });

  it("every type is one of KEDA's, with KEDA's scaler name, unless it is declared Tidal's own", () => {
    for (const definition of allScalers()) {
      for (const type of [definition.type, ...(definition.aliases ?? [])]) {
        const kedaName = KEDA.scalerNames[type];
        if (definition.tidalOnly) expect(kedaName, `${type} is declared Tidal's own`).toBeUndefined();
        else expect(definition.kedaScalerName, `${type}: KEDA's Go type of the scaler`).toBe(kedaName);
      }
    }
  });

  it("knows every one of KEDA's trigger types", () => {
    const missing = Object.keys(KEDA.scalerNames).filter((type) => findScaler(type) === undefined);
    expect(missing).toEqual([]);
    expect(Object.keys(KEDA.scalerNames)).toHaveLength(78);
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
  const { example } = definition;

  it("accepts its minimal metadata and names its metric after its type (or KEDA's prefix), with s<i>- in front", () => {
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
      targetType: metric.targetType ?? "AverageValue",
    });
    expect(prepared.metricSpec?.metricName.startsWith(`s3-${METRIC_PREFIX[type] ?? type}`)).toBe(true);
    // The index is the trigger's position: the same trigger at index 0 is s0-, KEDA's name.
    expect(prepare(type, 0, example.metadata, example.authParams).metricSpec?.metricName).toBe(
      example.metricName,
    );
  });

  it("warns about an unknown metadata key with a did-you-mean (unless it passes metadata through)", () => {
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

describe.each(
  allScalers()
    .filter((definition) => definition.resourceMetric)
    .map((definition) => [definition.type, definition] as const),
)("resource scaler contract: %s", (type, definition) => {
  it("accepts its example and turns it into the HPA Resource metric it names", () => {
    const { example } = definition;
    const prepared = prepareScalerTrigger(type, { ...example.metadata }, { metricType: example.metricType });
    expect(prepared.problems).toEqual([]);
    expect(prepared.resource?.name).toBe(example.metricName);
    expect(prepared.metricSpec).toBeUndefined();
  });
});

describe("legacyTriggerRules", () => {
  it("gives the KEDA 1.x metadata rules the scalers declare, and none for other types", () => {
    expect(legacyTriggerRules("kafka")).toEqual({ renamedKeys: { brokerList: "bootstrapServers" } });
    expect(legacyTriggerRules("redis")?.envNameKeys).toEqual(["address", "host", "port", "password"]);
    expect(legacyTriggerRules("rabbitmq")?.envNameKeys).toEqual(["host", "apiHost"]);
    expect(legacyTriggerRules("prometheus")).toBeUndefined();
    expect(legacyTriggerRules("no-such-type")).toBeUndefined();
  });
});
