import { parseGoFloat } from "../../util/go/parse.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization, parseRequestUri } from "../shared/go-url.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  apiToken: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "authentication token (sent as a bearer token; not with password)",
  }),
  password: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "password for basic authentication (not with apiToken)",
  }),
  username: param.string({
    sources: ["auth"],
    description: "user: the owner of the saved search's namespace, and the basic-authentication user",
  }),
  host: param.string({ description: "Splunk's management API, e.g. https://splunk:8089" }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  targetValue: param.int({ description: "target value per replica" }),
  activationValue: param.int({
    description: "active when the value (rounded toward zero) is greater than this",
  }),
  savedSearchName: param.string({ description: "saved search (report) to run" }),
  valueField: param.string({ description: "field of the first result row that holds the value" }),
};

/** KEDA's request: POST <host>/servicesNS/<username>/search/search/jobs/export?output_mode=json. */
export function splunkExportUrl(host: string, username: string): URL {
  const url = new URL(`${host}/servicesNS/${username}/search/search/jobs/export`);
  url.search = "output_mode=json";
  return url;
}

/**
 * The first JSON object of an export answer. With output_mode=json Splunk streams one object per
 * line ({"preview":false,"offset":0,"result":{…}}); KEDA decodes the first one.
 */
function firstJsonObject(body: string): unknown {
  let text = "";
  for (const line of body.split("\n")) {
    text += `${line}\n`;
    if (line.trim() === "") continue;
    try {
      return JSON.parse(text);
    } catch {
      // An object over several lines: read on.
    }
  }
  return JSON.parse(body);
}

/** The value of `valueField` in the first result row of an export answer, by KEDA's rules. */
export function splunkValue(response: HttpResponse, valueField: string): number {
  if (response.status > 399) {
    const hint = response.status === 401 ? " (check username, password or apiToken)" : "";
    throw new Error(
      `error fetching saved search data from splunk: HTTP ${response.status}${hint}: ${bodyExcerpt(response.body, 300)}`,
    );
  }
  let answer: unknown;
  try {
    answer = firstJsonObject(response.body);
  } catch (error) {
    throw new Error(`error fetching saved search data from splunk: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = (answer as { result?: unknown } | null)?.result;
  const fields = typeof result === "object" && result !== null ? (result as Record<string, unknown>) : {};
  if (!(valueField in fields)) {
    throw new Error(`error finding metric value field: field: ${valueField} not found in search results`);
  }
  const raw = fields[valueField];
  const value = typeof raw === "string" ? parseGoFloat(raw) : undefined;
  if (value === undefined) {
    throw new Error(`error finding metric value field: value: ${valueField} is not a float value`);
  }
  return value;
}

export const splunkScaler: ScalerDefinition<typeof params> = {
  type: "splunk",
  kedaScalerName: "SplunkScaler",
  description: "A field of the first result row of a Splunk saved search, run through the search export API.",
  testedAgainst: "fake-splunk (a loopback fake of Splunk's documented REST API: search/jobs/export)",
  example: {
    metadata: {
      host: "https://splunk:8089",
      savedSearchName: "queued-jobs",
      valueField: "count",
      targetValue: "10",
      activationValue: "0",
    },
    authParams: { username: "admin", apiToken: "splunk-token" },
    metricName: "s0-splunk-queued-jobs",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    let valid = isHttpUrl(values.host);
    try {
      parseRequestUri(values.host);
    } catch {
      valid = false;
    }
    if (!valid) {
      problems.push({
        key: "host",
        message: "invalid value for host. Must be a valid URL such as https://localhost:8089",
        severity: "error",
      });
    }
    if (values.apiToken && values.password) {
      problems.push({
        key: "apiToken",
        message:
          "API token and Password were all set. If APIToken is set, username and password must not be used",
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `splunk-${values.savedSearchName}`,
    target: values.targetValue,
    activationTarget: values.activationValue,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
    const url = splunkExportUrl(values.host, values.username);
    const headers = {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: values.apiToken
        ? `Bearer ${values.apiToken}`
        : basicAuthorization(values.username, values.password ?? ""),
    };
    // As KEDA sends it: the saved search's name is not form-encoded.
    const body = `search=savedsearch ${values.savedSearchName}`;
    return {
      async measure(signal) {
        const value = splunkValue(await client.post(url, headers, body, signal), values.valueField);
        return { value, active: Math.trunc(value) > values.activationValue };
      },
      close: async () => client.close(),
    };
  },
};
