/**
 * Reads KEDA 1.x (`keda.k8s.io/v1alpha1`) documents as their `keda.sh/v1alpha1` form, the way
 * KEDA's migration guide describes, and records every change so `tidal migrate` can explain it.
 */

export const LEGACY_API_VERSION = "keda.k8s.io/v1alpha1";
export const API_VERSION = "keda.sh/v1alpha1";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * KEDA 1.x read some trigger metadata values as the NAME of an environment variable of the target;
 * 2.x spells that `<key>FromEnv`.
 */
const ENV_NAME_KEYS: Record<string, readonly string[]> = {
  rabbitmq: ["host", "apiHost"],
  "azure-servicebus": ["connection"],
  "azure-queue": ["connection"],
  "azure-blob": ["connection"],
  "azure-eventhub": ["connection", "storageConnection"],
  redis: ["address", "host", "port", "password"],
  "redis-streams": ["address", "host", "port", "password"],
};

const RENAMED_KEYS: Record<string, Record<string, string>> = {
  kafka: { brokerList: "bootstrapServers" },
  "azure-servicebus": { queueLength: "messageCount" },
};

/** Cross-document facts a conversion needs: TriggerAuthentications whose `apiHost` becomes `host`. */
interface LegacyContext {
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
  for (const [from, to] of Object.entries(RENAMED_KEYS[type] ?? {})) {
    if (metadata[from] === undefined) continue;
    metadata[to] = metadata[from];
    delete metadata[from];
    notes.push(`${path}.metadata.${from} → ${path}.metadata.${to}`);
  }
  for (const key of ENV_NAME_KEYS[type] ?? []) {
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
    return { apiVersion: API_VERSION, kind: "ScaledJob", metadata, spec: jobSpec };
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
  return { apiVersion: API_VERSION, kind: "ScaledObject", metadata, spec: objectSpec };
}

/** True for a KEDA 1.x document Tidal converts on read. */
export function isLegacyDocument(value: unknown): boolean {
  return isObject(value) && value.apiVersion === LEGACY_API_VERSION;
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
  return { ...document, apiVersion: API_VERSION, spec };
}

/**
 * Converts the KEDA 1.x documents among `documents` (others are returned unchanged, with no
 * notes). A ScaledObject becomes a ScaledObject or ScaledJob; a TriggerAuthentication keeps its
 * shape, with rabbitmq's `apiHost` parameter renamed where its triggers moved to `host`.
 */
export function convertLegacyDocuments(documents: readonly unknown[]): { value: unknown; notes: string[] }[] {
  const context: LegacyContext = { rabbitmqApiAuthentications: new Set(), kafkaAuthentications: new Set() };
  const converted = documents.map((value) => {
    if (!isLegacyDocument(value) || (value as Json).kind !== "ScaledObject") return undefined;
    const notes = [`apiVersion ${LEGACY_API_VERSION} → ${API_VERSION}`];
    return { value: convertScaledObject(value as Json, notes, context) as unknown, notes };
  });
  return documents.map((value, index) => {
    const done = converted[index];
    if (done) return done;
    if (!isLegacyDocument(value)) return { value, notes: [] };
    const notes = [`apiVersion ${LEGACY_API_VERSION} → ${API_VERSION}`];
    return { value: convertTriggerAuthentication(value as Json, notes, context), notes };
  });
}
