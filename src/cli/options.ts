import { InvalidArgumentError, Option } from "commander";

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
