/** What both normalizations (with and without `spec.behavior`) take and give. */
import type { DecisionStep, TimestampedRecommendation } from "../types.ts";

export interface NormalizationInput {
  current: number;
  /** The metrics' proposal before stabilization and limits. */
  desired: number;
  minReplicas: number;
  maxReplicas: number;
  now: number;
  recommendations: readonly TimestampedRecommendation[];
}

export interface Normalization {
  replicas: number;
  recommendations: TimestampedRecommendation[];
  /** Stabilization and limit steps that changed the count, in order. */
  steps: DecisionStep[];
}
