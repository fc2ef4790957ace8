/**
 * hpaSync: one reconcile of the Kubernetes HPA controller for an HPA with External metrics
 * (pkg/controller/podautoscaler/horizontal.go), as a pure function of its inputs and memory.
 * An empty memory is the controller's first sight of the HPA (a new HPA, or a restarted controller):
 * like recordInitialRecommendation it remembers the current count, so a new HPA does not scale in
 * within its first downscale stabilization window.
 */
import type { DecisionRule, DecisionStep, HpaMetricReading, HpaModel, HpaState } from "../types.ts";
import { CONTROLLER_DEFAULTS, type ResolvedBehavior, resolveBehavior, tolerancesFor } from "./behavior.ts";
import type { Normalization } from "./normalization.ts";
import { normalizeWithBehavior } from "./normalize-behavior.ts";
import { normalizeWithoutBehavior } from "./normalize-legacy.ts";
import { type MetricProposal, type ReplicaCounts, proposeReplicas } from "./proposal.ts";
import { recordScaleEvent } from "./scale-events.ts";
import { decidingRule } from "../trace.ts";

export interface HpaSyncInput extends ReplicaCounts {
  model: HpaModel;
  metrics: readonly HpaMetricReading[];
  now: number;
  state: HpaState;
  /** --horizontal-pod-autoscaler-tolerance (default 0.1). */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization in seconds (default 300). */
  downscaleStabilizationSeconds?: number;
}

export interface HpaSyncResult {
  desiredReplicas: number;
  state: HpaState;
  steps: DecisionStep[];
  proposals: MetricProposal[];
  boundedBy: DecisionRule;
}

/** The input with the controller defaults applied and the behavior resolved once. */
interface SyncContext extends HpaSyncInput {
  downscaleStabilizationSeconds: number;
  behavior: ResolvedBehavior | undefined;
}

export function hpaSync(syncInput: HpaSyncInput): HpaSyncResult {
  const downscaleStabilizationSeconds =
    syncInput.downscaleStabilizationSeconds ?? CONTROLLER_DEFAULTS.downscaleStabilizationSeconds;
  const input: SyncContext = {
    ...syncInput,
    state: withInitialRecommendation(syncInput.state, syncInput.specReplicas, syncInput.now),
    downscaleStabilizationSeconds,
    behavior:
      syncInput.model.behavior && resolveBehavior(syncInput.model.behavior, downscaleStabilizationSeconds),
  };
  const { model, specReplicas: current, state } = input;
  const unchanged = (
    rule: DecisionRule,
    detail: string,
    proposals: MetricProposal[] = [],
  ): HpaSyncResult => ({
    desiredReplicas: current,
    state,
    steps: [{ rule, from: current, to: current, detail }],
    proposals,
    boundedBy: rule,
  });

  if (current === 0 && model.minReplicas !== 0) {
    return unchanged(
      "hpa-disabled",
      "the target has 0 replicas, so the HPA does not scale it (KEDA activates it)",
    );
  }
  if (current > model.maxReplicas) {
    return rescaled(
      input,
      model.maxReplicas,
      [],
      [
        {
          rule: "max",
          from: current,
          to: model.maxReplicas,
          detail: `above maxReplicas ${model.maxReplicas}`,
        },
      ],
    );
  }
  if (current < model.minReplicas) {
    return rescaled(
      input,
      model.minReplicas,
      [],
      [
        {
          rule: "min",
          from: current,
          to: model.minReplicas,
          detail: `below minReplicas ${model.minReplicas}`,
        },
      ],
    );
  }

  const tolerances = tolerancesFor(model.behavior, input.tolerance ?? CONTROLLER_DEFAULTS.tolerance);
  const proposals = model.metrics.map((metric) =>
    proposeReplicas(
      metric,
      input.metrics.find((reading) => reading.metricName === metric.metricName),
      input,
      tolerances,
    ),
  );
  const valid = proposals.filter((proposal) => proposal.replicas !== null);
  const winner = valid.reduce<MetricProposal | undefined>(
    (best, proposal) =>
      best === undefined || (proposal.replicas ?? 0) > (best.replicas ?? 0) ? proposal : best,
    undefined,
  );
  const metricDesired = winner?.replicas ?? 0;
  const invalidCount = proposals.length - valid.length;
  if (!winner || (invalidCount > 0 && metricDesired < current)) {
    const failing = proposals.filter((proposal) => proposal.error !== undefined);
    const reasons = failing.map((proposal) => `${proposal.metricName}: ${proposal.error}`).join("; ");
    const detail = winner
      ? `${invalidCount} of ${proposals.length} metrics failed and the others would scale in; keeping ${current} (${reasons})`
      : `no metric could be read; keeping ${current}${reasons ? ` (${reasons})` : ""}`;
    return unchanged("metric-error", detail, proposals);
  }

  const metricRule: DecisionRule = winner.withinTolerance ? "tolerance" : "metric";
  const metricStep: DecisionStep = {
    rule: metricRule,
    from: current,
    to: metricDesired,
    detail: model.metrics.length > 1 ? `${winner.metricName}: ${winner.detail}` : winner.detail,
  };
  const normalization = normalize(input, metricDesired);
  return rescaled(
    input,
    normalization.replicas,
    proposals,
    [metricStep, ...normalization.steps],
    normalization.recommendations,
  );
}

function withInitialRecommendation(state: HpaState, current: number, now: number): HpaState {
  if (state.recommendations.length > 0) return state;
  return { ...state, recommendations: [{ at: now, replicas: current }] };
}

function normalize(input: SyncContext, desired: number): Normalization {
  const base = {
    current: input.specReplicas,
    desired,
    minReplicas: input.model.minReplicas,
    maxReplicas: input.model.maxReplicas,
    now: input.now,
    recommendations: input.state.recommendations,
  };
  if (!input.behavior) {
    return normalizeWithoutBehavior({
      ...base,
      downscaleStabilizationSeconds: input.downscaleStabilizationSeconds,
    });
  }
  return normalizeWithBehavior({
    ...base,
    behavior: input.behavior,
    scaleUpEvents: input.state.scaleUpEvents,
    scaleDownEvents: input.state.scaleDownEvents,
  });
}

/** The end of a sync: remember the rescale (only with behavior, as the controller does). */
function rescaled(
  input: SyncContext,
  desiredReplicas: number,
  proposals: MetricProposal[],
  steps: DecisionStep[],
  recommendations = input.state.recommendations,
): HpaSyncResult {
  const current = input.specReplicas;
  let { scaleUpEvents, scaleDownEvents } = input.state;
  const behavior = input.behavior;
  if (desiredReplicas !== current && behavior) {
    if (desiredReplicas > current) {
      scaleUpEvents = recordScaleEvent(scaleUpEvents, behavior.scaleUp, desiredReplicas - current, input.now);
    } else {
      scaleDownEvents = recordScaleEvent(
        scaleDownEvents,
        behavior.scaleDown,
        current - desiredReplicas,
        input.now,
      );
    }
  }
  return {
    desiredReplicas,
    state: {
      recommendations: [...recommendations],
      scaleUpEvents: [...scaleUpEvents],
      scaleDownEvents: [...scaleDownEvents],
    },
    steps,
    proposals,
    boundedBy: decidingRule(steps),
  };
}
