import type { z } from "zod";
import { didYouMean } from "../util/did-you-mean.ts";
import { convertLegacyDocuments, type LegacyTriggerRules } from "./legacy.ts";
import { locatorOf, type Problem, type SourceDocument } from "./load.ts";
import { describeIssues } from "./issues.ts";
import { configMap, secret, type ConfigMap, type Secret } from "./schema/core.ts";
import { httpScaledObject, type HttpScaledObject } from "./schema/http-scaled-object.ts";
import { processPool, type ProcessPool } from "./schema/process-pool.ts";
import { scaledJob, type ScaledJob } from "./schema/scaled-job.ts";
import { scaledObject, type ScaledObject } from "./schema/scaled-object.ts";
import { workload, type Workload } from "./schema/workload.ts";
import { addWorkloadPools, type WorkloadOrigin } from "./workload-pools.ts";
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
  /** The object's first line in its file, when it was read from source. */
  line?: number;
  /** How a KEDA 1.x document was converted on read; empty for current documents. */
  conversionNotes: string[];
  /** A ProcessPool made from a Deployment or StatefulSet of the files (see workload-pools.ts). */
  workload?: WorkloadOrigin;
}

export interface ManifestSet {
  scaledObjects: Loaded<ScaledObject>[];
  scaledJobs: Loaded<ScaledJob>[];
  triggerAuthentications: Loaded<TriggerAuthentication>[];
  clusterTriggerAuthentications: Loaded<ClusterTriggerAuthentication>[];
  secrets: Loaded<Secret>[];
  configMaps: Loaded<ConfigMap>[];
  /** The files' own ProcessPools, and those made from the workloads scaled (`workload` set). */
  processPools: Loaded<ProcessPool>[];
  httpScaledObjects: Loaded<HttpScaledObject>[];
  /** apps/v1 Deployments and StatefulSets, which `tidal run` can run as local processes. */
  workloads: Loaded<Workload>[];
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
  ["apps/v1 Deployment", { schema: workload, collection: "workloads" }],
  ["apps/v1 StatefulSet", { schema: workload, collection: "workloads" }],
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
    workloads: [],
  };
}

/** The object's name for messages: only a string is one (a mapping would print "[object Object]"). */
function nameOf(value: Record<string, unknown>): string {
  const metadata = value.metadata;
  if (metadata && typeof metadata === "object" && "name" in metadata && typeof metadata.name === "string")
    return metadata.name;
  return "";
}

/** A DNS-1123 label: what Kubernetes takes as a namespace (and the names Tidal generates from). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Names Kubernetes would refuse, as its API server checks them: object names are DNS-1123
 * subdomains (lowercase letters, digits, "-" and ".", at most 253 characters, each dot-separated
 * part starting and ending with a letter or digit), namespaces DNS-1123 labels (no dots, at most 63).
 */
function nameProblems(metadata: { name: string; namespace?: string }): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const { name, namespace } = metadata;
  if (name.length > 253 || !name.split(".").every((part) => DNS1123_LABEL.test(part)))
    problems.push({
      path: "metadata.name",
      message: `name ${JSON.stringify(name)} is not valid in Kubernetes: use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (DNS-1123 subdomain)`,
    });
  if (namespace !== undefined && (namespace.length > 63 || !DNS1123_LABEL.test(namespace)))
    problems.push({
      path: "metadata.namespace",
      message: `namespace ${JSON.stringify(namespace)} is not valid in Kubernetes: use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit (DNS-1123 label)`,
    });
  return problems;
}

/** The groups whose kinds are all Tidal's to read: any other kind in them is a typo. */
const OWN_GROUPS = ["keda.sh", "tidal.dev", "http.keda.sh"];
const KNOWN = [...KINDS.entries()].flatMap(([key, entry]) => {
  // Workloads of other apiVersions (extensions/v1beta1) are someone else's to read, not typos.
  if (entry.collection === "workloads") return [];
  const [apiVersion = "", kind = ""] = key.split(" ");
  return [{ apiVersion, kind }];
});

/**
 * Documents of other kinds are skipped, but one of Tidal's kinds under another apiVersion, or an
 * unknown kind in one of Tidal's groups, is a typo that would otherwise be silently ignored (as
 * `kubectl apply` would reject it).
 */
function unreadKindProblem(value: Record<string, unknown>): { path: string; message: string } | undefined {
  const apiVersion = typeof value.apiVersion === "string" ? value.apiVersion : "";
  const kind = typeof value.kind === "string" ? value.kind : "";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const ownGroup = OWN_GROUPS.includes(group);
  const known = KNOWN.find((entry) => entry.kind.toLowerCase() === kind.toLowerCase());
  if (!ownGroup && known === undefined) return undefined;
  if (kind === "") return { path: "kind", message: "required field is missing" };
  if (known === undefined || known.kind !== kind) {
    const candidates = ownGroup
      ? KNOWN.filter((entry) => entry.apiVersion.startsWith(`${group}/`)).map((entry) => entry.kind)
      : [known!.kind];
    const where = apiVersion ? ` in ${apiVersion}` : "";
    return { path: "kind", message: `unknown kind "${kind}"${where}${didYouMean(kind, candidates)}` };
  }
  if (apiVersion === "")
    return { path: "apiVersion", message: `required field is missing (${kind} is ${known.apiVersion})` };
  return { path: "apiVersion", message: `${kind} is read as ${known.apiVersion}, not ${apiVersion}` };
}

/** Every field of a Kubernetes ObjectMeta: another key under metadata is a typo (`anotations`). */
const OBJECT_META_FIELDS = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];

function unknownMetadataKeys(metadata: unknown): string[] {
  if (metadata === null || typeof metadata !== "object") return [];
  return Object.keys(metadata).filter((key) => !OBJECT_META_FIELDS.includes(key));
}

/** Sorts documents into typed resources; schema violations become problems naming the field. */
export function readResources(
  documents: readonly SourceDocument[],
  legacyRules: LegacyTriggerRules,
): {
  set: ManifestSet;
  problems: Problem[];
} {
  const set = emptyManifestSet();
  const problems: Problem[] = [];
  const conversions = convertLegacyDocuments(
    documents.map((document) => document.value),
    legacyRules,
  );
  for (const [index, document] of documents.entries()) {
    const { value: converted, notes: conversionNotes } = conversions[index]!;
    if (converted === null || typeof converted !== "object" || Array.isArray(converted)) {
      problems.push({
        file: document.file,
        doc: document.doc,
        kind: "",
        name: "",
        path: "",
        message: "not a Kubernetes object: expected a mapping with apiVersion, kind and metadata",
        severity: "error",
      });
      continue;
    }
    const value = converted as Record<string, unknown>;
    const entry = KINDS.get(`${String(value.apiVersion)} ${String(value.kind)}`);
    const kind = typeof value.kind === "string" ? value.kind : "";
    const name = nameOf(value);
    if (entry === undefined) {
      const problem = unreadKindProblem(value);
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
    for (const key of unknownMetadataKeys(value.metadata)) {
      problems.push({
        file: document.file,
        doc: document.doc,
        kind,
        name,
        path: `metadata.${key}`,
        message: `unknown field "${key}", ignored${didYouMean(key, OBJECT_META_FIELDS)}`,
        severity: "warning",
      });
    }
    const object = parsed.data as { metadata: { name: string; namespace?: string } };
    const invalidNames = nameProblems(object.metadata);
    if (invalidNames.length > 0) {
      for (const problem of invalidNames)
        problems.push({ file: document.file, doc: document.doc, kind, name, severity: "error", ...problem });
      continue;
    }
    object.metadata.namespace ??= DEFAULT_NAMESPACE;
    const line = locatorOf(document)?.("")?.line;
    (set[entry.collection] as Loaded<unknown>[]).push({
      file: document.file,
      doc: document.doc,
      ...(line === undefined ? {} : { line }),
      object,
      conversionNotes,
    });
  }
  addWorkloadPools(set);
  return { set, problems };
}
