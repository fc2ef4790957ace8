/**
 * The replicas one metric asks for (replica_calculator.go). Values travel as milli-quantities between
 * KEDA and the HPA, so both sides of every ratio are rounded to thousandths first. An External
 * AverageValue divides the total by the target; Value, and the cpu/memory Resource metrics (per-pod
 * averages: Utilization in percent, AverageValue in units), scale the ready pods by value ÷ target.
 * A Resource metric is an average over the ready pods only: on a scale-up the HPA counts the pods that
 * exist but are not ready as using nothing, and keeps the count if that takes the ratio back into the
 * tolerance band or below 1.
 */
import type { HpaMetricReading, HpaModel } from "../types.ts";
import { formatNumber } from "../../util/format-number.ts";
import { type Tolerances, isWithinTolerance } from "./behavior.ts";

export interface ReplicaCounts {
  /** `scale.spec.replicas`: what the HPA treats as the current count. */
  specReplicas: number;
  /** `scale.status.replicas`: pods that exist, ready or not. */
  statusReplicas: number;
  /** Running and Ready pods. */
  readyPods: number;
}

export interface MetricProposal {
  metricName: string;
  targetType: HpaModel["metrics"][number]["targetType"];
  target: number;
  value: number | null;
  error?: string;
  /** Replicas this metric alone asks for; null when the metric could not be read. */
  replicas: number | null;
  withinTolerance: boolean;
  detail: string;
}

const toMilli = (value: number) => Math.round(value * 1000);
/** Replica counts are int32 in the API; the controller caps a proposal there. */
const MAX_REPLICAS = 2 ** 31 - 1;

export function proposeReplicas(
  metric: HpaModel["metrics"][number],
  reading: HpaMetricReading | undefined,
  counts: ReplicaCounts,
  tolerances: Tolerances,
): MetricProposal {
  const base = { metricName: metric.metricName, targetType: metric.targetType, target: metric.target };
  const failed = (error: string): MetricProposal => ({
    ...base,
    value: reading?.value ?? null,
    error,
    replicas: null,
    withinTolerance: false,
    detail: error,
  });
  if (!reading) return failed(`no value for metric ${metric.metricName}`);
  if (reading.error !== undefined || reading.value === undefined) return failed(reading.error ?? "no value");
  if (!(metric.target > 0)) return failed(`target ${formatNumber(metric.target)} is not a positive number`);

  const value = reading.value;
  const usage = toMilli(value);
  const target = toMilli(metric.target);
  const band = `[${formatNumber(1 - tolerances.scaleDown)}, ${formatNumber(1 + tolerances.scaleUp)}]`;
  const unit = metric.targetType === "Utilization" ? "%" : "";
  const shown = { value: `${formatNumber(value)}${unit}`, target: `${formatNumber(metric.target)}${unit}` };
  const propose = (replicas: number, withinTolerance: boolean, detail: string): MetricProposal => ({
    ...base,
    value,
    replicas: Math.min(replicas, MAX_REPLICAS),
    withinTolerance,
    detail,
  });

  if (metric.targetType === "AverageValue" && metric.resource === undefined) {
    const current = counts.statusReplicas;
    const ratio = usage / (target * current);
    if (isWithinTolerance(ratio, tolerances)) {
      const detail = `${shown.value} / (${shown.target} × ${current}) = ${formatNumber(ratio)} is within tolerance ${band}: keep ${current}`;
      return propose(current, true, detail);
    }
    const replicas = Math.ceil(usage / target);
    return propose(replicas, false, `ceil(${shown.value} / ${shown.target}) = ${replicas}`);
  }

  const ratio = usage / target;
  const current = counts.specReplicas;
  if (current === 0) {
    const replicas = Math.ceil(ratio);
    return propose(replicas, false, `ceil(${shown.value} / ${shown.target}) = ${replicas}`);
  }
  const ready = counts.readyPods;
  const unready = metric.resource === undefined ? 0 : Math.max(0, counts.statusReplicas - ready);
  if (metric.resource !== undefined && ready === 0) {
    return failed(`no ready pod reports ${metric.resource} (${unready} not ready)`);
  }
  // Checked first, this band gives what the controller gives: averaging in unready pods only lowers a ratio.
  if (isWithinTolerance(ratio, tolerances)) {
    const detail = `${shown.value} / ${shown.target} = ${formatNumber(ratio)} is within tolerance ${band}: keep ${current}`;
    return propose(current, true, detail);
  }
  if (!(unready > 0 && ratio > 1)) {
    const replicas = Math.ceil(ratio * ready);
    const detail = `ceil(${shown.value} / ${shown.target} × ${ready} ready) = ${replicas}`;
    return propose(replicas, false, detail);
  }

  // The unready pods join the average at 0: Utilization in whole percent, AverageValue in milli-units.
  const pods = ready + unready;
  const diluted =
    metric.targetType === "Utilization"
      ? Math.trunc((value * ready) / pods) / metric.target
      : Math.trunc((usage * ready) / pods) / target;
  const withUnready = `with ${unready} not-ready pod${unready === 1 ? "" : "s"} at 0 the ratio is ${formatNumber(diluted)}`;
  const inBand = isWithinTolerance(diluted, tolerances);
  if (inBand || diluted < 1) {
    const reason = inBand ? `within tolerance ${band}` : "below 1";
    return propose(
      current,
      inBand,
      `${shown.value} / ${shown.target} is above target, but ${withUnready}, ${reason}: keep ${current}`,
    );
  }
  const replicas = Math.ceil(diluted * pods);
  if (replicas < current) {
    return propose(
      current,
      false,
      `${withUnready}: ceil(${formatNumber(diluted)} × ${pods} pods) = ${replicas} is below ${current}: keep ${current}`,
    );
  }
  return propose(
    replicas,
    false,
    `${withUnready}: ceil(${formatNumber(diluted)} × ${pods} pods) = ${replicas}`,
  );
}
