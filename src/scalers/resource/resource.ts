import { parseQuantity } from "../../util/quantity.ts";
import { param, type ParamProblem } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  value: param.string({
    description: "target: a percentage of the request (Utilization) or a quantity per pod (AverageValue)",
  }),
  containerName: param.string({
    optional: true,
    description: "measure only this container (a ContainerResource metric)",
  }),
  type: param.string({
    optional: true,
    deprecated:
      "metadata.type was removed in KEDA 2.18; set the trigger's metricType to Utilization or AverageValue",
    description: "removed; use the trigger's metricType",
  }),
};

function valueProblems(value: string, metricType: string): ParamProblem[] {
  if (metricType === "Utilization" && !/^\d+$/.test(value)) {
    return [
      {
        key: "value",
        message: `with metricType Utilization, value must be a whole percentage such as "60", got "${value}"`,
        severity: "error",
      },
    ];
  }
  if (metricType === "AverageValue" && parseQuantity(value) === undefined) {
    return [
      {
        key: "value",
        message: `with metricType AverageValue, value must be a quantity such as "500m" or "256Mi", got "${value}"`,
        severity: "error",
      },
    ];
  }
  return [];
}

/**
 * cpu and memory: the Kubernetes HPA measures these itself through metrics.k8s.io, so the trigger
 * becomes a Resource (or ContainerResource) metric of the HPA and Tidal reads nothing.
 */
function resourceScaler(type: "cpu" | "memory"): ScalerDefinition<typeof params> {
  return {
    type,
    kedaScalerName: "cpuMemoryScaler",
    testedAgainst: "the Kubernetes HPA on the test control plane (Tidal reads nothing)",
    example: { metadata: { value: "60" }, metricType: "Utilization", metricName: type },
    cachedMetrics: false,
    description: `${type === "cpu" ? "CPU" : "Memory"} use of the target's pods, measured by the HPA (Kubernetes only).`,
    metricTypes: ["Utilization", "AverageValue"],
    resourceMetric: true,
    params,
    validate: (values, context) => valueProblems(values.value, context.metricType ?? ""),
    metric: (values) => ({ name: type, target: parseQuantity(values.value) ?? 0, activationTarget: 0 }),
    connect: () => {
      throw new Error(`${type} triggers are measured by the Kubernetes HPA, not by Tidal`);
    },
  };
}

export const cpuScaler = resourceScaler("cpu");
export const memoryScaler = resourceScaler("memory");
