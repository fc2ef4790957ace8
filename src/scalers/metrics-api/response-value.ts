import { parse as parseYaml } from "yaml";
import { parseQuantity } from "../../util/quantity.ts";
import { messageOf } from "../../util/errors.ts";
import { gjsonGet } from "./gjson-path.ts";
import { prometheusTextValue } from "./prometheus-text.ts";

export type ApiFormat = "json" | "xml" | "yaml" | "prometheus";

// KEDA decodes xml into a Go map, which encoding/xml cannot do, so its xml format never yields a
// value; Tidal refuses it up front.
export const XML_UNSUPPORTED = "format xml is not supported; use json, yaml or prometheus";

function wrongType(got: string): Error {
  return new Error(
    `valueLocation must point to value of type number or a string representing a Quantity got: '${got}'`,
  );
}

/** A number as is, a string as a Kubernetes quantity ("500m" is 0.5); anything else is an error. */
function numberOrQuantity(value: unknown, typeName: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const quantity = parseQuantity(value);
    if (quantity === undefined) throw wrongType(value);
    return quantity;
  }
  throw wrongType(typeName);
}

function parseDocument(body: string, format: string, parse: (text: string) => unknown): unknown {
  try {
    return parse(body);
  } catch (error) {
    throw new Error(`the response is not valid ${format}: ${messageOf(error).split("\n")[0]}`, {
      cause: error,
    });
  }
}

/** KEDA's GetValueByPath for YAML: dot-separated keys, numbers index arrays. */
export function valueByDottedPath(document: unknown, path: string): unknown {
  let current = document;
  for (const key of path.split(".")) {
    const container = Array.isArray(current) || (typeof current === "object" && current !== null);
    if (!container || !Object.hasOwn(current as object, key)) {
      throw new Error(`key '${key}' not found in path '${path}'`);
    }
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === "object" && current !== null)
    throw new Error(`path '${path}' does not lead to a value`);
  return current;
}

function typeNameOf(value: unknown): string {
  if (value === null || value === undefined) return "Null";
  return typeof value === "boolean" ? (value ? "True" : "False") : typeof value;
}

/** The metric value at `valueLocation` in a response body of the given format. */
export function valueFromResponse(body: string, valueLocation: string, format: ApiFormat): number {
  switch (format) {
    case "json": {
      const found = gjsonGet(parseDocument(body, "JSON", JSON.parse), valueLocation);
      return numberOrQuantity(found.value, found.type);
    }
    case "yaml": {
      const value = valueByDottedPath(parseDocument(body, "YAML", parseYaml), valueLocation);
      return numberOrQuantity(value, typeNameOf(value));
    }
    case "prometheus":
      return prometheusTextValue(body, valueLocation);
    case "xml":
      throw new Error(XML_UNSUPPORTED);
  }
}
