import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { runSignalFlow } from "./signalflow.ts";

const params = {
  accessToken: param.string({
    sources: ["auth"],
    secret: true,
    description: "Splunk Observability Cloud access token",
  }),
  realm: param.string({ sources: ["auth"], description: "realm of the organization, e.g. us1" }),
  query: param.string({ description: "SignalFlow program, e.g. data('jobs.queued').sum().publish()" }),
  duration: param.int({ description: "seconds the program's stream is read" }),
  targetValue: param.float({ description: "target value (always a Value target, as KEDA makes it)" }),
  queryAggregator: param.string({ description: "how the values read combine: max, min or avg" }),
  activationTargetValue: param.float({ description: "active when the value is greater than this" }),
};

/** Environment variable of Tidal's own that replaces wss://stream.<realm>.signalfx.com/v2/signalflow. */
export const SIGNALFLOW_URL_VARIABLE = "TIDAL_SIGNALFLOW_URL";

/** signalflow-client-go's stream URL for a realm. */
export function signalFlowUrl(realm: string, env: Readonly<Record<string, string | undefined>> = {}): string {
  return env[SIGNALFLOW_URL_VARIABLE] || `wss://stream.${realm}.signalfx.com/v2/signalflow`;
}

/** KEDA's reduction of the values read: max, min or avg; none is an error. */
export function aggregateValues(values: readonly number[], aggregator: string): number {
  if (values.length === 0) throw new Error("query returned no data points");
  switch (aggregator) {
    case "max":
      return Math.max(...values);
    case "min":
      return Math.min(...values);
    case "avg":
      return values.reduce((total, value) => total + value, 0) / values.length;
    default:
      throw new Error(`invalid queryAggregator: ${JSON.stringify(aggregator)}`);
  }
}

export const splunkObservabilityScaler: ScalerDefinition<typeof params> = {
  type: "splunk-observability",
  kedaScalerName: "splunkObservabilityScaler",
  description:
    "Values a SignalFlow program streams from Splunk Observability Cloud for `duration` seconds, reduced by max, min or avg.",
  testedAgainst:
    "fake-signalflow (a loopback fake of Splunk Observability Cloud's documented SignalFlow WebSocket API)",
  example: {
    metadata: {
      query: "data('jobs.queued').sum().publish()",
      duration: "10",
      targetValue: "100",
      queryAggregator: "max",
      activationTargetValue: "0",
    },
    authParams: { accessToken: "access-token", realm: "us1" },
    metricName: "s0-signalfx",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (!["max", "min", "avg"].includes(values.queryAggregator)) {
      problems.push({
        key: "queryAggregator",
        message: `invalid queryAggregator: "${values.queryAggregator}" (use max, min or avg)`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "signalfx",
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
    // KEDA makes this metric's target a Value target whatever the trigger's metricType.
    targetType: "Value",
  }),
  connect(values, context) {
    const url = `${signalFlowUrl(values.realm, context.processEnvironment)}/connect`;
    return {
      // KEDA reads the stream for `duration` seconds and gives it 10 seconds more to finish.
      timeoutMs: (values.duration + 10) * 1000 + context.timeoutMs,
      async measure(signal) {
        let value: number;
        try {
          const read = await runSignalFlow(
            url,
            values.accessToken,
            values.query,
            values.duration * 1000,
            signal,
          );
          value = aggregateValues(read, values.queryAggregator);
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(
            `error getting metrics from Splunk Observability Cloud: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        return { value, active: value > values.activationTargetValue };
      },
      close: async () => {},
    };
  },
};
