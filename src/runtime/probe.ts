import type { ManifestSet } from "../api/resources.ts";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import { usesFormula, type ScaledObject } from "../api/schema/scaled-object.ts";
import { ConnectionPool } from "../scalers/connection-pool.ts";
import { connectTrigger, prepareTrigger } from "../scalers/prepared-trigger.ts";
import { messageOf } from "../util/errors.ts";
import { sampleActive } from "./readings.ts";
import { fileTriggerInputs, targetEnvironment, type FileEnvironment } from "./file-trigger-inputs.ts";

/** One trigger's reading, as `tidal probe` reports it. */
export interface ProbeResult {
  kind: "ScaledObject" | "ScaledJob";
  scaledObject: string;
  namespace: string;
  /** The trigger's name, or its index when it has none. */
  trigger: string | number;
  type: string;
  metricName: string | null;
  value: number | null;
  target: number | null;
  targetType: string | null;
  active: boolean | null;
  error: string | null;
  latencyMs: number | null;
}

export interface ProbeOptions {
  /** Deadline of one measurement. */
  timeoutMs: number;
  environment: FileEnvironment;
}

async function probeObject(
  object: ScaledObject | ScaledJob,
  set: ManifestSet,
  pool: ConnectionPool,
  options: ProbeOptions,
) {
  const { timeoutMs, environment: processEnvironment } = options;
  const base = {
    kind: object.kind,
    scaledObject: object.metadata.name,
    namespace: object.metadata.namespace ?? "default",
  };
  const asMetricSource = object.kind === "ScaledObject" && usesFormula(object);
  let environment: Record<string, string> = {};
  let environmentError: string | undefined;
  try {
    environment = await targetEnvironment(object, set, processEnvironment);
  } catch (error) {
    environmentError = messageOf(error);
  }
  return Promise.all(
    object.spec.triggers.map(async (trigger, index): Promise<ProbeResult> => {
      const empty = {
        metricName: null,
        value: null,
        target: null,
        targetType: null,
        active: null,
        latencyMs: null,
      };
      const label = trigger.name || index;
      const fail = (error: string): ProbeResult => ({
        ...base,
        ...empty,
        trigger: label,
        type: trigger.type,
        error,
      });
      if (environmentError) return fail(environmentError);
      let inputs;
      try {
        inputs = await fileTriggerInputs(object, trigger, set, environment, processEnvironment);
      } catch (error) {
        return fail(messageOf(error));
      }
      const prepared = prepareTrigger(trigger, index, inputs, {
        asMetricSource,
        namespace: object.metadata.namespace,
      });
      if (prepared.resource) {
        // The HPA reads cpu and memory from metrics.k8s.io; there is nothing for Tidal to read.
        const { name, targetType, value } = prepared.resource;
        return {
          ...base,
          ...empty,
          trigger: label,
          type: trigger.type,
          metricName: name,
          target: Number.parseFloat(value),
          targetType,
          error: null,
        };
      }
      const errors = prepared.problems.filter((problem) => problem.severity === "error");
      if (errors.length > 0 || prepared.metricSpec === undefined) {
        return fail(errors.map((problem) => `${problem.key}: ${problem.message}`).join("; "));
      }
      const spec = prepared.metricSpec;
      const measurer = connectTrigger(prepared, {
        scalableObject: { kind: object.kind, namespace: base.namespace, name: base.scaledObject },
        metricType: spec.targetType,
        asMetricSource,
        timeoutMs,
        pool,
        processEnvironment: processEnvironment.inherited,
        ...(processEnvironment.kubernetes ? { kubernetes: processEnvironment.kubernetes } : {}),
      });
      try {
        const sample = await measurer.measure();
        return {
          ...base,
          trigger: label,
          type: trigger.type,
          // The source may name the metric itself (external scalers, an azure-pipelines pool name).
          metricName: sample.metricName ?? spec.metricName,
          value: sample.value ?? null,
          target: spec.target,
          targetType: spec.targetType,
          active: sample.error === undefined ? sampleActive(spec, sample) : null,
          error: sample.error ?? null,
          latencyMs: Math.round(sample.latencyMs),
        };
      } finally {
        await measurer.close();
      }
    }),
  );
}

/** Reads every trigger of every ScaledObject and ScaledJob once, in parallel. */
export async function probe(set: ManifestSet, options: ProbeOptions): Promise<ProbeResult[]> {
  const pool = new ConnectionPool();
  const objects = [...set.scaledObjects, ...set.scaledJobs].map((loaded) => loaded.object);
  const results = await Promise.all(objects.map((object) => probeObject(object, set, pool, options)));
  return results.flat();
}
