import { manifestAuthSources } from "../auth/manifest-sources.ts";
import { AuthResolutionError, resolveAuthParams } from "../auth/resolve.ts";
import { MODE_ANNOTATION, parseControlAnnotations, SCALING_MODES } from "../engine/annotations.ts";
import { compileFormula } from "../engine/formula/compile.ts";
import { hpaName } from "../engine/hpa-model.ts";
import { prepareTrigger, type PreparedTrigger } from "../scalers/prepared-trigger.ts";
import { findScaler } from "../scalers/registry.ts";
import { didYouMean } from "../util/did-you-mean.ts";
import { messageOf } from "../util/errors.ts";
import { loadManifests, type Problem } from "./load.ts";
import { readResources, type Loaded, type ManifestSet } from "./resources.ts";
import type { ScaledJob } from "./schema/scaled-job.ts";
import type { ScaledObject } from "./schema/scaled-object.ts";
import type { ScaleTrigger } from "./schema/trigger.ts";
import { UNSUPPORTED_AUTH_SOURCES, type TriggerAuthenticationSpec } from "./schema/trigger-authentication.ts";

export interface ValidationOptions {
  /** Unknown scaler metadata keys are errors instead of warnings. */
  strict?: boolean;
}

export interface ValidationResult {
  set: ManifestSet;
  problems: Problem[];
}

const RESOURCE_TRIGGERS = new Set(["cpu", "memory"]);
const MAX_NAME_LENGTH = 63;

export type ProblemSink = (path: string, message: string, severity?: "error" | "warning") => void;

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

/** Whether a ScaledObject combines its triggers with a scalingModifiers formula. */
export function usesFormula(object: ScaledObject): boolean {
  return Boolean(object.spec.advanced?.scalingModifiers?.formula);
}

/** What reading triggers from the files alone found, for `spec.triggers[index]` + `path`. */
export type TriggerFileProblem = (
  index: number,
  path: string,
  message: string,
  severity: "error" | "warning",
) => void;

/**
 * Prepares an object's triggers from the files alone: authentication parameters come from the
 * (Cluster)TriggerAuthentications and Secrets in the files when they are there, environment
 * values never (they belong to the workload). What only the cluster could settle (a Secret not in
 * the files) stays unresolved; what the files themselves get wrong goes to `onProblem`.
 */
export async function prepareTriggersFromFiles(
  object: ScaledObject | ScaledJob,
  set: ManifestSet,
  asMetricSource: boolean,
  onProblem: TriggerFileProblem = () => {},
): Promise<PreparedTrigger[]> {
  const sources = manifestAuthSources(set);
  const namespace = object.metadata.namespace ?? "default";
  const prepared: PreparedTrigger[] = [];
  for (const [index, trigger] of object.spec.triggers.entries()) {
    const unresolved = new Set<"auth" | "env">(["env"]);
    let authParams: Record<string, string> = {};
    const reference = trigger.authenticationRef;
    if (reference) {
      const known =
        reference.kind === "ClusterTriggerAuthentication"
          ? await sources.clusterTriggerAuthentication(reference.name)
          : await sources.triggerAuthentication(namespace, reference.name);
      if (known === undefined) {
        unresolved.add("auth");
        onProblem(
          index,
          "authenticationRef.name",
          `${reference.kind} "${reference.name}" is not in the given files; its parameters were not checked`,
          "warning",
        );
      } else {
        try {
          authParams = await resolveAuthParams(reference, sources, {
            namespace,
            clusterObjectNamespace: namespace,
            containerEnv: {},
          });
        } catch (error) {
          // Secrets usually live only in the cluster: the parameters exist, their values are unknown here.
          unresolved.add("auth");
          if (error instanceof AuthResolutionError && error.missingKey)
            onProblem(index, "authenticationRef", error.message, "error");
        }
        for (const parameter of unknownAuthParameters(trigger.type, known.spec))
          onProblem(
            index,
            "authenticationRef",
            `${reference.kind} "${reference.name}" sets parameter "${parameter}", which ${trigger.type} does not read from an authentication${didYouMean(parameter, authParameterNames(trigger.type))}`,
            "warning",
          );
      }
    }
    prepared.push(
      prepareTrigger(trigger, index, { authParams, resolvedEnv: {}, unresolved }, { asMetricSource }),
    );
  }
  return prepared;
}

/** Parameters a scaler takes from a TriggerAuthentication. */
function authParameterNames(type: string): string[] {
  const params = findScaler(type)?.params ?? {};
  return Object.entries(params)
    .filter(([, declaration]) => declaration.sources?.includes("auth"))
    .map(([name]) => name);
}

/** Parameters an authentication sets that the trigger's scaler never reads from one. */
function unknownAuthParameters(type: string, spec: TriggerAuthenticationSpec): string[] {
  if (findScaler(type) === undefined) return [];
  const known = new Set(authParameterNames(type));
  const set = [...(spec.secretTargetRef ?? []), ...(spec.configMapTargetRef ?? []), ...(spec.env ?? [])].map(
    (entry) => entry.parameter,
  );
  return [...new Set(set)].filter((parameter) => !known.has(parameter));
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

function checkTriggerList(
  triggers: readonly ScaleTrigger[],
  report: ProblemSink,
  kind: "ScaledObject" | "ScaledJob",
): void {
  const seen = new Map<string, number>();
  for (const [index, trigger] of triggers.entries()) {
    if (trigger.name) {
      const first = seen.get(trigger.name);
      if (first !== undefined) {
        report(
          `spec.triggers[${index}].name`,
          `duplicate trigger name "${trigger.name}" (also spec.triggers[${first}].name); names must be unique`,
        );
      } else seen.set(trigger.name, index);
    }
    if (trigger.useCachedMetrics && ["cpu", "memory", "cron"].includes(trigger.type)) {
      report(
        `spec.triggers[${index}].useCachedMetrics`,
        `useCachedMetrics is not supported for ${trigger.type} triggers`,
      );
    }
    if (kind === "ScaledJob" && trigger.metricType !== undefined) {
      report(
        `spec.triggers[${index}].metricType`,
        "metricType is not supported for ScaledJob triggers; remove it",
      );
    }
    if (kind === "ScaledJob" && trigger.useCachedMetrics) {
      report(
        `spec.triggers[${index}].useCachedMetrics`,
        "useCachedMetrics is ignored for ScaledJob",
        "warning",
      );
    }
  }
}

function checkScalingModifiers(object: ScaledObject, report: ProblemSink): void {
  const modifiers = object.spec.advanced?.scalingModifiers;
  const fallback = object.spec.fallback;
  if (fallback?.behavior === "scalingModifiers" && !modifiers?.formula) {
    report(
      "spec.fallback.behavior",
      "behavior scalingModifiers needs spec.advanced.scalingModifiers.formula",
    );
  }
  if (modifiers === undefined) return;
  const path = "spec.advanced.scalingModifiers";
  if (!modifiers.formula) {
    if (Object.keys(modifiers).length > 0)
      report(`${path}.formula`, "formula is required when scalingModifiers is set");
    return;
  }
  const target = Number(modifiers.target);
  if (modifiers.target === undefined || modifiers.target.trim() === "")
    report(`${path}.target`, "target is required with a formula");
  else if (!Number.isFinite(target) || target <= 0)
    report(`${path}.target`, `target must be a number greater than 0, got "${modifiers.target}"`);
  else if (fallback !== undefined && !Number.isInteger(target)) {
    report(
      `${path}.target`,
      "with fallback configured, target must be a whole number (KEDA's fallback needs an integer target)",
    );
  }
  if (modifiers.activationTarget !== undefined && !Number.isFinite(Number(modifiers.activationTarget))) {
    report(
      `${path}.activationTarget`,
      `activationTarget must be a number, got "${modifiers.activationTarget}"`,
    );
  }
  if (modifiers.metricType === "Utilization")
    report(`${path}.metricType`, "metricType must be AverageValue or Value");
  const names = object.spec.triggers
    .filter((trigger) => trigger.name && !RESOURCE_TRIGGERS.has(trigger.type))
    .map((trigger) => trigger.name);
  try {
    compileFormula(modifiers.formula, names);
  } catch (error) {
    // The path already names the formula.
    report(`${path}.formula`, messageOf(error).replace(/^formula: /, ""));
  }
}

function checkReplicaBounds(
  spec: { minReplicaCount: number; maxReplicaCount: number; idleReplicaCount?: number | undefined },
  report: ProblemSink,
): void {
  if (spec.minReplicaCount > spec.maxReplicaCount) {
    report(
      "spec.minReplicaCount",
      `minReplicaCount (${spec.minReplicaCount}) must be less than or equal to maxReplicaCount (${spec.maxReplicaCount})`,
    );
  }
  if (spec.idleReplicaCount !== undefined) {
    if (spec.idleReplicaCount >= spec.minReplicaCount) {
      report(
        "spec.idleReplicaCount",
        `idleReplicaCount (${spec.idleReplicaCount}) must be less than minReplicaCount (${spec.minReplicaCount})`,
      );
    } else if (spec.idleReplicaCount > 0) {
      report("spec.idleReplicaCount", "only 0 is supported for idleReplicaCount, as in KEDA", "warning");
    }
  }
}

/** KEDA's semantic checks of a ScaledObject beyond its schema (the webhook's and reconcile's). */
export function checkScaledObject(object: ScaledObject, report: ProblemSink): void {
  const { spec } = object;
  checkReplicaBounds(spec, report);
  if (hpaName(object).length > MAX_NAME_LENGTH) {
    report(
      "spec.advanced.horizontalPodAutoscalerConfig.name",
      `the HPA name "${hpaName(object)}" is longer than 63 characters`,
    );
  }
  const mode = object.metadata.annotations?.[MODE_ANNOTATION];
  if (mode !== undefined && !(SCALING_MODES as readonly string[]).includes(mode)) {
    report(
      `metadata.annotations["${MODE_ANNOTATION}"]`,
      `must be ${SCALING_MODES.map((name) => `"${name}"`).join(" or ")}, got "${mode}"; the HPA is used`,
      "warning",
    );
  }
  checkTriggerList(spec.triggers, report, "ScaledObject");
  for (const [index, trigger] of spec.triggers.entries()) {
    if (trigger.metricType === "Utilization" && !RESOURCE_TRIGGERS.has(trigger.type)) {
      report(
        `spec.triggers[${index}].metricType`,
        "metricType Utilization is only valid for cpu and memory triggers",
      );
    }
  }
  const onlyResources = spec.triggers.every((trigger) => RESOURCE_TRIGGERS.has(trigger.type));
  if (spec.fallback && !usesFormula(object) && onlyResources) {
    report("spec.fallback", "fallback needs at least one trigger that is not cpu or memory");
  }
  if (onlyResources && spec.minReplicaCount === 0) {
    report(
      "spec.minReplicaCount",
      "a ScaledObject whose triggers are all cpu or memory cannot scale to zero: set minReplicaCount to 1 or more",
    );
  }
  checkScalingModifiers(object, report);
  const annotations = parseControlAnnotations(object.metadata.annotations);
  if (annotations.pausedReplicas && "error" in annotations.pausedReplicas) {
    report("metadata.annotations", annotations.pausedReplicas.error);
  }
}

/** KEDA's semantic checks of a ScaledJob beyond its schema. */
export function checkScaledJob(object: ScaledJob, report: ProblemSink): void {
  const { spec } = object;
  checkReplicaBounds(spec, report);
  checkTriggerList(spec.triggers, report, "ScaledJob");
  const strategy = spec.scalingStrategy;
  if (
    strategy.customScalingRunningJobPercentage !== undefined &&
    !Number.isFinite(Number(strategy.customScalingRunningJobPercentage))
  ) {
    report(
      "spec.scalingStrategy.customScalingRunningJobPercentage",
      `must be a number such as "0.5", got "${strategy.customScalingRunningJobPercentage}" (KEDA then falls back to the default strategy)`,
      "warning",
    );
  }
  if (spec.rolloutStrategy !== undefined)
    report("spec.rolloutStrategy", "rolloutStrategy is deprecated; use rollout.strategy", "warning");
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
  loaded: Loaded<{ kind: string; metadata: { name: string }; spec: Record<string, unknown> }>,
  problems: Problem[],
) {
  const report = sinkFor(loaded, problems);
  for (const source of UNSUPPORTED_AUTH_SOURCES) {
    if (loaded.object.spec[source] !== undefined) {
      report(
        `spec.${source}`,
        `${source} is not supported by Tidal; use secretTargetRef, configMapTargetRef or env`,
      );
    }
  }
  if (loaded.object.kind === "TriggerAuthentication" && loaded.object.spec.filePath !== undefined) {
    report("spec.filePath", "filePath is only allowed in a ClusterTriggerAuthentication");
  }
  const identity = loaded.object.spec.podIdentity as { provider?: string } | undefined;
  if (identity?.provider !== undefined && identity.provider !== "none") {
    report(
      "spec.podIdentity.provider",
      `pod identity provider "${identity.provider}" is not supported by Tidal`,
    );
  }
}

/** Two ScaledObjects in a namespace must not scale the same target or own the same HPA. */
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
        `${kind} "${metadata.name}" is already defined at ${first.file}:${first.doc}; give each object its own name`,
      );
    }
  }
  return duplicates;
}

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
  options: ValidationOptions = {},
): Promise<ValidationResult> {
  const loaded = await loadManifests(paths);
  const { set, problems } = readResources(loaded.documents);
  const semantic = await validateSet(set, options);
  const all = [...loaded.problems, ...problems, ...semantic];
  all.sort((a, b) => a.file.localeCompare(b.file) || a.doc - b.doc);
  return { set, problems: all };
}
