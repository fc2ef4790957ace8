import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { knownTimezone, SumoClient, type Aggregator } from "./client.ts";

const QUERY_PREFIX = "query.";

const params = {
  accessID: param.string({ sources: ["auth"], description: "access ID of a Sumo Logic access key" }),
  accessKey: param.string({ sources: ["auth"], secret: true, description: "the access key" }),
  host: param.string({ description: "the deployment's API endpoint, e.g. https://api.sumologic.com" }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  queryType: param.enum(["logs", "metrics"], {
    description: "logs (a search job) or metrics (a metrics query)",
  }),
  query: param.string({
    optional: true,
    description: "the query; for metrics, several rows are query.<rowId> keys instead",
  }),
  resultQueryRowID: param.string({
    optional: true,
    description: "metrics: the row whose series is the metric",
  }),
  quantization: param.duration({
    optional: true,
    description: "metrics: the quantization (required for metrics)",
  }),
  rollup: param.enum(["Avg", "Sum", "Count", "Min", "Max"], {
    default: "Avg",
    description: "metrics: the rollup",
  }),
  resultField: param.string({
    optional: true,
    description: "logs: the aggregate's field (required for logs)",
  }),
  logsPollingInterval: param.duration({
    optional: true,
    description: "logs: wait between job status polls (default 1s)",
  }),
  maxRetries: param.int({
    optional: true,
    description: "attempts of a request answered with an error (default 3)",
  }),
  timerange: param.duration({ description: "how far back from now the query reads" }),
  timezone: param.string({ default: "UTC", description: "IANA time zone of the time range" }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
  queryAggregator: param.enum(["Latest", "Avg", "Sum", "Count", "Min", "Max"], {
    default: "Avg",
    description: "how the values of the series (or the records) become one",
  }),
  threshold: param.float({ description: "target value per replica" }),
};

/** KEDA's parseMultiMetricsQueries: the query.<rowId> keys, or the problems with them. */
export function multiMetricsQueries(metadata: Readonly<Record<string, string>>): {
  queries: Record<string, string>;
  problems: ParamProblem[];
} {
  const queries: Record<string, string> = {};
  const problems: ParamProblem[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith(QUERY_PREFIX)) continue;
    const rowId = key.slice(QUERY_PREFIX.length);
    if (rowId === "") {
      problems.push({
        key,
        message: `malformed metadata, unable to parse rowID from key: ${key}`,
        severity: "error",
      });
    } else if (value === "") {
      problems.push({ key, message: `malformed metadata, invalid value for key: ${key}`, severity: "error" });
    } else queries[rowId] = value;
  }
  return { queries, problems };
}

export const sumologicScaler: ScalerDefinition<typeof params> = {
  type: "sumologic",
  kedaScalerName: "sumologicScaler",
  description:
    "A Sumo Logic logs search (an aggregate field over the records) or metrics query (one series), reduced by queryAggregator.",
  testedAgainst:
    "fake-sumologic (a loopback fake of Sumo Logic's documented Search Job API and Metrics Query API)",
  example: {
    metadata: {
      host: "https://api.sumologic.com",
      queryType: "logs",
      query: "_sourceCategory=app error | count as errors",
      resultField: "errors",
      timerange: "5m",
      threshold: "100",
    },
    authParams: { accessID: "suABC123", accessKey: "access-key" },
    metricName: "s0-sumologic-logs",
  },
  params,
  metadataPrefixes: [QUERY_PREFIX],
  validate(values, context) {
    const { queries, problems } = multiMetricsQueries(context.inputs.metadata);
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    const rows = Object.keys(queries).length;
    if (values.queryType === "logs") {
      if (!values.query) error("query", "missing required metadata: query");
      else if (rows > 0) error("query", "invalid metadata, query.<RowId> not supported for logs queryType");
      else if (!values.resultField)
        error("resultField", "missing required metadata: resultField (required for logs queryType)");
    } else {
      if (!values.query && rows === 0) {
        error(
          "query",
          "missing metadata: either of query or query.<RowId> must be defined for metrics queryType",
        );
      } else if (values.query && rows > 0) {
        error(
          "query",
          "invalid metadata: only one of query or query.<RowId> must be defined for metrics queryType",
        );
      } else if (rows > 0 && !values.resultQueryRowID) {
        error("resultQueryRowID", "missing required metadata: resultQueryRowID for multi-metrics query");
      } else if (rows > 0 && !(values.resultQueryRowID! in queries)) {
        error("resultQueryRowID", `resultQueryRowID '${values.resultQueryRowID}' not found in queries`);
      } else if (!values.quantization) {
        error("quantization", "missing required metadata: quantization for metrics queryType");
      }
    }
    if (!isHttpUrl(`${values.host}/api/v1/search/jobs`)) {
      error("host", `host "${values.host}" is not a URL such as https://api.sumologic.com`);
    }
    if (!knownTimezone(values.timezone)) {
      error(
        "timezone",
        `unknown time zone ${values.timezone}: give an IANA name such as UTC or Europe/Berlin`,
      );
    }
    return problems;
  },
  metric: (values) => ({
    name: `sumologic-${values.queryType}`,
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values, context) {
    const http = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
    const maxRetries = values.maxRetries && values.maxRetries > 0 ? values.maxRetries : 3;
    const client = new SumoClient(http, {
      host: values.host,
      accessId: values.accessID,
      accessKey: values.accessKey,
      logsPollingIntervalMs: values.logsPollingInterval || 1000,
      maxRetries,
    });
    const query = {
      type: values.queryType,
      query: values.query,
      queries: multiMetricsQueries(context.resolvedMetadata).queries,
      resultQueryRowId: values.resultQueryRowID,
      quantizationMs: values.quantization ?? 0,
      rollup: values.rollup,
      resultField: values.resultField,
      timerangeMs: values.timerange,
      timezone: values.timezone,
      aggregator: values.queryAggregator as Aggregator,
    };
    // KEDA bounds neither its retries (1 s, 2 s, 4 s… after each error) nor a search job's polls;
    // a measurement here may take the requests a logs search makes, each tried maxRetries times.
    const retriesMs = maxRetries * context.timeoutMs + (2 ** maxRetries - 1) * 1000;
    return {
      timeoutMs: values.queryType === "logs" ? 4 * retriesMs + 30_000 : retriesMs,
      async measure(signal) {
        const value = await client.value(query, signal);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => http.close(),
    };
  },
};
