import { param, type ParamProblem } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { coreV1Path, kubernetesApi } from "./access.ts";
import { labelSelectorProblem } from "./label-selector.ts";

const params = {
  podSelector: param.string({ description: "label selector of the pods to count, e.g. app=worker" }),
  value: param.float({
    default: 0,
    description: "target number of pods per replica; must be greater than 0",
  }),
  activationValue: param.float({ default: 0, description: "active when the count is greater than this" }),
  groupByNode: param.bool({
    default: false,
    description: "count the nodes the pods run on instead of the pods",
  }),
};

interface Pod {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** KEDA's count: pods not Succeeded or Failed; with groupByNode, the distinct nodes such pods are bound to. */
export function countPods(pods: readonly Pod[], groupByNode: boolean): number {
  const counted = pods.filter((pod) => pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed");
  if (!groupByNode) return counted.length;
  return new Set(counted.map((pod) => pod.spec?.nodeName ?? "").filter((node) => node !== "")).size;
}

export const kubernetesWorkloadScaler: ScalerDefinition<typeof params> = {
  type: "kubernetes-workload",
  kedaScalerName: "kubernetesWorkloadScaler",
  description:
    "Pods matching podSelector in the ScaledObject's namespace that have not finished (or the nodes they run on).",
  testedAgainst: "Kubernetes API server (the e2e control plane)",
  example: { metadata: { podSelector: "app=backend", value: "2" }, metricName: "s0-workload-default" },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (values.value <= 0 && !context.asMetricSource) {
      problems.push({ key: "value", message: "value must be a float greater than 0", severity: "error" });
    }
    const selector = labelSelectorProblem(values.podSelector);
    if (selector) {
      problems.push({
        key: "podSelector",
        message: `podSelector is not a label selector: ${selector}`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values, context) => ({
    name: `workload-${context.namespace ?? "default"}`,
    target: values.value,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const namespace = context.scalableObject.namespace;
    const path = `${coreV1Path(namespace, "pods")}?labelSelector=${encodeURIComponent(values.podSelector)}`;
    return {
      async measure(signal) {
        const api = await kubernetesApi(context);
        let pods: { items?: Pod[] };
        try {
          pods = await api.get<{ items?: Pod[] }>(path, signal);
        } catch (error) {
          throw new Error(`cannot list pods in namespace ${namespace}: ${(error as Error).message}`, {
            cause: error,
          });
        }
        const count = countPods(pods.items ?? [], values.groupByNode);
        return { value: count, active: count > values.activationValue };
      },
      close: async () => undefined,
    };
  },
};
