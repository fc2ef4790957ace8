import type { ScaleTrigger } from "../../src/api/schema/trigger.ts";
import type { PodIdentity } from "../../src/api/schema/trigger-authentication.ts";
import { prepareTrigger, type PreparedTrigger } from "../../src/scalers/prepared-trigger.ts";

export interface PrepareOptions {
  index?: number;
  authParams?: Record<string, string>;
  resolvedEnv?: Record<string, string>;
  asMetricSource?: boolean;
  metricType?: ScaleTrigger["metricType"];
  /** The TriggerAuthentication's pod identity (provider `none` is the same as none). */
  podIdentity?: PodIdentity;
  /** The ScaledObject's namespace (default "default"). */
  namespace?: string;
}

/** A trigger of `type` with `metadata`, prepared as a ScaledObject's trigger would be. */
export function prepareScalerTrigger(
  type: string,
  metadata: Record<string, string>,
  options: PrepareOptions = {},
): PreparedTrigger {
  return prepareTrigger(
    {
      type,
      name: "",
      useCachedMetrics: false,
      metadata,
      ...(options.metricType ? { metricType: options.metricType } : {}),
    },
    options.index ?? 0,
    {
      authParams: options.authParams ?? {},
      resolvedEnv: options.resolvedEnv ?? {},
      ...(options.podIdentity && options.podIdentity.provider !== "none"
        ? { podIdentity: options.podIdentity }
        : {}),
    },
    { asMetricSource: options.asMetricSource ?? false, namespace: options.namespace ?? "default" },
  );
}

/** The prepared trigger with the messages of its errors (warnings left out). */
export function withErrorMessages(prepared: PreparedTrigger): PreparedTrigger & { errors: string[] } {
  const errors = prepared.problems
    .filter((problem) => problem.severity === "error")
    .map((problem) => problem.message);
  return { ...prepared, errors };
}
