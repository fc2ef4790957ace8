/** KEDA's control annotations on a ScaledObject (KEDA: apis/keda/v1alpha1/scaledobject_types.go), parsed with Go's rules. */
import { parseGoBool, parseGoInt } from "../util/go/parse.ts";

export const ANNOTATIONS = {
  paused: "autoscaling.keda.sh/paused",
  pausedReplicas: "autoscaling.keda.sh/paused-replicas",
  pausedScaleIn: "autoscaling.keda.sh/paused-scale-in",
  pausedScaleOut: "autoscaling.keda.sh/paused-scale-out",
  forceActivation: "autoscaling.keda.sh/force-activation",
} as const;

/** Tidal's own: `direct` scales through /scale with no HPA; `hpa` (the default) is KEDA's way. */
export const MODE_ANNOTATION = "autoscaling.tidal.dev/mode";
export const SCALING_MODES = ["hpa", "direct"] as const;

export type PausedReplicas = { replicas: number } | { error: string };

export interface ControlAnnotations {
  /** The scale loop stops: `paused` is true or unparsable, or `paused-replicas` is present. */
  paused: boolean;
  /** Set when `paused-replicas` is present: the count to hold, or why it cannot be used. */
  pausedReplicas?: PausedReplicas;
  pausedScaleIn: boolean;
  pausedScaleOut: boolean;
  forceActivation: boolean;
  /** One sentence per annotation whose value did not parse, saying what was done instead. */
  warnings: string[];
}

export function parseControlAnnotations(annotations: Record<string, string> | undefined): ControlAnnotations {
  const values = annotations ?? {};
  const warnings: string[] = [];

  const flag = (key: string): boolean => {
    const text = values[key];
    if (text === undefined) return false;
    const parsed = parseGoBool(text);
    if (parsed === undefined) warnings.push(`${key}: "${text}" is not a boolean; treated as false`);
    return parsed ?? false;
  };

  const pausedText = values[ANNOTATIONS.paused];
  let pausedByFlag = false;
  if (pausedText !== undefined) {
    const parsed = parseGoBool(pausedText);
    // KEDA pauses when the value is not a boolean: a typo should not silently resume scaling.
    if (parsed === undefined)
      warnings.push(`${ANNOTATIONS.paused}: "${pausedText}" is not a boolean; paused`);
    pausedByFlag = parsed ?? true;
  }

  const replicasText = values[ANNOTATIONS.pausedReplicas];
  const pausedReplicas = replicasText === undefined ? undefined : parsePausedReplicas(replicasText);
  if (pausedReplicas && "error" in pausedReplicas) warnings.push(pausedReplicas.error);

  return {
    paused: pausedByFlag || pausedReplicas !== undefined,
    ...(pausedReplicas ? { pausedReplicas } : {}),
    pausedScaleIn: flag(ANNOTATIONS.pausedScaleIn),
    pausedScaleOut: flag(ANNOTATIONS.pausedScaleOut),
    forceActivation: flag(ANNOTATIONS.forceActivation),
    warnings,
  };
}

function parsePausedReplicas(text: string): PausedReplicas {
  const replicas = parseGoInt(text);
  if (replicas === undefined || replicas < 0) {
    return {
      error: `${ANNOTATIONS.pausedReplicas}: "${text}" is not a replica count (a whole number ≥ 0); paused without scaling`,
    };
  }
  return { replicas };
}

/** `paused` or `paused-replicas`: KEDA stops the scale loop's reading and deletes the HPA. */
export function pausesScaling(annotations: ControlAnnotations): boolean {
  return annotations.paused || annotations.pausedReplicas !== undefined;
}
