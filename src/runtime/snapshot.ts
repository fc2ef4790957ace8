import type { Condition } from "../api/schema/primitives.ts";

/** One trigger in the status API. */
export interface TriggerSnapshot {
  name: string;
  type: string;
  metricName: string;
  value: number | null;
  target: number;
  active: boolean;
  error: string | null;
}

/** A ScaledObject or ScaledJob as `GET /api/v1/scaledobjects` and `/scaledjobs` show it. */
export interface ObjectSnapshot {
  name: string;
  namespace: string;
  target: { kind: string; name: string };
  /** Current replicas (running jobs for a ScaledJob). */
  replicas: number;
  desiredReplicas: number;
  readyReplicas: number;
  /** The Ready condition is True: defined correctly, and triggers readable. */
  ready: boolean;
  active: boolean;
  fallback: boolean;
  paused: boolean;
  lastActiveTime: string | null;
  lastEvaluationTime: string | null;
  conditions: Condition[];
  triggers: TriggerSnapshot[];
}

export function conditionIs(conditions: readonly Condition[], type: string, status: Condition["status"]): boolean {
  return conditions.some((condition) => condition.type === type && condition.status === status);
}
