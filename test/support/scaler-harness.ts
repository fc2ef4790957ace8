import type { PodIdentity } from "../../src/api/schema/trigger-authentication.ts";
import { ConnectionPool } from "../../src/scalers/connection-pool.ts";
import { connectTrigger, prepareTrigger, type TriggerMeasurer } from "../../src/scalers/prepared-trigger.ts";
import type { Cleanup } from "./isolation.ts";

export interface TriggerUnderTest {
  type: string;
  name?: string;
  metadata: Record<string, string>;
  metricType?: "AverageValue" | "Value";
  authParams?: Record<string, string>;
  /** The TriggerAuthentication's podIdentity (never provider none). */
  podIdentity?: PodIdentity;
  resolvedEnv?: Record<string, string>;
  index?: number;
  timeoutMs?: number;
  pool?: ConnectionPool;
}

/**
 * Prepares and connects one trigger through the same path the runtimes use. Throws when the
 * parameters have errors, listing them. Close the returned measurer (or register it for cleanup).
 */
export function connectTestTrigger(trigger: TriggerUnderTest): TriggerMeasurer {
  const index = trigger.index ?? 0;
  const prepared = prepareTrigger(
    {
      type: trigger.type,
      name: trigger.name ?? "",
      useCachedMetrics: false,
      metadata: trigger.metadata,
      ...(trigger.metricType ? { metricType: trigger.metricType } : {}),
    },
    index,
    {
      authParams: trigger.authParams ?? {},
      resolvedEnv: trigger.resolvedEnv ?? {},
      ...(trigger.podIdentity ? { podIdentity: trigger.podIdentity } : {}),
    },
    { asMetricSource: false },
  );
  const errors = prepared.problems.filter((problem) => problem.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `invalid trigger: ${errors.map((problem) => `${problem.key}: ${problem.message}`).join("; ")}`,
    );
  }
  return connectTrigger(prepared, {
    scalableObject: { kind: "ScaledObject", namespace: "default", name: "test" },
    metricType: trigger.metricType ?? "AverageValue",
    asMetricSource: false,
    timeoutMs: trigger.timeoutMs ?? 3000,
    pool: trigger.pool ?? new ConnectionPool(),
  });
}

/**
 * Watches a trigger's push path until the test ends: counts its wakes and collects the errors it
 * reports. `wakes` reads the count at the time of the call.
 */
export function watchPushes(
  cleanup: Cleanup,
  trigger: TriggerMeasurer,
): { wakes: () => number; errors: Error[] } {
  let wakes = 0;
  const errors: Error[] = [];
  const stop = trigger.scaler.watch?.(
    () => (wakes += 1),
    (error) => errors.push(error),
  );
  cleanup.add(() => stop?.());
  return { wakes: () => wakes, errors };
}
