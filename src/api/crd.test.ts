import { describe, expect, it } from "vitest";
import { CRDS, customResourceDefinition } from "./crd.ts";

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; listKind: string; shortNames: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: Record<string, unknown>;
      additionalPrinterColumns: { name: string; type: string; jsonPath: string; priority?: number }[];
      schema: { openAPIV3Schema: Record<string, unknown> };
    }[];
  };
}

const crds = new Map(
  CRDS.map((definition) => customResourceDefinition(definition) as unknown as Crd).map((crd) => [
    crd.spec.names.kind,
    crd,
  ]),
);

const condition = (type: string) => [type, "string", `.status.conditions[?(@.type=="${type}")].status`];

/** KEDA's printer columns in its exact order: [name, type, jsonPath(, priority)] (KEDA: config/crd/bases/keda.sh_*.yaml). */
const KEDA_COLUMNS: Record<string, (string | number)[][]> = {
  ScaledObject: [
    ["ScaleTargetKind", "string", ".status.scaleTargetKind"],
    ["ScaleTargetName", "string", ".spec.scaleTargetRef.name"],
    ["Min", "integer", ".spec.minReplicaCount"],
    ["Max", "integer", ".spec.maxReplicaCount"],
    condition("Ready"),
    condition("Active"),
    condition("Fallback"),
    condition("Paused"),
    ["Triggers", "string", ".status.triggersTypes"],
    ["Authentications", "string", ".status.authenticationsTypes"],
    ["Age", "date", ".metadata.creationTimestamp"],
  ],
  ScaledJob: [
    ["Min", "integer", ".spec.minReplicaCount"],
    ["Max", "integer", ".spec.maxReplicaCount"],
    condition("Ready"),
    condition("Active"),
    condition("Paused"),
    ["Triggers", "string", ".status.triggersTypes"],
    ["Authentications", "string", ".status.authenticationsTypes"],
    ["Age", "date", ".metadata.creationTimestamp"],
  ],
  TriggerAuthentication: [
    ["PodIdentity", "string", ".spec.podIdentity.provider"],
    ["Secret", "string", ".spec.secretTargetRef[*].name"],
    ["Env", "string", ".spec.env[*].name"],
    ["VaultAddress", "string", ".spec.hashiCorpVault.address"],
    ["ScaledObjects", "string", ".status.scaledobjects", 1],
    ["ScaledJobs", "string", ".status.scaledjobs", 1],
  ],
  ClusterTriggerAuthentication: [
    ["PodIdentity", "string", ".spec.podIdentity.provider"],
    ["Secret", "string", ".spec.secretTargetRef[*].name"],
    ["Env", "string", ".spec.env[*].name"],
    ["FilePath", "string", ".spec.filePath"],
    ["VaultAddress", "string", ".spec.hashiCorpVault.address"],
    ["ScaledObjects", "string", ".status.scaledobjects", 1],
    ["ScaledJobs", "string", ".status.scaledjobs", 1],
  ],
  HTTPScaledObject: [
    ["TargetWorkload", "string", ".status.targetWorkload"],
    ["TargetService", "string", ".status.targetService"],
    ["MinReplicas", "integer", ".spec.replicas.min"],
    ["MaxReplicas", "integer", ".spec.replicas.max"],
    ["Age", "date", ".metadata.creationTimestamp"],
    condition("Ready"),
  ],
};

/** Every schema node with its JSON path, for structural checks. */
function* nodes(node: unknown, path = "$"): Generator<[string, Record<string, unknown>]> {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) yield* nodes(item, `${path}[${index}]`);
    return;
  }
  const record = node as Record<string, unknown>;
  yield [path, record];
  for (const [key, value] of Object.entries(record)) yield* nodes(value, `${path}.${key}`);
}

describe("generated CRDs", () => {
  it("are KEDA's four CRDs and the HTTP add-on's, with their names, scopes and short names", () => {
    const identity = [...crds.values()].map((crd) => [
      crd.metadata.name,
      crd.spec.group,
      crd.spec.scope,
      crd.spec.names.kind,
      crd.spec.names.plural,
      crd.spec.names.singular,
      crd.spec.names.listKind,
      crd.spec.names.shortNames,
    ]);
    expect(identity).toEqual([
      [
        "scaledobjects.keda.sh",
        "keda.sh",
        "Namespaced",
        "ScaledObject",
        "scaledobjects",
        "scaledobject",
        "ScaledObjectList",
        ["so"],
      ],
      [
        "scaledjobs.keda.sh",
        "keda.sh",
        "Namespaced",
        "ScaledJob",
        "scaledjobs",
        "scaledjob",
        "ScaledJobList",
        ["sj"],
      ],
      [
        "triggerauthentications.keda.sh",
        "keda.sh",
        "Namespaced",
        "TriggerAuthentication",
        "triggerauthentications",
        "triggerauthentication",
        "TriggerAuthenticationList",
        ["ta", "triggerauth"],
      ],
      [
        "clustertriggerauthentications.keda.sh",
        "keda.sh",
        "Cluster",
        "ClusterTriggerAuthentication",
        "clustertriggerauthentications",
        "clustertriggerauthentication",
        "ClusterTriggerAuthenticationList",
        ["cta", "clustertriggerauth"],
      ],
      [
        "httpscaledobjects.http.keda.sh",
        "http.keda.sh",
        "Namespaced",
        "HTTPScaledObject",
        "httpscaledobjects",
        "httpscaledobject",
        "HTTPScaledObjectList",
        ["httpso"],
      ],
    ]);
    for (const crd of crds.values()) {
      expect([crd.apiVersion, crd.kind]).toEqual(["apiextensions.k8s.io/v1", "CustomResourceDefinition"]);
      expect(
        crd.spec.versions.map((version) => [
          version.name,
          version.served,
          version.storage,
          version.subresources,
        ]),
      ).toEqual([["v1alpha1", true, true, { status: {} }]]);
    }
  });

  it("have KEDA's printer columns in KEDA's exact order", () => {
    for (const [kind, expected] of Object.entries(KEDA_COLUMNS)) {
      const columns = crds.get(kind)?.spec.versions[0]?.additionalPrinterColumns ?? [];
      expect(
        columns.map((column) =>
          column.priority === undefined
            ? [column.name, column.type, column.jsonPath]
            : [column.name, column.type, column.jsonPath, column.priority],
        ),
        kind,
      ).toEqual(expected);
    }
  });

  it("are structural schemas: no additionalProperties false, no default, no $ref, a type on every node", () => {
    for (const [kind, crd] of crds) {
      const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
      expect(schema?.type).toBe("object");
      expect(schema?.required).toEqual(["spec"]);
      let checked = 0;
      for (const [path, node] of nodes(schema)) {
        checked += 1;
        if (path.endsWith(".properties") || path.endsWith(".required") || path.endsWith(".enum")) continue;
        const where = `${kind} ${path}`;
        expect(node.additionalProperties, where).not.toBe(false);
        expect(node, where).not.toHaveProperty("default");
        expect(node, where).not.toHaveProperty("$ref");
        expect(node, where).not.toHaveProperty("$defs");
        // Kubernetes forbids properties and additionalProperties together.
        if (node.properties !== undefined) expect(node, where).not.toHaveProperty("additionalProperties");
        // Every node has a type, except the int-or-string branches and their members.
        if (node["x-kubernetes-int-or-string"] === true) {
          expect(node.anyOf, where).toEqual([{ type: "integer" }, { type: "string" }]);
        } else if (!/\.anyOf\[\d+\]$/.test(path)) {
          expect(typeof node.type, where).toBe("string");
        }
      }
      expect(checked, kind).toBeGreaterThan(20);
    }
  });

  it("come from the same schemas as validation: ScaledObject fields and their int32 bounds", () => {
    const spec = (
      crds.get("ScaledObject")?.spec.versions[0]?.schema.openAPIV3Schema.properties as Record<
        string,
        { properties: Record<string, Record<string, unknown>>; required: string[] }
      >
    ).spec!;
    expect(spec.required).toEqual(["scaleTargetRef", "triggers"]);
    expect(Object.keys(spec.properties).sort()).toEqual(
      [
        "advanced",
        "cooldownPeriod",
        "fallback",
        "idleReplicaCount",
        "initialCooldownPeriod",
        "maxReplicaCount",
        "minReplicaCount",
        "pollingInterval",
        "scaleTargetRef",
        "triggers",
      ].sort(),
    );
    expect(spec.properties.maxReplicaCount).toEqual({ type: "integer", minimum: 1, format: "int32" });
    expect(spec.properties.minReplicaCount).toEqual({ type: "integer", minimum: 0, format: "int32" });
  });
});
