import { kubeconfigAccess } from "../runtime/kube-reader.ts";
import type { FileEnvironment } from "../runtime/file-trigger-inputs.ts";
import { InvalidArgumentError, Option, type Command } from "commander";
import { TidalError } from "../util/errors.ts";
import { parseDuration } from "../util/go/duration.ts";

/** `-f, --filename PATH...`: files or folders of manifests, as kubectl spells it. */
export function filenameOption(): Option {
  return new Option(
    "-f, --filename <path...>",
    "manifest files or folders (multi-document YAML or JSON; - reads standard input)",
  ).makeOptionMandatory();
}

export function outputOption(choices: readonly string[], defaultValue: string): Option {
  return new Option("-o, --output <format>", "output format").choices(choices).default(defaultValue);
}

/**
 * Parses a non-negative integer option value, naming the option in the error. Commander reports an
 * InvalidArgumentError as a usage error (exit 2); any other error would be an internal one.
 */
export function nonNegativeInteger(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, got "${value}"`);
    return Number.parseInt(value, 10);
  };
}

function usageError(message: string): TidalError {
  return new TidalError("TIDAL_E_USAGE", message, { exitCode: 2 });
}

/** A count option's value: a whole number from 1. */
export function positiveCount(value: string, option: string): number {
  const count = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(count) || count < 1)
    throw usageError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return count;
}

/** A port option's value: a whole number from 0 (any free port) to 65535. */
export function portNumber(value: string, option: string): number {
  const port = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`${option} must be a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

/** The longest delay a Node timer takes (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A timeout's value: a positive whole number of milliseconds a timer can wait (`--timeout` by default). */
export function timeoutMilliseconds(value: string, option = "--timeout"): number {
  const timeoutMs = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw usageError(
      `${option} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got "${value}"`,
    );
  }
  return timeoutMs;
}

/** `--timeout <ms>` of the long-running commands, defaulting to KEDA's KEDA_HTTP_DEFAULT_TIMEOUT. */
export function measurementTimeoutOption(): Option {
  return new Option("--timeout <ms>", "deadline of each measurement in milliseconds")
    .env("KEDA_HTTP_DEFAULT_TIMEOUT")
    .default("3000");
}

/** That option's value; an error names the environment variable when the value came from it. */
export function measurementTimeout(command: Command): number {
  const source =
    command.getOptionValueSource("timeout") === "env" ? "KEDA_HTTP_DEFAULT_TIMEOUT" : "--timeout";
  return timeoutMilliseconds(String(command.getOptionValue("timeout")), source);
}

/**
 * `--hpa-sync-period <duration>`: how often ScaledObjects scaled without an HPA do the HPA's work
 * (kube-controller-manager's --horizontal-pod-autoscaler-sync-period, default 15s).
 */
export function hpaSyncPeriodOption(
  description = "how often ScaledObjects without an HPA sync like one, e.g. 15s or 1s (as the HPA controller's sync period)",
): Option {
  return new Option("--hpa-sync-period <duration>", description).default("15s");
}

/** That option's value in milliseconds. */
export function hpaSyncPeriod(value: string): number {
  const milliseconds = /^\d+$/.test(value.trim()) ? undefined : parseDuration(value.trim());
  if (milliseconds === undefined || milliseconds < 100 || milliseconds > 86_400_000) {
    throw usageError(
      `--hpa-sync-period must be a duration with a unit from 100ms to 24h, such as 15s or 1s, got "${value}"`,
    );
  }
  return milliseconds;
}

/** A duration option's value in milliseconds (a number with a unit: 500ms, 60s, 2m), within bounds. */
export function durationMilliseconds(value: string, option: string, minMs: number, maxMs: number): number {
  const milliseconds = /^\d+$/.test(value.trim()) ? undefined : parseDuration(value.trim());
  if (milliseconds === undefined || milliseconds < minMs || milliseconds > maxMs) {
    throw usageError(
      `${option} must be a duration with a unit from ${formatBound(minMs)} to ${formatBound(maxMs)}, such as 60s, got "${value}"`,
    );
  }
  return milliseconds;
}

function formatBound(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Tidal's own environment, read once: what `…FromEnv` and ClusterTriggerAuthentications see in files. */
export function fileEnvironment(): FileEnvironment {
  const inherited = Object.freeze(
    Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  );
  return {
    inherited,
    clusterObjectNamespace: process.env.KEDA_CLUSTER_OBJECT_NAMESPACE ?? "default",
    // kubernetes-workload and kubernetes-resource read the cluster kubectl would use, when they run.
    kubernetes: kubeconfigAccess({ KUBECONFIG: process.env.KUBECONFIG }),
  };
}

/** `--log-level <level>`, also from TIDAL_LOG_LEVEL. */
export function logLevelOption(): Option {
  return new Option("--log-level <level>", "least severe log level written")
    .choices(["debug", "info", "warn", "error"])
    .env("TIDAL_LOG_LEVEL")
    .default("info");
}

/** That option's value. */
export function logLevel(command: Command): "debug" | "info" | "warn" | "error" {
  return command.getOptionValue("logLevel") as "debug" | "info" | "warn" | "error";
}
