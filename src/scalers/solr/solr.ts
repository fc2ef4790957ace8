import { goQueryEscape } from "../metric-name.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

// KEDA reads the credentials from the authentication, then the metadata; both are required.
const CREDENTIAL_SOURCES = ["auth", "metadata"] as const;

const params = {
  host: param.string({ description: "Solr base URL, e.g. http://solr:8983" }),
  collection: param.string({ description: "collection (or core) to query" }),
  targetQueryValue: param.float({
    optional: true,
    description: "target number of matching documents per replica (not needed as a scalingModifiers source)",
  }),
  activationTargetQueryValue: param.float({
    default: 0,
    description: "active when more documents than this match",
  }),
  query: param.string({ default: "*:*", description: "Solr query (q); its numFound is the metric" }),
  username: param.string({ sources: CREDENTIAL_SOURCES, description: "user for basic authentication" }),
  password: param.string({
    sources: CREDENTIAL_SOURCES,
    secret: true,
    description: "password for basic authentication",
  }),
};

/** KEDA's request: `<host>/solr/<collection>/select?q=<query>&wt=json`. */
export function solrUrl(host: string, collection: string, query: string): string {
  return `${host}/solr/${collection}/select?q=${goQueryEscape(query)}&wt=json`;
}

/** The URL without credentials, for messages (Go's URL.Redacted). */
function redacted(url: URL): string {
  if (!url.password) return url.toString();
  const copy = new URL(url);
  copy.password = "xxxxx";
  return copy.toString();
}

/** numFound of a select answer; any status but 200, or a body without it, is an error. */
export function solrValue(response: HttpResponse, url: URL): number {
  if (response.status !== 200) {
    const hint = response.status === 401 || response.status === 403 ? " (check username and password)" : "";
    throw new Error(
      `the solr API returned error. url: ${redacted(url)} status: ${response.status}${hint} response: ${bodyExcerpt(response.body, 300)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}, make sure you enter username, password and collection values correctly in the yaml file`,
      { cause: error },
    );
  }
  if (parsed === null)
    throw new Error(`the solr API returned a body that decoded to null. url: ${redacted(url)}`);
  const numFound = (parsed as { response?: { numFound?: unknown } }).response?.numFound;
  if (numFound === undefined || numFound === null) return 0;
  if (typeof numFound !== "number" || !Number.isInteger(numFound)) {
    throw new Error(`the solr API returned numFound ${JSON.stringify(numFound)}, not an integer`);
  }
  return numFound;
}

export const solrScaler: ScalerDefinition<typeof params> = {
  type: "solr",
  kedaScalerName: "solrScaler",
  description: "Number of documents matching a Solr query (numFound).",
  testedAgainst: "Apache Solr 9.10 (Maven Central jars, run by Solr's embedded Jetty runner)",
  example: {
    metadata: { host: "http://solr:8983", collection: "jobs", targetQueryValue: "10" },
    authParams: { username: "reader", password: "reader-password" },
    metricName: "s0-solr",
  },
  params,
  validate(values, context) {
    const problems = [];
    if (!context.asMetricSource && !values.targetQueryValue) {
      problems.push({
        key: "targetQueryValue",
        message: "no targetQueryValue given (a number other than 0)",
        severity: "error" as const,
      });
    }
    if (!isHttpUrl(solrUrl(values.host, values.collection, values.query))) {
      problems.push({
        key: "host",
        message: `host "${values.host}" is not a URL such as http://solr:8983`,
        severity: "error" as const,
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "solr",
    target: values.targetQueryValue ?? 0,
    activationTarget: values.activationTargetQueryValue,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const url = new URL(solrUrl(values.host, values.collection, values.query));
    const headers = { Authorization: basicAuthorization(values.username, values.password) };
    return {
      async measure(signal) {
        const value = solrValue(await client.get(url, headers, signal), url);
        return { value, active: value > values.activationTargetQueryValue };
      },
      close: async () => client.close(),
    };
  },
};
