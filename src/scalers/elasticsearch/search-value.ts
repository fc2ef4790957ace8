import { gjsonGet } from "../metrics-api/gjson-path.ts";
import { param, type ParamProblem } from "../params.ts";
import { parseGoFloat } from "../../util/go/parse.ts";

/**
 * The number at `valueLocation` (a GJSON path) in a search answer, by KEDA's rules for its
 * elasticsearch and opensearch scalers: a number is the value, a string is parsed as a float, null
 * or missing is 0 with ignoreNullValues and an error without; anything else is an error.
 */
export function valueAtLocation(body: string, valueLocation: string, ignoreNullValues: boolean): number {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    document = undefined;
  }
  const result = gjsonGet(document, valueLocation);
  const problem = (got: string) =>
    new Error(`valueLocation must point to value of type number but got: '${got}'`);
  if (result.type === "Null") {
    if (ignoreNullValues) return 0;
    throw problem("Null");
  }
  if (result.type === "String") {
    const parsed = parseGoFloat(String(result.value));
    if (parsed === undefined) throw problem(String(result.value));
    return parsed;
  }
  if (result.type !== "Number") throw problem(result.type);
  return result.value as number;
}

/** A list KEDA separates with `;` (index, parameters): split, each item trimmed. */
export function semicolonList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(";").map((item) => item.trim());
}

/**
 * The server's own reason for a failed search (`index_not_found_exception: no such index [jobs]`),
 * to add to an error message; undefined for a successful answer or one without a reason.
 */
export function searchFailureReason(status: number, body: string): string | undefined {
  if (status < 400) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { type?: unknown; reason?: unknown } | string };
    const error = parsed.error;
    if (typeof error === "string") return `HTTP ${status}: ${error}`;
    if (error && typeof error.reason === "string") {
      return `HTTP ${status}: ${typeof error.type === "string" ? `${error.type}: ` : ""}${error.reason}`;
    }
  } catch {
    // not JSON: only the status is known
  }
  return `HTTP ${status}`;
}

/** The search parameters KEDA's elasticsearch and opensearch scalers share: names, sources, defaults. */
export const searchParams = {
  index: param.string({
    sources: ["auth", "metadata"],
    description: "index (or several, separated by ;) to search",
  }),
  searchTemplateName: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "stored search template to run (or give query)",
  }),
  query: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "search request body as JSON (or give searchTemplateName)",
  }),
  parameters: param.string({
    optional: true,
    description: "search template parameters as key:value;key2:value2",
  }),
  valueLocation: param.string({
    sources: ["auth", "metadata"],
    description: "GJSON path of the value in the search answer, e.g. hits.total.value",
  }),
  targetValue: param.float({ sources: ["auth", "metadata"], description: "target value per replica" }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  ignoreNullValues: param.bool({
    default: false,
    description: "read a missing or null value as 0 instead of failing",
  }),
  metricName: param.string({ optional: true, description: "ignored (KEDA names the metric itself)" }),
};

/** What is searched: a stored template or a query, exactly one of them (KEDA's rule for both scalers). */
export function searchSourceProblems(values: {
  searchTemplateName?: string | undefined;
  query?: string | undefined;
}): ParamProblem[] {
  if (!values.searchTemplateName && !values.query)
    return [
      { key: "query", message: "either searchTemplateName or query must be provided", severity: "error" },
    ];
  if (values.searchTemplateName && values.query)
    return [{ key: "query", message: "cannot provide both searchTemplateName and query", severity: "error" }];
  return [];
}
