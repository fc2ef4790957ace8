/** DecisionTrace: why a count was chosen, as data (JSON) and as text a person reads at once. */
import { formatNumber } from "../util/format-number.ts";
import { formatCalendarDuration } from "../util/go/duration.ts";
import type { MetricProposal } from "./hpa/proposal.ts";
import type { CompositeReading, TriggersReading } from "./triggers.ts";
import type {
  DecisionRule,
  DecisionStep,
  DecisionTrace,
  ForecastReport,
  TriggerMetricSpec,
  TriggerTrace,
} from "./types.ts";

export type TraceParts = Omit<DecisionTrace, "summary">;

export function buildTrace(parts: TraceParts): DecisionTrace {
  return { ...parts, summary: summarize(parts) };
}

function summarize(parts: TraceParts): string {
  const { steps, boundedBy } = parts;
  const deciding = [...steps].reverse().find((step) => step.rule === boundedBy);
  return deciding
    ? `${describeCounts(parts)}; ${boundedBy}: ${deciding.detail}`
    : `${describeCounts(parts)}; ${boundedBy}`;
}

/** "1 → 3 replicas", "3 replicas, unchanged", or for a ScaledJob "2 running, create 4 jobs". */
function describeCounts({ kind, currentReplicas: from, desiredReplicas: to }: TraceParts): string {
  if (kind === "ScaledJob")
    return `${from} running, ${to > from ? `create ${to - from} jobs` : "create no jobs"}`;
  return from === to ? `${to} replicas, unchanged` : `${from} → ${to} replicas`;
}

/** One trigger's line of a trace: its spec's identity and target, and what this evaluation saw. */
export function traceTrigger(
  spec: TriggerMetricSpec,
  seen: Pick<TriggerTrace, "value" | "active" | "hpaValue" | "proposal" | "fallback" | "forecast"> & {
    error?: string;
  },
): TriggerTrace {
  return {
    index: spec.index,
    name: spec.name,
    type: spec.type,
    metricName: spec.metricName,
    value: seen.value,
    ...(seen.error === undefined ? {} : { error: seen.error }),
    targetType: spec.targetType,
    target: spec.target,
    activationTarget: spec.activationTarget,
    active: seen.active,
    hpaValue: seen.hpaValue,
    proposal: seen.proposal,
    fallback: seen.fallback,
    ...(seen.forecast === undefined ? {} : { forecast: seen.forecast }),
  };
}

export function traceTriggers(reading: TriggersReading): TriggerTrace[] {
  return reading.triggers.map(({ spec, value, error, active, fallback, served, forecast }) =>
    traceTrigger(spec, {
      value,
      ...(error === undefined ? {} : { error }),
      active,
      hpaValue: served.value ?? null,
      proposal: null,
      fallback,
      ...(forecast === undefined ? {} : { forecast }),
    }),
  );
}

export function traceFormula(composite: CompositeReading): DecisionTrace["formula"] {
  const { expression, value, target, activationTarget, error } = composite;
  return { expression, value, target, activationTarget, ...(error === undefined ? {} : { error }) };
}

/** Fills in what each trigger's metric alone asked of the HPA. */
export function withProposals(
  triggers: readonly TriggerTrace[],
  proposals: readonly MetricProposal[],
): TriggerTrace[] {
  return triggers.map((trigger) => {
    const proposal = proposals.find((candidate) => candidate.metricName === trigger.metricName);
    return proposal ? { ...trigger, proposal: proposal.replicas } : trigger;
  });
}

/** The rule that decided: the last step that changed the count, else the last step. */
export function decidingRule(steps: readonly DecisionStep[]): DecisionRule {
  const changing = [...steps].reverse().find((step) => step.from !== step.to);
  return (changing ?? steps.at(-1))?.rule ?? "unchanged";
}

export function renderTrace(trace: DecisionTrace): string {
  const state = trace.paused ? "paused" : trace.active ? "active" : "inactive";
  const counts =
    trace.kind === "ScaledJob"
      ? describeCounts(trace)
      : `${trace.currentReplicas} → ${trace.desiredReplicas} replicas`;
  const lines = [
    `${trace.kind} ${trace.namespace}/${trace.name}: ${counts} (${state}${trace.fallback ? ", fallback" : ""})`,
  ];
  if (trace.triggers.length > 0) {
    lines.push("  triggers", ...table(trace.triggers.map(triggerColumns), "    "));
  }
  const forecasts = trace.triggers.filter((trigger) => trigger.forecast !== undefined);
  if (forecasts.length > 0) {
    lines.push("  forecasts");
    for (const trigger of forecasts)
      lines.push(`    ${trigger.metricName}: ${describeForecast(trigger.forecast as ForecastReport)}`);
  }
  if (trace.formula) {
    const { expression, value, target, activationTarget, error } = trace.formula;
    const result = error === undefined ? formatNumber(value ?? NaN) : `error: ${error}`;
    lines.push(
      `  formula  ${expression} = ${result}  target ${formatNumber(target)}  activation >${formatNumber(activationTarget)}`,
    );
  }
  lines.push(
    "  steps",
    ...table(
      trace.steps.map((step) => [
        step.rule,
        step.from === undefined || step.to === undefined ? "" : `${step.from} → ${step.to}`,
        step.detail,
      ]),
      "    ",
    ),
    `  bounded by: ${trace.boundedBy}`,
  );
  return lines.join("\n");
}

/**
 * One line: what was served and why. "predictive: serves 42 = forecast for +10m (now 30); seasonal
 * (daily), backtest error 8% (current value 21%, bound 30%)".
 */
export function describeForecast(forecast: ForecastReport): string {
  const horizon = formatCalendarDuration(forecast.horizonSeconds * 1000);
  const model = forecast.model === "seasonal" ? `seasonal (${forecast.season ?? "?"})` : "trend";
  const percent = (value: number | null) =>
    value === null ? "n/a" : Number.isFinite(value) ? `${Math.round(value * 1000) / 10}%` : "unbounded";
  const backtest =
    forecast.backtestError === null
      ? `no backtest yet, ${forecast.historySteps} steps of history`
      : `backtest error ${percent(forecast.backtestError)} (current value ${percent(forecast.baselineError)}, bound ${percent(forecast.maxError)})`;
  const note = forecast.note ? `; ${forecast.note}` : "";
  if (forecast.mode === "predictive") {
    return `predictive: serves ${formatNumber(forecast.served)} (forecast for +${horizon} ${formatNumber(forecast.predicted ?? NaN)}, now ${formatNumber(forecast.current)}); ${model}, ${backtest}${note}`;
  }
  return `reactive: serves the current value ${formatNumber(forecast.current)} because ${forecast.reason ?? "the model is not usable"}; ${model}, ${backtest}${note}`;
}

function triggerColumns(trigger: TriggerTrace): string[] {
  const reading =
    trigger.error === undefined ? `value ${formatNumber(trigger.value ?? NaN)}` : `error: ${trigger.error}`;
  const fallback = trigger.fallback ? `fallback → serves ${formatNumber(trigger.hpaValue ?? NaN)}` : "";
  return [
    trigger.metricName,
    trigger.type,
    reading,
    `target ${formatNumber(trigger.target)} (${trigger.targetType})`,
    `activation >${formatNumber(trigger.activationTarget)}`,
    trigger.active ? "active" : "inactive",
    fallback,
    trigger.proposal === null ? "" : `→ ${trigger.proposal}`,
  ];
}

/** Rows of cells as aligned columns (two spaces apart), dropping columns empty in every row. */
function table(rows: string[][], indent: string): string[] {
  const columnCount = Math.max(0, ...rows.map((row) => row.length));
  const columns = Array.from({ length: columnCount }, (_, index) => index).filter((index) =>
    rows.some((row) => (row[index] ?? "") !== ""),
  );
  const widths = columns.map((index) => Math.max(...rows.map((row) => (row[index] ?? "").length)));
  return rows.map(
    (row) =>
      indent +
      columns
        .map((index, position) =>
          (row[index] ?? "").padEnd(position === columns.length - 1 ? 0 : (widths[position] ?? 0)),
        )
        .join("  ")
        .trimEnd(),
  );
}
