/** The simulator's public API, used by `tidal simulate`. */
export { SIMULATION_EPOCH } from "./autoscaler.ts";
export type { EvaluationKind, SimulationMode } from "./autoscaler.ts";
export { readMetricTrace } from "./metric-trace.ts";
export type { MetricTrace, TraceCell } from "./metric-trace.ts";
export { simulate } from "./simulate.ts";
export type { SimulationOptions, SimulationResult, SimulationStep } from "./simulate.ts";
export type { ReplicaSummary } from "./summary.ts";
export { renderSvg } from "./svg.ts";
export type { SvgOptions } from "./svg.ts";
export { simulateWorkload } from "./workload.ts";
export type { WorkloadOptions, WorkloadResult, WorkloadStep, WorkloadSummary } from "./workload.ts";
export { simulatedForecasts } from "./forecasts.ts";
export type { SimulatedForecasts } from "./forecasts.ts";
