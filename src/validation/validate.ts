import { loadManifests, positionProblems, type Problem } from "../api/load.ts";
import { readResources, type Loaded, type ManifestSet } from "../api/resources.ts";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import { usesFormula, type ScaledObject } from "../api/schema/scaled-object.ts";
import type { TriggerAuthenticationSpec } from "../api/schema/trigger-authentication.ts";
import { azureWorkloadIdentityProblems } from "../auth/identity/azure.ts";
import { awsPodIdentityAdmissionProblems } from "../auth/identity/aws.ts";
import { unsupportedAuthSources } from "../auth/resolve.ts";
import { SECRET_STORES } from "../auth/stores/index.ts";
import { hpaName } from "../engine/hpa-model.ts";
import { legacyTriggerRules } from "../scalers/registry.ts";
import type { PreparedTrigger } from "../scalers/prepared-trigger.ts";
import { prepareTriggersFromFiles, type TriggerFileProblem } from "./file-triggers.ts";
import { checkScaledJob, checkScaledObject, type ProblemSink } from "./object-checks.ts";

export interface ValidationOptions {
  /** Unknown scaler metadata keys are errors instead of warnings. */
  strict?: boolean;
}

/** How `validateManifests` reads the files (by default on this thread). */
export interface LoadOptions {
  load?: typeof loadManifests;
}

export interface ValidationResult {
  set: ManifestSet;
  problems: Problem[];
  /** Adds its source position to a problem found later (e.g. by a runtime's own checks). */
  position: (problem: Problem) => Problem;
}

function sinkFor(
  loaded: Loaded<{ kind: string; metadata: { name: string } }>,
  problems: Problem[],
): ProblemSink {
  return (path, message, severity = "error") =>
    problems.push({
      file: loaded.file,
      doc: loaded.doc,
      kind: loaded.object.kind,
      name: loaded.object.metadata.name,
      path,
      message,
      severity,
    });
}

function triggerProblemReporter(report: ProblemSink): TriggerFileProblem {
  return (index, path, message, severity) => report(`spec.triggers[${index}].${path}`, message, severity);
}

function reportTriggerProblems(
  prepared: readonly PreparedTrigger[],
  report: ProblemSink,
  strict: boolean,
): void {
  for (const trigger of prepared) {
    for (const problem of trigger.problems) {
      const base = `spec.triggers[${trigger.index}]`;
      const path =
        problem.key === "type" || problem.key === "metricType"
          ? `${base}.${problem.key}`
          : `${base}.metadata.${problem.key}`;
      report(path, problem.message, strict ? "error" : problem.severity);
    }
  }
}

async function validateScaledObject(
  loaded: Loaded<ScaledObject>,
  set: ManifestSet,
  problems: Problem[],
  strict: boolean,
) {
  const report = sinkFor(loaded, problems);
  checkScaledObject(loaded.object, report);
  const prepared = await prepareTriggersFromFiles(
    loaded.object,
    set,
    usesFormula(loaded.object),
    triggerProblemReporter(report),
  );
  reportTriggerProblems(prepared, report, strict);
}

async function validateScaledJob(
  loaded: Loaded<ScaledJob>,
  set: ManifestSet,
  problems: Problem[],
  strict: boolean,
) {
  const report = sinkFor(loaded, problems);
  checkScaledJob(loaded.object, report);
  const prepared = await prepareTriggersFromFiles(loaded.object, set, false, triggerProblemReporter(report));
  reportTriggerProblems(prepared, report, strict);
}

function validateAuthentication(
  loaded: Loaded<{ kind: string; metadata: { name: string }; spec: TriggerAuthenticationSpec }>,
  problems: Problem[],
) {
  const report = sinkFor(loaded, problems);
  for (const source of unsupportedAuthSources(loaded.object.spec)) {
    report(
      `spec.${source}`,
      `${source} is not supported by Tidal; use secretTargetRef, configMapTargetRef or env`,
    );
  }
  for (const store of SECRET_STORES) {
    const config = loaded.object.spec[store.field];
    if (config === undefined || store.check === undefined) continue;
    for (const problem of store.check(config as never))
      report(
        `spec.${store.field}${problem.path === "" || problem.path.startsWith("[") ? "" : "."}${problem.path}`,
        problem.message,
        problem.severity,
      );
  }
  if (loaded.object.kind === "TriggerAuthentication" && loaded.object.spec.filePath !== undefined) {
    report("spec.filePath", "filePath is only allowed in a ClusterTriggerAuthentication");
  }
  const identity = loaded.object.spec.podIdentity;
  if (identity?.provider === "aws-eks") {
    report(
      "spec.podIdentity.provider",
      'pod identity provider "aws-eks" is deprecated in KEDA and not supported by Tidal (it reads the role from the ' +
        "scale target's ServiceAccount): use provider aws with roleArn",
    );
  } else if (identity?.provider !== undefined && !SUPPORTED_POD_IDENTITIES.has(identity.provider)) {
    report(
      "spec.podIdentity.provider",
      `pod identity provider "${identity.provider}" is not supported by Tidal`,
    );
  }
  if (identity?.provider === "aws") {
    for (const problem of awsPodIdentityAdmissionProblems(identity))
      report(`spec.${problem.key}`, problem.message);
  }
  if (identity !== undefined) {
    for (const problem of azureWorkloadIdentityProblems(identity))
      report(`spec.podIdentity.${problem.field}`, problem.message);
  }
}

/** Pod identity providers Tidal's scalers and stores read (`none` means no identity). */
const SUPPORTED_POD_IDENTITIES: ReadonlySet<string> = new Set(["none", "azure-workload", "aws", "gcp"]);

/**
 * Two objects of one kind with one namespace and name: a cluster would keep the last applied, the
 * files leave it unclear, so the second is an error. Returns the second ones.
 */
function checkDuplicates(set: ManifestSet, problems: Problem[]): Set<unknown> {
  const duplicates = new Set<unknown>();
  for (const collection of Object.values(set) as Loaded<{
    kind: string;
    metadata: { name: string; namespace?: string };
  }>[][]) {
    const seen = new Map<string, Loaded<unknown>>();
    for (const loaded of collection) {
      const { kind, metadata } = loaded.object;
      const key = `${metadata.namespace ?? ""}/${metadata.name}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, loaded);
        continue;
      }
      duplicates.add(loaded);
      sinkFor(loaded, problems)(
        "metadata.name",
        `${kind} "${metadata.name}" is already defined at ${first.line === undefined ? `${first.file} (document ${first.doc})` : `${first.file}:${first.line}`}; give each object its own name`,
      );
    }
  }
  return duplicates;
}

/** Two ScaledObjects in a namespace must not scale the same target or own the same HPA. */
function checkConflicts(set: ManifestSet, problems: Problem[], duplicates: Set<unknown>): void {
  const targets = new Map<string, Loaded<ScaledObject>>();
  const hpas = new Map<string, Loaded<ScaledObject>>();
  for (const loaded of set.scaledObjects) {
    if (duplicates.has(loaded)) continue;
    const { metadata, spec } = loaded.object;
    const ref = spec.scaleTargetRef;
    const target = `${metadata.namespace}/${ref.apiVersion ?? "apps/v1"}/${ref.kind ?? "Deployment"}/${ref.name}`;
    const hpa = `${metadata.namespace}/${hpaName(loaded.object)}`;
    const report = sinkFor(loaded, problems);
    const sameTarget = targets.get(target);
    if (sameTarget) {
      report(
        "spec.scaleTargetRef",
        `ScaledObject "${sameTarget.object.metadata.name}" already scales ${ref.kind ?? "Deployment"} "${ref.name}"`,
      );
    } else targets.set(target, loaded);
    const sameHpa = hpas.get(hpa);
    if (sameHpa)
      report(
        "metadata.name",
        `ScaledObject "${sameHpa.object.metadata.name}" already owns HPA "${hpaName(loaded.object)}"`,
      );
    else hpas.set(hpa, loaded);
  }
}

/** Checks a parsed manifest set: structure was checked on read; this adds KEDA's semantic rules. */
export async function validateSet(set: ManifestSet, options: ValidationOptions = {}): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const loaded of set.scaledObjects)
    await validateScaledObject(loaded, set, problems, options.strict ?? false);
  for (const loaded of set.scaledJobs)
    await validateScaledJob(loaded, set, problems, options.strict ?? false);
  for (const loaded of [...set.triggerAuthentications, ...set.clusterTriggerAuthentications]) {
    validateAuthentication(loaded as never, problems);
  }
  checkConflicts(set, problems, checkDuplicates(set, problems));
  return problems;
}

/** Loads files or folders and validates everything in them. */
export async function validateManifests(
  paths: readonly string[],
  options: ValidationOptions & LoadOptions = {},
): Promise<ValidationResult> {
  const loaded = await (options.load ?? loadManifests)(paths);
  const { set, problems } = readResources(loaded.documents, legacyTriggerRules);
  const semantic = await validateSet(set, options);
  const position = positionProblems(loaded.documents);
  const all = [...loaded.problems, ...problems, ...semantic].map(position);
  all.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.doc - b.doc ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
  return { set, problems: all, position };
}
