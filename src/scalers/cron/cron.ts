import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { cronExpressionProblem, cronNamePart, cronWindowTracker, isKnownTimezone } from "./window.ts";

const params = {
  start: param.string({ description: "5-field cron expression: when the window opens" }),
  end: param.string({ description: "5-field cron expression: when the window closes" }),
  timezone: param.string({ description: "IANA time zone the schedules are read in, e.g. Europe/Berlin" }),
  desiredReplicas: param.int({ description: "replicas inside the window" }),
};

export const cronScaler: ScalerDefinition<typeof params> = {
  type: "cron",
  testedAgainst: "the system clock (no server)",
  example: {
    metadata: { timezone: "Asia/Kolkata", start: "0 6 * * *", end: "0 20 * * *", desiredReplicas: "10" },
    metricName: "s0-cron-Asia-Kolkata-06xxx-020xxx",
  },
  kedaScalerName: "cronScaler",
  cachedMetrics: false,
  description: "desiredReplicas between a start and an end cron schedule.",
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    for (const key of ["start", "end"] as const) {
      const problem = cronExpressionProblem(values[key]);
      if (problem) error(key, `${key} "${values[key]}" is not a 5-field cron expression: ${problem}`);
    }
    if (values.start === values.end) error("end", "start and end must not be the same schedule");
    if (!isKnownTimezone(values.timezone))
      error("timezone", `timezone "${values.timezone}" is not a known IANA time zone`);
    if (values.desiredReplicas <= 0) error("desiredReplicas", "desiredReplicas must be greater than 0");
    return problems;
  },
  // The value is desiredReplicas and the target 1, so the HPA computes desiredReplicas.
  metric: (values) => ({
    name: `cron-${values.timezone}-${cronNamePart(values.start)}-${cronNamePart(values.end)}`,
    target: 1,
    activationTarget: 0,
  }),
  connect(values) {
    const windowValue = cronWindowTracker(values);
    return {
      measure: async () => windowValue(Date.now()),
      close: async () => undefined,
    };
  },
};
