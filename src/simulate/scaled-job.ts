/**
 * simulateScaledJob: a ScaledJob against a metric trace on a virtual clock. Every pollingInterval
 * KEDA's ScaledJob logic (decideScaledJob) reads the trace and creates Jobs; each Job runs
 * `jobSeconds` and then completes. The trace is the queue as observed, so the Jobs do not drain it:
 * replay a queue that already reflects them (an export from the system being modelled).
 */
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import { decideScaledJob } from "../engine/scaled-job.ts";
import type { TriggerMetricSpec } from "../engine/types.ts";
import { SIMULATION_EPOCH } from "./autoscaler.ts";
import { matchTraceColumns, type MetricTrace, readMetricTrace } from "./metric-trace.ts";
import type { SimulationStep } from "./simulate.ts";

export interface ScaledJobSimulationOptions {
  scaledJob: ScaledJob;
  metricSpecs: TriggerMetricSpec[];
  trace: MetricTrace;
  /** How long each Job runs, in seconds. */
  jobSeconds: number;
  durationSeconds: number;
}

export interface ScaledJobStep extends SimulationStep {
  /** Jobs this poll created. */
  created: number;
}

export interface ScaledJobSummary {
  jobsCreated: number;
  /** The most Jobs running at once. */
  maxRunning: number;
  /** ∫ running jobs dt: what the Jobs cost. */
  jobSeconds: number;
}

export interface ScaledJobResult {
  steps: ScaledJobStep[];
  metricColumns: string[];
  unfedTriggers: string[];
  summary: ScaledJobSummary;
}

export function simulateScaledJob(options: ScaledJobSimulationOptions): ScaledJobResult {
  const { scaledJob, metricSpecs, jobSeconds, durationSeconds } = options;
  const reader = readMetricTrace(options.trace, metricSpecs);
  const { unfed } = matchTraceColumns(options.trace.columns, metricSpecs);
  const poll = scaledJob.spec.pollingInterval;
  /** The instant each created Job completes. */
  let jobs: number[] = [];
  const steps: ScaledJobStep[] = [];
  let jobsCreated = 0;
  let maxRunning = 0;
  let jobTime = 0;
  for (let t = 0; t < durationSeconds; t += poll) {
    jobs = jobs.filter((end) => end > t);
    const running = jobs.length;
    const decision = decideScaledJob({
      scaledJob,
      metricSpecs,
      samples: reader.samplesAt(t),
      runningJobs: running,
      pendingJobs: 0,
      now: SIMULATION_EPOCH + t * 1000,
    });
    const created = decision.jobsToCreate;
    for (let index = 0; index < created; index++) jobs.push(t + jobSeconds);
    jobsCreated += created;
    maxRunning = Math.max(maxRunning, jobs.length);
    const { trace } = decision;
    const deciding = trace.steps.findLast((step) => step.rule === trace.boundedBy);
    steps.push({
      t,
      kind: "keda",
      replicas: jobs.length,
      desired: running + created,
      created,
      active: decision.active,
      fallback: false,
      rule: trace.boundedBy,
      reason: trace.summary,
      ...(deciding ? { detail: deciding.detail } : {}),
      metrics: reader.valuesAt(t),
    });
  }
  // Each Job runs from its poll for jobSeconds, or until the end.
  for (const step of steps)
    jobTime += step.created * Math.min(jobSeconds, Math.max(0, durationSeconds - step.t));
  return {
    steps,
    metricColumns: reader.labels,
    unfedTriggers: unfed,
    summary: { jobsCreated, maxRunning, jobSeconds: jobTime },
  };
}
