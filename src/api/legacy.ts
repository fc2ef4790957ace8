import { KEDA_API_VERSION, KEDA_LEGACY_API_VERSION } from "./names.ts";
/**
 * Reads KEDA 1.x (`keda.k8s.io/v1alpha1`) documents as their `keda.sh/v1alpha1` form, the way
 * KEDA's migration guide describes, and records every change so `tidal migrate` can explain it.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How KEDA 1.x wrote one trigger type's metadata differently (declared by each scaler). */
export interface LegacyTriggerRule {
  /** Keys KEDA 2.x renamed: old name → new name. */
  renamedKeys?: Readonly<Record<string, string>>;
  /**
   * Keys whose value KEDA 1.x read as the NAME of an environment variable of the target; KEDA 2.x
   * spells that `<key>FromEnv`.
   */
  envNameKeys?: readonly string[];
}

/** The rule of a trigger type, if it has one. */
export type LegacyTriggerRules = (type: string) => LegacyTriggerRule | undefined;

/** Cross-document facts a conversion needs: TriggerAuthentications whose `apiHost` becomes `host`. */
interface LegacyContext {
  rules: LegacyTriggerRules;
  rabbitmqApiAuthentications: Set<string>;
  /** TriggerAuthentications used by kafka triggers, whose KEDA 1.x `authMode` KEDA 2.x ignores. */
  kafkaAuthentications: Set<string>;
}

function convertTrigger(trigger: Json, path: string, notes: string[], context: LegacyContext): Json {
  const type = String(trigger.type ?? "");
  const metadata: Record<string, string> = isObject(trigger.metadata)
    ? { ...(trigger.metadata as Record<string, string>) }
    : {};
  if (type === "rabbitmq" && "includeUnacked" in metadata) {
    const viaApi = String(metadata.includeUnacked).toLowerCase() === "true";
    delete metadata.includeUnacked;
    if (viaApi) {
      if (metadata.apiHost !== undefined) metadata.host = metadata.apiHost;
      if (isObject(trigger.authenticationRef))
        context.rabbitmqApiAuthentications.add(String(trigger.authenticationRef.name));
      metadata.protocol = "http";
      notes.push(
        `${path}.metadata: includeUnacked "true" → protocol "http" with host from apiHost (counts ready + unacked)`,
      );
    } else {
      metadata.protocol = "amqp";
      notes.push(`${path}.metadata: includeUnacked "false" → protocol "amqp"`);
    }
    delete metadata.apiHost;
  }
  const rule = context.rules(type);
  for (const [from, to] of Object.entries(rule?.renamedKeys ?? {})) {
    if (metadata[from] === undefined) continue;
    metadata[to] = metadata[from];
    delete metadata[from];
    notes.push(`${path}.metadata.${from} → ${path}.metadata.${to}`);
  }
  for (const key of rule?.envNameKeys ?? []) {
    if (metadata[key] === undefined) continue;
    metadata[`${key}FromEnv`] = metadata[key];
    delete metadata[key];
    notes.push(
      `${path}.metadata.${key} named an environment variable in KEDA 1.x → ${path}.metadata.${key}FromEnv`,
    );
  }
  if (type === "kafka" && isObject(trigger.authenticationRef))
    context.kafkaAuthentications.add(String(trigger.authenticationRef.name));
  const converted: Json = { ...trigger, metadata };
  if (isObject(trigger.authenticationRef))
    converted.authenticationRef = { name: trigger.authenticationRef.name };
  return converted;
}

function convertScaledObject(document: Json, notes: string[], context: LegacyContext): Json {
  const spec = isObject(document.spec) ? document.spec : {};
  const metadata: Json = isObject(document.metadata) ? { ...document.metadata } : {};
  if (isObject(metadata.labels) && "deploymentName" in metadata.labels) {
    const { deploymentName: _unused, ...labels } = metadata.labels;
    metadata.labels = labels;
    if (Object.keys(labels).length === 0) delete metadata.labels;
    notes.push("metadata.labels.deploymentName is no longer needed and was removed");
  }
  const triggers = Array.isArray(spec.triggers)
    ? spec.triggers.map((trigger, index) =>
        isObject(trigger) ? convertTrigger(trigger, `spec.triggers[${index}]`, notes, context) : trigger,
      )
    : spec.triggers;
  const target = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  const common: Json = {};
  for (const key of ["pollingInterval", "maxReplicaCount"])
    if (spec[key] !== undefined) common[key] = spec[key];

  if (spec.scaleType === "job") {
    notes.push(
      "spec.scaleType job → kind ScaledJob (cooldownPeriod and minReplicaCount do not apply to jobs)",
    );
    const jobSpec: Json = { jobTargetRef: spec.jobTargetRef, ...common };
    if (target.containerName !== undefined) {
      jobSpec.envSourceContainerName = target.containerName;
      notes.push("spec.scaleTargetRef.containerName → spec.envSourceContainerName");
    }
    jobSpec.triggers = triggers;
    return { apiVersion: KEDA_API_VERSION, kind: "ScaledJob", metadata, spec: jobSpec };
  }
  const scaleTargetRef: Json = {};
  if (target.deploymentName !== undefined) {
    scaleTargetRef.name = target.deploymentName;
    notes.push("spec.scaleTargetRef.deploymentName → spec.scaleTargetRef.name");
  }
  if (target.containerName !== undefined) {
    scaleTargetRef.envSourceContainerName = target.containerName;
    notes.push("spec.scaleTargetRef.containerName → spec.scaleTargetRef.envSourceContainerName");
  }
  const objectSpec: Json = { scaleTargetRef, ...common };
  for (const key of ["cooldownPeriod", "minReplicaCount"])
    if (spec[key] !== undefined) objectSpec[key] = spec[key];
  objectSpec.triggers = triggers;
  if (spec.scaleType !== undefined)
    notes.push(`spec.scaleType ${String(spec.scaleType)} is implied by kind ScaledObject and was removed`);
  return { apiVersion: KEDA_API_VERSION, kind: "ScaledObject", metadata, spec: objectSpec };
}

/** True for a KEDA 1.x document Tidal converts on read. */
export function isLegacyDocument(value: unknown): boolean {
  return isObject(value) && value.apiVersion === KEDA_LEGACY_API_VERSION;
}

function convertTriggerAuthentication(document: Json, notes: string[], context: LegacyContext): Json {
  const name = isObject(document.metadata) ? String(document.metadata.name) : "";
  const spec = isObject(document.spec) ? { ...document.spec } : {};
  if (context.rabbitmqApiAuthentications.has(name)) {
    for (const key of ["secretTargetRef", "env"] as const) {
      const entries = spec[key];
      if (
        !Array.isArray(entries) ||
        !entries.some((entry) => isObject(entry) && entry.parameter === "apiHost")
      )
        continue;
      spec[key] = entries
        .filter((entry) => !(isObject(entry) && entry.parameter === "host"))
        .map((entry) =>
          isObject(entry) && entry.parameter === "apiHost" ? { ...entry, parameter: "host" } : entry,
        );
      notes.push(`spec.${key}: parameter apiHost → host (a rabbitmq trigger used includeUnacked)`);
    }
  }
  if (context.kafkaAuthentications.has(name)) {
    for (const key of ["secretTargetRef", "env"] as const) {
      const entries = spec[key];
      if (
        !Array.isArray(entries) ||
        !entries.some((entry) => isObject(entry) && entry.parameter === "authMode")
      )
        continue;
      // The value usually sits in a Secret, so it cannot be rewritten here: say what to do instead.
      notes.push(
        `spec.${key}: parameter authMode (kafka, KEDA 1.x) is ignored by KEDA 2.x (Tidal still reads it); ` +
          `for KEDA 2.x replace it with sasl (plaintext, scram_sha256, scram_sha512) and tls (enable): ` +
          `sasl_plaintext → sasl plaintext, sasl_ssl_plain → sasl plaintext + tls enable`,
      );
    }
  }
  return { ...document, apiVersion: KEDA_API_VERSION, spec };
}

/**
 * Converts the KEDA 1.x documents among `documents` (others are returned unchanged, with no
 * notes). A ScaledObject becomes a ScaledObject or ScaledJob; a TriggerAuthentication keeps its
 * shape, with rabbitmq's `apiHost` parameter renamed where its triggers moved to `host`.
 */
export function convertLegacyDocuments(
  documents: readonly unknown[],
  rules: LegacyTriggerRules,
): { value: unknown; notes: string[] }[] {
  const context: LegacyContext = {
    rules,
    rabbitmqApiAuthentications: new Set(),
    kafkaAuthentications: new Set(),
  };
  const converted = documents.map((value) => {
    if (!isLegacyDocument(value) || (value as Json).kind !== "ScaledObject") return undefined;
    const notes = [`apiVersion ${KEDA_LEGACY_API_VERSION} → ${KEDA_API_VERSION}`];
    return { value: convertScaledObject(value as Json, notes, context) as unknown, notes };
  });
  return documents.map((value, index) => {
    const done = converted[index];
    if (done) return done;
    if (!isLegacyDocument(value)) return { value, notes: [] };
    const notes = [`apiVersion ${KEDA_LEGACY_API_VERSION} → ${KEDA_API_VERSION}`];
    return { value: convertTriggerAuthentication(value as Json, notes, context), notes };
  });
}
