import { z } from "zod";
import { httpScaledObject } from "./schema/http-scaled-object.ts";
import { scaledJob } from "./schema/scaled-job.ts";
import { scaledObject } from "./schema/scaled-object.ts";
import { clusterTriggerAuthentication, triggerAuthentication } from "./schema/trigger-authentication.ts";

type Schema = Record<string, unknown>;

interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date";
  jsonPath: string;
  priority?: number;
}

interface CrdDefinition {
  /** API group; keda.sh when absent. */
  group?: string;
  kind: string;
  plural: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  schema: z.ZodType;
  columns: PrinterColumn[];
}

const INT32_MAX = 2_147_483_647;
const condition = (type: string): PrinterColumn => ({
  name: type,
  type: "string",
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
});
const common = {
  min: { name: "Min", type: "integer", jsonPath: ".spec.minReplicaCount" } as PrinterColumn,
  max: { name: "Max", type: "integer", jsonPath: ".spec.maxReplicaCount" } as PrinterColumn,
  triggers: { name: "Triggers", type: "string", jsonPath: ".status.triggersTypes" } as PrinterColumn,
  authentications: {
    name: "Authentications",
    type: "string",
    jsonPath: ".status.authenticationsTypes",
  } as PrinterColumn,
  age: { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" } as PrinterColumn,
};
const authColumns = (extra: PrinterColumn[]): PrinterColumn[] => [
  { name: "PodIdentity", type: "string", jsonPath: ".spec.podIdentity.provider" },
  { name: "Secret", type: "string", jsonPath: ".spec.secretTargetRef[*].name" },
  { name: "Env", type: "string", jsonPath: ".spec.env[*].name" },
  ...extra,
  { name: "VaultAddress", type: "string", jsonPath: ".spec.hashiCorpVault.address" },
  { name: "ScaledObjects", type: "string", jsonPath: ".status.scaledobjects", priority: 1 },
  { name: "ScaledJobs", type: "string", jsonPath: ".status.scaledjobs", priority: 1 },
];

/** KEDA's four CRDs and the HTTP add-on's HTTPScaledObject, with their names, short names and
 * printer columns. */
export const CRDS: readonly CrdDefinition[] = [
  {
    kind: "ScaledObject",
    plural: "scaledobjects",
    shortNames: ["so"],
    scope: "Namespaced",
    schema: scaledObject,
    columns: [
      { name: "ScaleTargetKind", type: "string", jsonPath: ".status.scaleTargetKind" },
      { name: "ScaleTargetName", type: "string", jsonPath: ".spec.scaleTargetRef.name" },
      common.min,
      common.max,
      condition("Ready"),
      condition("Active"),
      condition("Fallback"),
      condition("Paused"),
      common.triggers,
      common.authentications,
      common.age,
    ],
  },
  {
    kind: "ScaledJob",
    plural: "scaledjobs",
    shortNames: ["sj"],
    scope: "Namespaced",
    schema: scaledJob,
    columns: [
      common.min,
      common.max,
      condition("Ready"),
      condition("Active"),
      condition("Paused"),
      common.triggers,
      common.authentications,
      common.age,
    ],
  },
  {
    kind: "TriggerAuthentication",
    plural: "triggerauthentications",
    shortNames: ["ta", "triggerauth"],
    scope: "Namespaced",
    schema: triggerAuthentication,
    columns: authColumns([]),
  },
  {
    kind: "ClusterTriggerAuthentication",
    plural: "clustertriggerauthentications",
    shortNames: ["cta", "clustertriggerauth"],
    scope: "Cluster",
    schema: clusterTriggerAuthentication,
    columns: authColumns([{ name: "FilePath", type: "string", jsonPath: ".spec.filePath" }]),
  },
  {
    group: "http.keda.sh",
    kind: "HTTPScaledObject",
    plural: "httpscaledobjects",
    shortNames: ["httpso"],
    scope: "Namespaced",
    schema: httpScaledObject,
    columns: [
      { name: "TargetWorkload", type: "string", jsonPath: ".status.targetWorkload" },
      { name: "TargetService", type: "string", jsonPath: ".status.targetService" },
      { name: "MinReplicas", type: "integer", jsonPath: ".spec.replicas.min" },
      { name: "MaxReplicas", type: "integer", jsonPath: ".spec.replicas.max" },
      common.age,
      condition("Ready"),
    ],
  },
];

/**
 * Rewrites zod's OpenAPI 3.0 output into a Kubernetes structural schema: no defaults (KEDA applies
 * them in code), int32 formats, int-or-string quantities, and no `additionalProperties: false`.
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (node === null || typeof node !== "object") return node;
  const input = node as Schema;
  if (input["x-kubernetes-int-or-string"] === true) {
    return { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] };
  }
  const output: Schema = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === "properties" && value !== null && typeof value === "object") {
      // Property names are the resource's own (gcpSecretManager's secrets have an `id`), not keywords.
      output.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, property]) => [name, structural(property)]),
      );
      continue;
    }
    if (key === "$schema" || key === "default" || key === "propertyNames" || key === "id") continue;
    if (
      key === "additionalProperties" &&
      (value === false || (input.properties !== undefined && typeof value === "object"))
    )
      continue;
    if (
      key === "additionalProperties" &&
      typeof value === "object" &&
      value !== null &&
      Object.keys(value).length === 0
    ) {
      output["x-kubernetes-preserve-unknown-fields"] = true;
      continue;
    }
    if (key === "const") {
      output.type = "string";
      continue;
    }
    output[key] = structural(value);
  }
  if (output.type === "integer") {
    if (output.maximum === INT32_MAX) {
      output.format = "int32";
      delete output.maximum;
    } else if (typeof output.maximum === "number" && output.maximum > INT32_MAX) delete output.maximum;
    if (typeof output.minimum === "number" && output.minimum < -INT32_MAX - 1) delete output.minimum;
    if (output.minimum === -INT32_MAX - 1) delete output.minimum;
  }
  return output;
}

function openApiSchema(schema: z.ZodType): Schema {
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    reused: "inline",
    unrepresentable: "any",
  }) as Schema;
  const result = structural(json) as Schema;
  const properties = result.properties as Schema;
  properties.apiVersion = { type: "string" };
  properties.kind = { type: "string" };
  properties.metadata = { type: "object" };
  result.required = ["spec"];
  return result;
}

/** The CustomResourceDefinition object for one kind. */
export function customResourceDefinition(definition: CrdDefinition): Record<string, unknown> {
  const group = definition.group ?? "keda.sh";
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${definition.plural}.${group}`,
      labels: { "app.kubernetes.io/name": "tidal", "app.kubernetes.io/part-of": "tidal" },
    },
    spec: {
      group,
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.kind.toLowerCase(),
        shortNames: definition.shortNames,
      },
      scope: definition.scope,
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: definition.columns,
          schema: { openAPIV3Schema: openApiSchema(definition.schema) },
        },
      ],
    },
  };
}
