import { describe, expect, it } from "vitest";
import { fieldsAt, formatPath } from "./issues.ts";
import type { SourceDocument } from "./load.ts";
import { readResources } from "./resources.ts";

/** Reading resources does not depend on any scaler's KEDA 1.x rules. */
const noTriggerRules = () => undefined;
import { scaledObject } from "./schema/scaled-object.ts";

function docs(...values: unknown[]): SourceDocument[] {
  return values.map((value, index) => ({ file: "m.yaml", doc: index + 1, value }));
}

function so(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "worker" }) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata,
    spec: {
      scaleTargetRef: { name: "worker" },
      triggers: [{ type: "redis", metadata: { address: "r:6379", listName: "q" } }],
      ...spec,
    },
  };
}

/** `path: message` of every problem readResources finds in one ScaledObject with `spec`. */
function problemsOf(spec: Record<string, unknown>): string[] {
  return readResources(docs(so(spec)), noTriggerRules).problems.map(
    (problem) => `${problem.path}: ${problem.message}`,
  );
}

describe("readResources", () => {
  it("sorts documents into typed collections with KEDA's defaults, namespace default, and skips other kinds", () => {
    const { set, problems } = readResources(
      docs({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "worker" } }, so({}), {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s", namespace: "ns" },
        stringData: { a: "b" },
      }),
      noTriggerRules,
    );
    expect(problems).toEqual([]);
    expect(set.scaledObjects).toHaveLength(1);
    expect(set.secrets).toHaveLength(1);
    const loaded = set.scaledObjects[0]!;
    expect([loaded.file, loaded.doc]).toEqual(["m.yaml", 2]);
    expect(loaded.object.metadata.namespace).toBe("default");
    expect(set.secrets[0]?.object.metadata.namespace).toBe("ns");
    const { spec } = loaded.object;
    expect([
      spec.pollingInterval,
      spec.cooldownPeriod,
      spec.initialCooldownPeriod,
      spec.minReplicaCount,
      spec.maxReplicaCount,
    ]).toEqual([30, 300, 0, 0, 100]);
    expect(spec.triggers[0]).toMatchObject({ name: "", useCachedMetrics: false });
    expect(spec.idleReplicaCount).toBeUndefined();
  });

  it("reads KEDA 1.x documents as their keda.sh form and keeps the conversion notes", () => {
    const { set, problems } = readResources(
      docs({
        apiVersion: "keda.k8s.io/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "legacy", labels: { deploymentName: "app" } },
        spec: {
          scaleTargetRef: { deploymentName: "app" },
          triggers: [{ type: "redis", metadata: { address: "REDIS_ADDRESS", listName: "q" } }],
        },
      }),
      (type) => (type === "redis" ? { envNameKeys: ["address"] } : undefined),
    );
    expect(problems).toEqual([]);
    const loaded = set.scaledObjects[0]!;
    expect(loaded.object.spec.scaleTargetRef.name).toBe("app");
    expect(loaded.object.spec.triggers[0]?.metadata).toEqual({
      addressFromEnv: "REDIS_ADDRESS",
      listName: "q",
    });
    expect(loaded.conversionNotes).toContain("spec.scaleTargetRef.deploymentName → spec.scaleTargetRef.name");
  });

  it("names the field, what was expected and what was written", () => {
    expect(problemsOf({ pollingInterval: "30" })).toEqual([
      'spec.pollingInterval: expected a number, got "30" (a string); write it without quotes',
    ]);
    expect(problemsOf({ maxReplicaCount: "many" })).toEqual([
      'spec.maxReplicaCount: expected a number, got "many" (a string)',
    ]);
    expect(problemsOf({ minReplicaCount: 1.5 })).toEqual([
      "spec.minReplicaCount: expected an integer, got 1.5 (a number)",
    ]);
    expect(problemsOf({ triggers: { type: "redis" } })).toEqual([
      "spec.triggers: expected a list, got an object",
    ]);
    expect(problemsOf({ triggers: [{ type: "redis", metadata: { listLength: 5 } }] })).toEqual([
      "spec.triggers[0].metadata.listLength: expected a string, got a number; put it in quotes",
    ]);
  });

  it("rejects negative counts and out-of-range values with the bound", () => {
    expect(problemsOf({ minReplicaCount: -1, cooldownPeriod: -5 })).toEqual([
      "spec.cooldownPeriod: must be ≥ 0 (got -5)",
      "spec.minReplicaCount: must be ≥ 0 (got -1)",
    ]);
    expect(problemsOf({ maxReplicaCount: 0 })).toEqual(["spec.maxReplicaCount: must be ≥ 1 (got 0)"]);
    expect(problemsOf({ pollingInterval: 3_000_000_000 })).toEqual([
      "spec.pollingInterval: must be ≤ 2147483647 (got 3000000000)",
    ]);
  });

  it("reports missing required fields, empty lists and bad enum values", () => {
    expect(problemsOf({ scaleTargetRef: {} })).toEqual([
      "spec.scaleTargetRef.name: required field is missing",
    ]);
    expect(problemsOf({ triggers: [] })).toEqual(["spec.triggers: must have at least 1 item"]);
    expect(problemsOf({ triggers: [{ type: "redis", metadata: {}, metricType: "Average" }] })).toEqual([
      'spec.triggers[0].metricType: must be one of "AverageValue", "Value", "Utilization", got "Average" (a string)',
    ]);
    expect(problemsOf({ triggers: [{ type: "", metadata: {} }] })).toEqual([
      "spec.triggers[0].type: must not be empty",
    ]);
  });

  it("reports unknown fields with a did-you-mean", () => {
    expect(problemsOf({ maxReplicaCont: 3 })).toEqual([
      `spec.maxReplicaCont: unknown field "maxReplicaCont"; did you mean "maxReplicaCount"?`,
    ]);
    expect(
      problemsOf({ triggers: [{ type: "redis", metadata: {}, authenticatonRef: { name: "a" } }] }),
    ).toEqual([
      'spec.triggers[0].authenticatonRef: unknown field "authenticatonRef"; did you mean "authenticationRef"?',
    ]);
  });

  it("reports a keda.sh document Tidal does not read instead of skipping it silently", () => {
    const { problems } = readResources(
      docs(
        { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObjekt", metadata: { name: "a" } },
        { ...so({}), apiVersion: "keda.sh/v1" },
        { apiVersion: "keda.sh/v1alpha1", metadata: { name: "c" } },
        { apiVersion: "eventing.keda.sh/v1alpha1", kind: "CloudEventSource", metadata: { name: "d" } },
      ),
      noTriggerRules,
    );
    expect(
      problems.map((problem) => [problem.doc, problem.kind, problem.name, problem.path, problem.message]),
    ).toEqual([
      [
        1,
        "ScaledObjekt",
        "a",
        "kind",
        'unknown kind "ScaledObjekt" in keda.sh/v1alpha1; did you mean "ScaledObject"?',
      ],
      [2, "ScaledObject", "worker", "apiVersion", "ScaledObject is read as keda.sh/v1alpha1, not keda.sh/v1"],
      [3, "", "c", "kind", "required field is missing"],
    ]);
  });

  it("reports Tidal's kinds under another apiVersion or spelling, and documents that are not objects", () => {
    const pool = { metadata: { name: "p" }, spec: { command: ["w"] } };
    const { problems } = readResources(
      docs(
        { ...pool, apiVersion: "tidal.dev/v1", kind: "ProcessPool" },
        { ...pool, apiVersion: "tidal.dev/v1alpha1", kind: "Processpool" },
        { ...pool, apiVersion: "http.keda.sh/v1alpha1", kind: "HttpScaledObject" },
        { ...so({}), apiVersion: undefined },
        "a scalar document",
      ),
      noTriggerRules,
    );
    expect(problems.map((problem) => `${problem.doc} ${problem.path}: ${problem.message}`)).toEqual([
      "1 apiVersion: ProcessPool is read as tidal.dev/v1alpha1, not tidal.dev/v1",
      '2 kind: unknown kind "Processpool" in tidal.dev/v1alpha1; did you mean "ProcessPool"?',
      '3 kind: unknown kind "HttpScaledObject" in http.keda.sh/v1alpha1; did you mean "HTTPScaledObject"?',
      "4 apiVersion: required field is missing (ScaledObject is keda.sh/v1alpha1)",
      "5 : not a Kubernetes object: expected a mapping with apiVersion, kind and metadata",
    ]);
  });

  it("warns of a metadata field Kubernetes does not have, with a did-you-mean", () => {
    const { set, problems } = readResources(
      docs(so({}, { name: "worker", anotations: { "autoscaling.keda.sh/paused": "true" } })),
      noTriggerRules,
    );
    expect(set.scaledObjects).toHaveLength(1);
    expect(problems.map((problem) => `${problem.severity} ${problem.path}: ${problem.message}`)).toEqual([
      'warning metadata.anotations: unknown field "anotations", ignored; did you mean "annotations"?',
    ]);
  });

  it("never shows the value of a field that may hold a secret in a message", () => {
    const { problems } = readResources(
      docs(
        { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { password: 9876543210 } },
        {
          apiVersion: "tidal.dev/v1alpha1",
          kind: "ProcessPool",
          metadata: { name: "p" },
          spec: { command: ["w"], env: [{ name: "TOKEN", value: 31415926535 }] },
        },
        so({ triggers: [{ type: "redis", metadata: { password: 2718281828 } }] }),
      ),
      noTriggerRules,
    );
    const messages = problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(messages).toEqual([
      "stringData.password: expected a string, got a number; put it in quotes",
      "spec.env[0].value: expected a string, got a number; put it in quotes",
      "spec.triggers[0].metadata.password: expected a string, got a number; put it in quotes",
    ]);
  });

  it("checks Secrets: data must be base64", () => {
    const { problems } = readResources(
      docs({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { password: "not base64!" } }),
      noTriggerRules,
    );
    expect(
      problems.map((problem) => `${problem.kind}/${problem.name} ${problem.path}: ${problem.message}`),
    ).toEqual(["Secret/s data.password: must be base64-encoded; put plain text under stringData instead"]);
  });
});

describe("issue helpers", () => {
  it("formatPath joins keys with dots and indexes with brackets", () => {
    expect(formatPath(["spec", "triggers", 0, "metadata", "host"])).toBe("spec.triggers[0].metadata.host");
    expect(formatPath([])).toBe("");
    expect(formatPath([2, "a"])).toBe("[2].a");
  });

  it("fieldsAt lists the fields of the object schema at a path, through lists, defaults and optionals", () => {
    expect(fieldsAt(scaledObject, ["spec", "triggers", 0])).toEqual([
      "type",
      "name",
      "useCachedMetrics",
      "metadata",
      "authenticationRef",
      "metricType",
    ]);
    expect(fieldsAt(scaledObject, ["spec", "advanced", "scalingModifiers"])).toEqual([
      "formula",
      "target",
      "activationTarget",
      "metricType",
    ]);
    expect(fieldsAt(scaledObject, ["spec", "triggers", 0, "metadata"])).toEqual([]);
    expect(fieldsAt(scaledObject, ["nope", "deeper"])).toEqual([]);
  });
});
