import { parseDuration } from "../util/go/duration.ts";
import { parseGoBool } from "../util/go/parse.ts";

/**
 * Declarative scaler parameters with KEDA's lookup rules: each parameter names the sources it may
 * come from, in order — trigger metadata, the TriggerAuthentication's parameters, or the target's
 * environment through `<name>FromEnv` — and the first non-blank value wins. One declaration yields
 * the typed values, the validation messages and the generated documentation.
 */

export type ParamSource = "metadata" | "auth" | "env";

interface ParamBase<T> {
  kind: "string" | "int" | "float" | "bool" | "enum" | "list" | "map" | "duration";
  /** Alternative keys, tried after the main key in each source. */
  aliases?: readonly string[];
  /** Sources in lookup order. Default: metadata only. */
  sources?: readonly ParamSource[];
  /**
   * The metadata key naming the environment variable, when it is not `<key>FromEnv` (KEDA's gcp
   * scalers read a key file's path through `credentialsFromEnvFile`). Aliases keep `<alias>FromEnv`.
   */
  envKey?: string;
  /** Value used when no source has one. A parameter without a default and not optional is required. */
  default?: T;
  optional?: boolean;
  /** The value is a credential: it is never printed, and error texts containing it are redacted. */
  secret?: boolean;
  /** Enum members, for kind "enum". */
  values?: readonly string[];
  /** Present means the parameter is rejected with this message. */
  deprecated?: string;
  description: string;
  /** Phantom field carrying the parsed type. */
  readonly __type?: T;
}

export type Param<T> = ParamBase<T>;
export type ParamSchema = Record<string, Param<unknown>>;

type Options<T> = Omit<ParamBase<T>, "kind" | "__type" | "values">;

/** Builders for parameter declarations. The parsed type follows from the builder and its options. */
export const param = {
  string: <O extends Options<string>>(options: O) =>
    ({ kind: "string", ...options }) as Param<Value<string, O>>,
  int: <O extends Options<number>>(options: O) => ({ kind: "int", ...options }) as Param<Value<number, O>>,
  float: <O extends Options<number>>(options: O) =>
    ({ kind: "float", ...options }) as Param<Value<number, O>>,
  bool: <O extends Options<boolean>>(options: O) =>
    ({ kind: "bool", ...options }) as Param<Value<boolean, O>>,
  /** A duration: Go syntax (`30s`, `1m30s`, `500ms`) or a bare integer of milliseconds, as KEDA reads it. */
  duration: <O extends Options<number>>(options: O) =>
    ({ kind: "duration", ...options }) as Param<Value<number, O>>,
  list: <O extends Options<string[]>>(options: O) =>
    ({ kind: "list", ...options }) as Param<Value<string[], O>>,
  map: <O extends Options<Record<string, string>>>(options: O) =>
    ({ kind: "map", ...options }) as Param<Value<Record<string, string>, O>>,
  enum: <const V extends readonly string[], O extends Options<V[number]>>(values: V, options: O) =>
    ({ kind: "enum", values, ...options }) as Param<Value<V[number], O>>,
};

type Value<T, O> = O extends { default: unknown } ? T : O extends { optional: true } ? T | undefined : T;

export type ParsedParams<S extends ParamSchema> = {
  [K in keyof S]: S[K] extends Param<infer T> ? T : never;
};

export interface ParamInputs {
  metadata: Readonly<Record<string, string>>;
  authParams: Readonly<Record<string, string>>;
  resolvedEnv: Readonly<Record<string, string>>;
  /**
   * Sources whose values cannot be known yet (validating files without the cluster's secrets):
   * a parameter that may come from one of them is not reported missing.
   */
  unresolved?: ReadonlySet<ParamSource>;
}

export interface ParamProblem {
  /** The metadata key (or auth parameter) the problem is about. */
  key: string;
  message: string;
  severity: "error" | "warning";
}

export interface ParseResult<S extends ParamSchema> {
  values: ParsedParams<S>;
  /** Values of secret parameters that were found, for redaction. */
  secrets: string[];
  /**
   * Values of free-form parameters (string, list, map) taken from the authentication parameters
   * (which usually come from a Secret) or from the environment (`<key>FromEnv`): hosts, URLs and user names can carry credentials, so
   * messages quoting them are redacted too. Enum, boolean and number values are not included.
   */
  fromAuthentication: string[];
  problems: ParamProblem[];
  /** Which keys were present in any source (after aliases), for cross-field checks. */
  present: Set<keyof S & string>;
  /** Parameters left unset because their only possible sources are unresolved. */
  unknown: Set<keyof S & string>;
}

const SOURCE_LABEL: Record<ParamSource, string> = {
  metadata: "trigger metadata",
  auth: "authentication parameters",
  env: "the target's environment (…FromEnv)",
};

/** The metadata key that names the environment variable holding `key` (see ParamBase.envKey). */
function envKeyOf(name: string, key: string, declaration: Param<unknown>): string {
  return key === name && declaration.envKey !== undefined ? declaration.envKey : `${key}FromEnv`;
}

/** Looks a parameter up in its sources, in order; returns the first non-blank value and where it came from. */
function lookup(
  name: string,
  declaration: Param<unknown>,
  inputs: ParamInputs,
  problems: ParamProblem[],
): { raw: string; source: ParamSource } | undefined {
  const keys = [name, ...(declaration.aliases ?? [])];
  for (const source of declaration.sources ?? ["metadata"]) {
    for (const key of keys) {
      if (source === "metadata") {
        const raw = inputs.metadata[key]?.trim();
        if (raw) return { raw, source };
      } else if (source === "auth") {
        const raw = inputs.authParams[key]?.trim();
        if (raw) return { raw, source };
      } else {
        const envKey = envKeyOf(name, key, declaration);
        const envName = inputs.metadata[envKey]?.trim();
        if (!envName) continue;
        const raw = inputs.resolvedEnv[envName]?.trim();
        if (raw) return { raw, source };
        // An optional parameter whose variable is unset is simply not set, as in KEDA.
        if (inputs.unresolved?.has("env") || declaration.optional || declaration.default !== undefined)
          continue;
        problems.push({
          key: envKey,
          message: `environment variable "${envName}" named by ${envKey} is not set on the target`,
          severity: "error",
        });
      }
    }
  }
  return undefined;
}

/**
 * Whether an unresolved source may hold the parameter: any authentication parameter may, but the
 * environment only through a `<key>FromEnv` entry in the metadata, which is known.
 */
function couldComeFromUnresolved(name: string, declaration: Param<unknown>, inputs: ParamInputs): boolean {
  const keys = [name, ...(declaration.aliases ?? [])];
  return (declaration.sources ?? ["metadata"]).some((source) => {
    if (!inputs.unresolved?.has(source)) return false;
    if (source !== "env") return true;
    return keys.some((key) => Boolean(inputs.metadata[envKeyOf(name, key, declaration)]?.trim()));
  });
}

/** Parses every declared parameter from the trigger's inputs. Never throws; problems are returned. */
export function parseParams<S extends ParamSchema>(schema: S, inputs: ParamInputs): ParseResult<S> {
  const values: Record<string, unknown> = {};
  const problems: ParamProblem[] = [];
  const secrets: string[] = [];
  const fromAuthentication: string[] = [];
  const present = new Set<string>();
  const unknown = new Set<string>();
  for (const [name, declaration] of Object.entries(schema)) {
    const found = lookup(name, declaration, inputs, problems);
    if (found === undefined) {
      const sources = declaration.sources ?? ["metadata"];
      if (declaration.default !== undefined) values[name] = declaration.default;
      else if (couldComeFromUnresolved(name, declaration, inputs)) unknown.add(name);
      else if (!declaration.optional) {
        const where = sources.map((source) => SOURCE_LABEL[source]).join(" or ");
        problems.push({
          key: name,
          message: `missing required parameter "${name}" (looked in ${where})`,
          severity: "error",
        });
      }
      continue;
    }
    present.add(name);
    if (declaration.deprecated) {
      problems.push({ key: name, message: declaration.deprecated, severity: "error" });
      continue;
    }
    if (declaration.secret) secrets.push(found.raw);
    else if (found.source !== "metadata" && FREE_FORM.has(declaration.kind)) {
      fromAuthentication.push(found.raw, ...found.raw.split(",").map((item) => item.trim()));
    }
    const converted = convert(found.raw, declaration);
    if (typeof converted === "object" && converted !== null && "invalid" in converted) {
      // A value from an authentication (usually a Secret) or the environment is never quoted.
      const shown = declaration.secret || found.source !== "metadata" ? "" : ` "${found.raw}"`;
      problems.push({
        key: name,
        message: `parameter "${name}" value${shown} ${converted.invalid}`,
        severity: "error",
      });
      continue;
    }
    values[name] = converted;
  }
  return {
    values: values as ParsedParams<S>,
    secrets,
    fromAuthentication,
    problems,
    present: present as Set<keyof S & string>,
    unknown: unknown as Set<keyof S & string>,
  };
}

const FREE_FORM = new Set<Param<unknown>["kind"]>(["string", "list", "map"]);

type Conversion = unknown | { invalid: string };

function convert(raw: string, declaration: Param<unknown>): Conversion {
  switch (declaration.kind) {
    case "string":
      return raw;
    case "int": {
      if (!/^[+-]?\d+$/.test(raw)) return { invalid: "must be an integer" };
      return Number.parseInt(raw, 10);
    }
    case "float": {
      const value = Number(raw);
      if (raw === "" || !Number.isFinite(value)) return { invalid: "must be a number" };
      return value;
    }
    case "bool": {
      const value = parseGoBool(raw);
      return value === undefined ? { invalid: "must be true or false" } : value;
    }
    case "enum": {
      const values = declaration.values ?? [];
      return values.includes(raw) ? raw : { invalid: `must be one of ${values.join(", ")}` };
    }
    case "list":
      return raw
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
    case "map": {
      const entries: Record<string, string> = {};
      for (const pair of raw.split(",")) {
        if (pair.trim() === "") continue;
        const separator = pair.indexOf("=");
        if (separator <= 0) return { invalid: "must be a list of key=value pairs separated by commas" };
        entries[pair.slice(0, separator).trim()] = pair.slice(separator + 1).trim();
      }
      return entries;
    }
    case "duration": {
      const milliseconds = parseDuration(raw);
      return milliseconds === undefined
        ? { invalid: "must be a duration such as 500ms, 3s or 1m, or milliseconds" }
        : milliseconds;
    }
  }
}

/** Every metadata key a schema understands, including `<name>FromEnv` where env is a source. */
export function knownMetadataKeys(schema: ParamSchema): Set<string> {
  const keys = new Set<string>();
  for (const [name, declaration] of Object.entries(schema)) {
    const sources = declaration.sources ?? ["metadata"];
    for (const key of [name, ...(declaration.aliases ?? [])]) {
      if (sources.includes("metadata")) keys.add(key);
      if (sources.includes("env")) keys.add(envKeyOf(name, key, declaration));
    }
  }
  return keys;
}
