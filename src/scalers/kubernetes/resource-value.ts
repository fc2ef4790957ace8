import { parse as parseYaml } from "yaml";
import { parseQuantity } from "../../util/quantity.ts";
import { gjsonGet } from "../metrics-api/gjson-path.ts";
import { valueByDottedPath } from "../metrics-api/response-value.ts";

/**
 * How KEDA's kubernetes-resource reads a number from a ConfigMap or Secret value: `number` is the
 * whole value (Go's fmt.Sscanf with %f or %d, which reads a leading number; or a quantity),
 * `json` a GJSON path, `yaml` a dotted path.
 */

export type ResourceFormat = "number" | "json" | "yaml";
export type ResourceValueType = "float64" | "int64" | "quantity";

/**
 * How a value is named in an error: quoted for a ConfigMap, never for a Secret (whose data must
 * not reach logs, status or events).
 */
export type Show = (text: string) => string;
export const quoted: Show = (text) => `"${text}"`;
export const hidden: Show = () => "the Secret's value";

const typeError = (got: string) =>
  new Error(
    `valueLocation must point to value of type number or a string representing a Quantity, got: '${got}'`,
  );

/** fmt.Sscanf(text, "%f"): the float at the start of the text (after spaces), else an error. */
export function scanFloat(text: string, show: Show = quoted): number {
  const match = /^\s*([+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(text);
  const value = match ? Number((match[1] as string).replaceAll("_", "")) : Number.NaN;
  if (!Number.isFinite(value))
    throw new Error(`error parsing value as float64: ${show(text)} is not a number`);
  return value;
}

/** fmt.Sscanf(text, "%d"): the integer at the start of the text (after spaces), else an error. */
export function scanInt(text: string, show: Show = quoted): number {
  const match = /^\s*([+-]?\d[\d_]*)/.exec(text);
  if (!match) throw new Error(`error parsing value as int64: ${show(text)} is not an integer`);
  return Number((match[1] as string).replaceAll("_", ""));
}

function quantity(text: string, show: Show): number {
  const value = parseQuantity(text);
  if (value === undefined)
    throw new Error(`error parsing value as quantity: ${show(text)} is not a quantity`);
  return value;
}

function fromJson(text: string, path: string, valueType: ResourceValueType, show: Show): number {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    document = undefined; // GJSON finds nothing in text that is not JSON
  }
  const found = gjsonGet(document, path);
  if (found.value === null || found.value === undefined) throw new Error(`path ${path} not found in json`);
  if (valueType === "int64") {
    if (found.type === "Number") return Math.trunc(found.value as number);
    throw typeError(found.type);
  }
  if (found.type === "Number") return found.value as number;
  if (found.type === "String") return quantity(found.value as string, show);
  throw typeError(found.type);
}

function fromYaml(text: string, path: string, valueType: ResourceValueType, show: Show): number {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    // The parser's message quotes the document: not for a Secret.
    const detail = show === quoted ? `: ${(error as Error).message.split("\n")[0]}` : "";
    throw new Error(`error parsing YAML${detail}`, { cause: error });
  }
  let value: unknown;
  try {
    value = valueByDottedPath(document, path);
  } catch {
    throw new Error(`path ${path} not found in yaml`);
  }
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    if (valueType === "quantity") return quantity(value, show);
    try {
      return scanFloat(value);
    } catch {
      throw typeError(show === quoted ? value : show(value));
    }
  }
  throw typeError(show === quoted ? String(value) : show(String(value)));
}

/** The number in a ConfigMap or Secret value, as KEDA reads it. */
export function resourceValue(
  text: string,
  format: ResourceFormat,
  valueType: ResourceValueType,
  valueLocation: string | undefined,
  show: Show = quoted,
): number {
  if (format === "json") return fromJson(text, valueLocation ?? "", valueType, show);
  if (format === "yaml") return fromYaml(text, valueLocation ?? "", valueType, show);
  if (valueType === "int64") return scanInt(text, show);
  if (valueType === "quantity") return quantity(text, show);
  return scanFloat(text, show);
}
