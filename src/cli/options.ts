import { InvalidArgumentError, Option } from "commander";
import { TidalError } from "../util/errors.ts";

/** `-f, --filename PATH...`: files or folders of manifests, as kubectl spells it. */
export function filenameOption(): Option {
  return new Option(
    "-f, --filename <path...>",
    "manifest files or folders (multi-document YAML or JSON)",
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

/** A port option's value: a whole number from 0 (any free port) to 65535. */
export function portNumber(value: string, option: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`${option} must be a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

/** `--timeout`'s value: a positive whole number of milliseconds. */
export function timeoutMilliseconds(value: string): number {
  const timeoutMs = Number(value);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw usageError(`--timeout must be a positive number of milliseconds, got "${value}"`);
  }
  return timeoutMs;
}
