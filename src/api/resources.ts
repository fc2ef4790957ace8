import type { z } from "zod";
import { didYouMean } from "../util/did-you-mean.ts";
import { API_VERSION, convertLegacyDocuments } from "./legacy.ts";
import type { Problem, SourceDocument } from "./load.ts";
import { describeIssues } from "./issues.ts";
import { configMap, secret, type ConfigMap, type Secret } from "./schema/core.ts";
import { httpScaledObject, type HttpScaledObject } from "./schema/http-scaled-object.ts";
import { processPool, type ProcessPool } from "./schema/process-pool.ts";
import { scaledJob, type ScaledJob } from "./schema/scaled-job.ts";
import { scaledObject, type ScaledObject } from "./schema/scaled-object.ts";
import {
  clusterTriggerAuthentication,
  triggerAuthentication,
  type ClusterTriggerAuthentication,
  type TriggerAuthentication,
} from "./schema/trigger-authentication.ts";

/** A resource read from a file, with its position and any legacy conversion notes. */
export interface Loaded<T> {
  file: string;
  doc: number;
  object: T;
  /** How a KEDA 1.x document was converted on read; empty for current documents. */
  conversionNotes: string[];
}

export interface ManifestSet {
  scaledObjects: Loaded<ScaledObject>[];
  scaledJobs: Loaded<ScaledJob>[];
  triggerAuthentications: Loaded<TriggerAuthentication>[];
  clusterTriggerAuthentications: Loaded<ClusterTriggerAuthentication>[];
  secrets: Loaded<Secret>[];
  configMaps: Loaded<ConfigMap>[];
  processPools: Loaded<ProcessPool>[];
  httpScaledObjects: Loaded<HttpScaledObject>[];
}

type Collection = keyof ManifestSet;

interface KindEntry {
  schema: z.ZodType;
  collection: Collection;
}

/** The kinds Tidal reads, by `apiVersion kind`. Documents of other kinds are skipped. */
const KINDS = new Map<string, KindEntry>([
  ["keda.sh/v1alpha1 ScaledObject", { schema: scaledObject, collection: "scaledObjects" }],
  ["keda.sh/v1alpha1 ScaledJob", { schema: scaledJob, collection: "scaledJobs" }],
  [
    "keda.sh/v1alpha1 TriggerAuthentication",
    { schema: triggerAuthentication, collection: "triggerAuthentications" },
  ],
  [
    "keda.sh/v1alpha1 ClusterTriggerAuthentication",
    { schema: clusterTriggerAuthentication, collection: "clusterTriggerAuthentications" },
  ],
  ["v1 Secret", { schema: secret, collection: "secrets" }],
  ["v1 ConfigMap", { schema: configMap, collection: "configMaps" }],
  ["tidal.dev/v1alpha1 ProcessPool", { schema: processPool, collection: "processPools" }],
  ["http.keda.sh/v1alpha1 HTTPScaledObject", { schema: httpScaledObject, collection: "httpScaledObjects" }],
]);

export const DEFAULT_NAMESPACE = "default";

export function emptyManifestSet(): ManifestSet {
  return {
    scaledObjects: [],
    scaledJobs: [],
    triggerAuthentications: [],
    clusterTriggerAuthentications: [],
    secrets: [],
    configMaps: [],
    processPools: [],
    httpScaledObjects: [],
  };
}

function nameOf(value: Record<string, unknown>): string {
  const metadata = value.metadata;
  if (metadata && typeof metadata === "object" && "name" in metadata) return String(metadata.name);
  return "";
}

const KEDA_GROUP = "keda.sh";
const KEDA_KINDS = ["ScaledObject", "ScaledJob", "TriggerAuthentication", "ClusterTriggerAuthentication"];

/**
 * Documents of other kinds are skipped, but a keda.sh document Tidal does not read is a typo that
 * would otherwise be silently ignored (as `kubectl apply` would reject it).
 */
function kedaKindProblem(value: Record<string, unknown>): { path: string; message: string } | undefined {
  const apiVersion = typeof value.apiVersion === "string" ? value.apiVersion : "";
  if (!apiVersion.startsWith(`${KEDA_GROUP}/`)) return undefined;
  const kind = value.kind;
  if (typeof kind !== "string" || kind === "") return { path: "kind", message: "required field is missing" };
  if (!KEDA_KINDS.includes(kind)) {
    return {
      path: "kind",
      message: `unknown kind "${kind}" in ${apiVersion}${didYouMean(kind, KEDA_KINDS)}`,
    };
  }
  return { path: "apiVersion", message: `${kind} is served as ${API_VERSION}, not ${apiVersion}` };
}

/** Sorts documents into typed resources; schema violations become problems naming the field. */
export function readResources(documents: readonly SourceDocument[]): {
  set: ManifestSet;
  problems: Problem[];
} {
  const set = emptyManifestSet();
  const problems: Problem[] = [];
  const conversions = convertLegacyDocuments(documents.map((document) => document.value));
  for (const [index, document] of documents.entries()) {
    const { value: converted, notes: conversionNotes } = conversions[index]!;
    if (converted === null || typeof converted !== "object" || Array.isArray(converted)) continue;
    const value = converted as Record<string, unknown>;
    const entry = KINDS.get(`${String(value.apiVersion)} ${String(value.kind)}`);
    const kind = String(value.kind ?? "");
    const name = nameOf(value);
    if (entry === undefined) {
      const problem = kedaKindProblem(value);
      if (problem)
        problems.push({ file: document.file, doc: document.doc, kind, name, severity: "error", ...problem });
      continue;
    }
    const parsed = entry.schema.safeParse(value);
    if (!parsed.success) {
      for (const problem of describeIssues(entry.schema, value, parsed.error.issues)) {
        problems.push({ file: document.file, doc: document.doc, kind, name, severity: "error", ...problem });
      }
      continue;
    }
    const object = parsed.data as { metadata: { namespace?: string } };
    object.metadata.namespace ??= DEFAULT_NAMESPACE;
    (set[entry.collection] as Loaded<unknown>[]).push({
      file: document.file,
      doc: document.doc,
      object,
      conversionNotes,
    });
  }
  return { set, problems };
}
