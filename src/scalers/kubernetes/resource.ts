import { param, type ParamProblem } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { coreV1Path, kubernetesApi } from "./access.ts";
import { hidden, quoted, resourceValue } from "./resource-value.ts";

const params = {
  resourceKind: param.enum(["ConfigMap", "Secret"], {
    description: "kind of the object that holds the value",
  }),
  resourceName: param.string({
    description: "name of the ConfigMap or Secret, in the ScaledObject's namespace",
  }),
  key: param.string({ description: "the data key that holds the value" }),
  format: param.enum(["number", "json", "yaml"], {
    default: "number",
    description: "how the value is written: a number, or a JSON or YAML document",
  }),
  valueLocation: param.string({
    optional: true,
    description:
      "where the number is in a json (GJSON path) or yaml (dotted path) value; only for those formats",
  }),
  valueType: param.enum(["float64", "int64", "quantity"], {
    default: "float64",
    description: "how the number is read: a float, an integer, or a Kubernetes quantity such as 500m",
  }),
  targetValue: param.float({ description: "target value per replica; must be greater than 0" }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
};

export const kubernetesResourceScaler: ScalerDefinition<typeof params> = {
  type: "kubernetes-resource",
  kedaScalerName: "kubernetesResourceScaler",
  description:
    "A number kept in a ConfigMap or Secret of the ScaledObject's namespace (a key, or a path in its JSON or YAML).",
  testedAgainst: "Kubernetes API server (the e2e control plane)",
  example: {
    metadata: { resourceKind: "ConfigMap", resourceName: "scaling", key: "desired", targetValue: "10" },
    metricName: "s0-configmap-scaling-desired",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const add = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (values.targetValue <= 0 && !context.asMetricSource)
      add("targetValue", "targetValue must be a float greater than 0");
    if (values.format === "number" && values.valueLocation) {
      add("valueLocation", "valueLocation is only supported with json or yaml format");
    }
    if (values.format !== "number" && !values.valueLocation) {
      add("valueLocation", `valueLocation is required for ${values.format} format`);
    }
    return problems;
  },
  metric: (values) => ({
    name: `${values.resourceKind.toLowerCase()}-${values.resourceName}-${values.key}`,
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
  }),
  connect(values, context) {
    const namespace = context.scalableObject.namespace;
    const kind = values.resourceKind;
    const path = coreV1Path(namespace, kind === "Secret" ? "secrets" : "configmaps", values.resourceName);
    const where = `${kind} ${namespace}/${values.resourceName}`;
    return {
      async measure(signal) {
        const api = await kubernetesApi(context);
        let object: { data?: Record<string, string> };
        try {
          object = await api.get<{ data?: Record<string, string> }>(path, signal);
        } catch (error) {
          throw new Error(`error getting ${where}: ${(error as Error).message}`, { cause: error });
        }
        const raw = object.data?.[values.key];
        if (raw === undefined) throw new Error(`key ${values.key} not found in ${where}`);
        const text = kind === "Secret" ? Buffer.from(raw, "base64").toString("utf8") : raw;
        const show = kind === "Secret" ? hidden : quoted;
        const value = resourceValue(text, values.format, values.valueType, values.valueLocation, show);
        return { value, active: value > values.activationTargetValue };
      },
      close: async () => undefined,
    };
  },
};
