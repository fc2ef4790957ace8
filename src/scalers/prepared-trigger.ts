import type { ScaleTrigger } from "../api/schema/trigger.ts";
import type { PodIdentity } from "../api/schema/trigger-authentication.ts";
import type { ResolvedAuthentication } from "../auth/resolve.ts";
import type { MetricTargetType, TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import { messageOf } from "../util/errors.ts";
import { didYouMean } from "../util/did-you-mean.ts";
import { createRedactor } from "../util/redact.ts";
import { metricNameWithIndex } from "./metric-name.ts";
import { knownMetadataKeys, parseParams, type ParamProblem } from "./params.ts";
import { findScaler } from "./registry.ts";
import type { Measurement, Scaler, ScalerContext, ScalerDefinition, ScalerMetric } from "./types.ts";

export interface TriggerInputs {
  authParams: Readonly<Record<string, string>>;
  /** The authentication's pod identity (never provider `none`). */
  podIdentity?: PodIdentity;
  resolvedEnv: Readonly<Record<string, string>>;
  /** Sources that cannot be resolved now (see ParamInputs.unresolved). */
  unresolved?: ReadonlySet<"auth" | "env">;
}

export interface TriggerOwner {
  kind: "ScaledObject" | "ScaledJob";
  namespace: string;
  name: string;
}

/** A trigger whose parameters were parsed: ready to validate, simulate, or connect. */
export interface PreparedTrigger {
  index: number;
  /** The trigger's `name`, or "". */
  name: string;
  type: string;
  definition: ScalerDefinition | undefined;
  params: Record<string, unknown>;
  /** Undefined when the parameters have errors, and for cpu/memory triggers. */
  metricSpec: TriggerMetricSpec | undefined;
  /** For cpu/memory triggers: the HPA Resource metric they become. */
  resource?: ResourceMetric;
  problems: ParamProblem[];
  /** Removes this trigger's secrets from a text. */
  redact: (text: string) => string;
  /** The metadata with `<key>FromEnv` entries resolved (see ScalerContext.resolvedMetadata). */
  resolvedMetadata: Readonly<Record<string, string>>;
  /** The authentication's pod identity, handed to the scaler. */
  podIdentity?: PodIdentity;
}

/** The inputs a resolved (Cluster)TriggerAuthentication gives. */
export function authenticationInputs(
  authentication: ResolvedAuthentication,
): Pick<TriggerInputs, "authParams" | "podIdentity"> {
  return authentication.podIdentity
    ? { authParams: authentication.params, podIdentity: authentication.podIdentity }
    : { authParams: authentication.params };
}

/** A cpu or memory trigger as an HPA Resource (or ContainerResource) metric. */
export interface ResourceMetric {
  name: "cpu" | "memory";
  targetType: "Utilization" | "AverageValue";
  /** A percentage for Utilization, a quantity for AverageValue. */
  value: string;
  containerName?: string;
}

/** The metadata with each `<key>FromEnv` entry holding its variable's value; unset variables are left out. */
function resolveMetadata(
  metadata: Readonly<Record<string, string>>,
  resolvedEnv: Readonly<Record<string, string>>,
) {
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.endsWith("FromEnv")) resolved[key] = value;
    else if (resolvedEnv[value]) resolved[key] = resolvedEnv[value];
  }
  return resolved;
}

/** Parses one trigger against its scaler's declaration. Never throws: problems are in the result. */
export function prepareTrigger(
  trigger: ScaleTrigger,
  index: number,
  inputs: TriggerInputs,
  options: { asMetricSource: boolean; namespace?: string | undefined },
): PreparedTrigger {
  const definition = findScaler(trigger.type);
  const base = {
    index,
    name: trigger.name ?? "",
    type: trigger.type,
    definition,
    resolvedMetadata: resolveMetadata(trigger.metadata, inputs.resolvedEnv),
    ...(inputs.podIdentity ? { podIdentity: inputs.podIdentity } : {}),
  };
  if (definition === undefined) {
    return {
      ...base,
      params: {},
      metricSpec: undefined,
      problems: [
        { key: "type", message: `trigger type "${trigger.type}" is not supported`, severity: "error" },
      ],
      redact: createRedactor(Object.values(inputs.authParams)),
    };
  }
  const parsed = parseParams(definition.params, { metadata: trigger.metadata, ...inputs });
  const problems = [...parsed.problems];
  const known = knownMetadataKeys(definition.params);
  for (const key of Object.keys(trigger.metadata)) {
    if (known.has(key)) continue;
    const declared = definition.params[key];
    if (!declared && definition.passesMetadataThrough) continue;
    if (definition.metadataPrefixes?.some((prefix) => key.startsWith(prefix))) continue;
    const hint = declared
      ? `parameter "${key}" cannot be set in trigger metadata; set it through a TriggerAuthentication${declared.sources?.includes("env") ? ` or ${key}FromEnv` : ""}`
      : `unknown parameter "${key}" for trigger type "${definition.type}"${didYouMean(key, known)}`;
    problems.push({ key, message: hint, severity: "warning" });
  }
  const metricType: MetricTargetType = trigger.metricType === "Value" ? "Value" : "AverageValue";
  if (definition.resourceMetric) {
    if (trigger.metricType !== "Utilization" && trigger.metricType !== "AverageValue") {
      problems.push({
        key: "metricType",
        message: `${trigger.type} triggers need the trigger's metricType: Utilization or AverageValue, as in KEDA 2.18+`,
        severity: "error",
      });
    }
  } else if (trigger.metricType === "Utilization") {
    problems.push({
      key: "metricType",
      message: `metricType Utilization is only valid for cpu and memory triggers; use AverageValue or Value`,
      severity: "error",
    });
  } else if (definition.metricTypes && !definition.metricTypes.includes(metricType)) {
    problems.push({
      key: "metricType",
      message: `metricType ${metricType} is not supported by ${trigger.type}`,
      severity: "error",
    });
  }
  const context = {
    asMetricSource: options.asMetricSource,
    triggerType: trigger.type,
    triggerIndex: index,
    namespace: options.namespace ?? "default",
    ...(trigger.metricType ? { metricType: trigger.metricType } : {}),
    ...(inputs.podIdentity ? { podIdentity: inputs.podIdentity } : {}),
    inputs: { metadata: trigger.metadata, authParams: inputs.authParams },
  };
  // Cross-parameter checks run even when some values come from unresolved sources: the checks
  // that do not depend on those values still apply (see checksWithUnknownValues).
  const complete = parsed.unknown.size === 0;
  if (!problems.some((problem) => problem.severity === "error")) {
    problems.push(
      ...(complete
        ? (definition.validate?.(parsed.values, context) ?? [])
        : checksWithUnknownValues(definition, parsed, context)),
    );
  }
  // Measurement errors name the host, port and database the scaler tried (what the user needs to
  // act), so secrets are masked as whole values (and URL passwords), not piece by piece.
  const redact = createRedactor([
    ...Object.values(inputs.authParams),
    ...parsed.fromAuthentication,
    ...parsed.secrets,
  ]);
  let metricSpec: TriggerMetricSpec | undefined;
  let resource: ResourceMetric | undefined;
  if (definition.resourceMetric && !problems.some((problem) => problem.severity === "error")) {
    const values = parsed.values as { value: string; containerName?: string };
    resource = {
      name: trigger.type as ResourceMetric["name"],
      targetType: trigger.metricType as ResourceMetric["targetType"],
      value: values.value,
      ...(values.containerName ? { containerName: values.containerName } : {}),
    };
  } else if (!problems.some((problem) => problem.severity === "error")) {
    // The metric reads names and targets from metadata, so it is known even when credentials are
    // not (validating or simulating files without the cluster's secrets).
    const metric = complete
      ? definition.metric(parsed.values, context)
      : tryMetric(definition, parsed.values, context);
    metricSpec = metric && {
      index,
      name: trigger.name ?? "",
      type: trigger.type,
      metricName: metric.verbatimName ? metric.name : metricNameWithIndex(index, metric.name),
      targetType: metric.targetType ?? metricType,
      target: metric.target,
      activationTarget: metric.activationTarget,
    };
  }
  // Checks may quote a parameter's value, and values from authentication usually come from a
  // Secret: messages leave here with secrets and free-form authentication values redacted. (Not
  // every authentication value: masking "enable" would garble "enableTLS".)
  // A check may quote a piece of such a value (the port of an address): pieces are masked too.
  const redactProblem = createRedactor(
    [],
    [...parsed.secrets, ...parsed.fromAuthentication],
    [
      trigger.type,
      definition.type,
      ...(definition.aliases ?? []),
      ...known,
      ...Object.keys(trigger.metadata),
    ],
  );
  const redacted = problems.map((problem) => ({ ...problem, message: redactProblem(problem.message) }));
  return {
    ...base,
    params: parsed.values,
    metricSpec,
    ...(resource ? { resource } : {}),
    problems: redacted,
    redact,
  };
}

/** Stands in for a value whose source is unresolved (an environment variable, a Secret). */
const UNKNOWN_VALUE = "<unknown>";

/**
 * The cross-parameter checks of a trigger some of whose values are unknown (`tidal validate` has
 * no environment, and often no Secrets): each unknown text or list parameter stands in as set,
 * and the problems about an unknown parameter, or quoting the stand-in, are left out. So a port
 * missing next to `hostFromEnv`, or a certificate without its key next to any `…FromEnv`, is
 * still reported. When a number, flag or choice is unknown, any check may depend on it: none run.
 */
function checksWithUnknownValues(
  definition: ScalerDefinition,
  parsed: { values: Record<string, unknown>; unknown: ReadonlySet<string> },
  context: Parameters<NonNullable<ScalerDefinition["validate"]>>[1],
): ParamProblem[] {
  const values = { ...parsed.values };
  for (const name of parsed.unknown) {
    const kind = definition.params[name]?.kind;
    if (kind === "string") values[name] = UNKNOWN_VALUE;
    else if (kind === "list") values[name] = [UNKNOWN_VALUE];
    else return [];
  }
  try {
    return (definition.validate?.(values, context) ?? []).filter(
      (problem) => !parsed.unknown.has(problem.key) && !problem.message.includes(UNKNOWN_VALUE),
    );
  } catch {
    return [];
  }
}

/**
 * The metric of a trigger whose unresolved parameters may be missing: undefined when the metric
 * itself depends on one of them (its name would name nothing, or its target would not be a number).
 */
function tryMetric(
  definition: ScalerDefinition,
  values: Record<string, unknown>,
  context: { asMetricSource: boolean; triggerType: string; triggerIndex: number; namespace: string },
): ScalerMetric | undefined {
  try {
    const metric = definition.metric(values, context);
    const complete =
      !metric.name.includes("undefined") &&
      Number.isFinite(metric.target) &&
      Number.isFinite(metric.activationTarget);
    return complete ? metric : undefined;
  } catch {
    return undefined;
  }
}

/** A connected trigger that measures with a deadline and reports failures as redacted values. */
export interface TriggerMeasurer {
  readonly prepared: PreparedTrigger;
  readonly scaler: Scaler;
  measure(): Promise<TriggerSample & { latencyMs: number }>;
  /**
   * The trigger's metric as the source declares it: for scalers with `describe()` (external
   * scalers) the source is asked, within the deadline, and later samples carry that metric name;
   * for the others it is `prepared.metricSpec`. Throws a redacted error when the source fails.
   */
  describe(): Promise<TriggerMetricSpec>;
  close(): Promise<void>;
}

/** KEDA's GenerateMetricInMili: NaN, infinities and negative values become 0. */
export function sanitizeMetricValue(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export function connectTrigger(
  prepared: PreparedTrigger,
  context: Omit<
    ScalerContext,
    "triggerIndex" | "triggerName" | "triggerType" | "resolvedMetadata" | "podIdentity"
  >,
  now: () => number = performance.now.bind(performance),
): TriggerMeasurer {
  const { definition, metricSpec: preparedSpec } = prepared;
  if (definition === undefined || preparedSpec === undefined) {
    throw new Error(`trigger ${prepared.index} has invalid parameters and cannot be connected`);
  }
  const scaler = definition.connect(prepared.params, {
    ...context,
    triggerIndex: prepared.index,
    triggerName: prepared.name,
    triggerType: prepared.type,
    resolvedMetadata: prepared.resolvedMetadata,
    ...(prepared.podIdentity ? { podIdentity: prepared.podIdentity } : {}),
  });
  const timeoutMs = scaler.timeoutMs ?? context.timeoutMs;
  let metricSpec = preparedSpec;
  let described = scaler.describe === undefined;

  /** Runs `work` with an abort signal, failing when the deadline passes first. */
  async function withinDeadline<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([work(controller.signal), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function describeSource(signal: AbortSignal): Promise<TriggerMetricSpec> {
    if (scaler.describe === undefined) return metricSpec;
    const { name, target, activationTarget } = await scaler.describe(signal);
    metricSpec = {
      ...metricSpec,
      metricName: metricNameWithIndex(prepared.index, name),
      target,
      activationTarget,
    };
    described = true;
    return metricSpec;
  }

  return {
    prepared,
    scaler,
    async measure() {
      const started = now();
      try {
        const measurement: Measurement = await withinDeadline(async (signal) => {
          if (!described) await describeSource(signal);
          return scaler.measure(signal);
        });
        const value = sanitizeMetricValue(measurement.value);
        return {
          metricName: metricSpec.metricName,
          value,
          active: measurement.active,
          ...(measurement.forecast ? { forecast: measurement.forecast } : {}),
          latencyMs: now() - started,
        };
      } catch (error) {
        return {
          metricName: metricSpec.metricName,
          error: prepared.redact(messageOf(error)),
          latencyMs: now() - started,
        };
      }
    },
    async describe() {
      try {
        return await withinDeadline(describeSource);
      } catch (error) {
        // eslint-disable-next-line preserve-caught-error -- a cause would carry the unredacted message
        throw new Error(prepared.redact(messageOf(error)));
      }
    },
    close: () => scaler.close().catch(() => undefined),
  };
}
