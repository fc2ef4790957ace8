import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { queryFirstValue, type InfluxClient } from "./query.ts";

const params = {
  // KEDA reads authToken from the environment, then the authentication; the key in the trigger's
  // metadata is refused (it was deprecated in KEDA 2.18 and removed in 2.20).
  authToken: param.string({
    sources: ["env", "auth", "metadata"],
    optional: true,
    secret: true,
    description: "API token (from the authentication or authTokenFromEnv; not in metadata)",
  }),
  organizationName: param.string({
    sources: ["metadata", "env", "auth"],
    optional: true,
    description: "organization (InfluxDB 2; required there)",
  }),
  query: param.string({ description: "Flux query (InfluxDB 2) or InfluxQL/SQL query (InfluxDB 3)" }),
  influxVersion: param.enum(["2", "3"], { default: "2", description: "InfluxDB major version: 2 or 3" }),
  queryType: param.string({
    default: "InfluxQL",
    description: "InfluxDB 3 query language: InfluxQL or FlightSQL",
  }),
  database: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    description: "database (InfluxDB 3; required there)",
  }),
  metricKey: param.string({
    optional: true,
    description: "column holding the value (InfluxDB 3; required there)",
  }),
  serverURL: param.string({
    sources: ["metadata", "auth"],
    description: "server URL, e.g. http://influxdb:8086",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  thresholdValue: param.float({
    default: 0,
    description:
      "target value per replica (required, not 0, unless the trigger feeds a scalingModifiers formula)",
  }),
  activationThresholdValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
};

export const influxDbScaler: ScalerDefinition<typeof params> = {
  type: "influxdb",
  kedaScalerName: "influxDBScaler",
  description: "First value of an InfluxDB 2 Flux query (InfluxDB 3 is declared but not measured yet).",
  testedAgainst:
    "InfluxDB 1.8.3 (built from Go modules) through its InfluxDB 2 compatible Flux API, /api/v2/query",
  example: {
    metadata: {
      serverURL: "http://influxdb:8086",
      organizationName: "tidal",
      query: 'from(bucket: "jobs") |> range(start: -1m) |> last()',
      thresholdValue: "10",
    },
    authParams: { authToken: "influx-token" },
    metricName: "s0-influxdb-tidal",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (context.inputs.metadata.authToken?.trim()) {
      error(
        "authToken",
        "authToken in the trigger's metadata was removed in KEDA 2.20: give it in the TriggerAuthentication or through authTokenFromEnv",
      );
    }
    if (values.thresholdValue === 0 && !context.asMetricSource) {
      error("thresholdValue", "no threshold value given (thresholdValue, a number other than 0)");
    }
    if (values.influxVersion === "3") {
      if (!values.database) error("database", "database is required if influxVersion is 3");
      if (!values.metricKey) error("metricKey", "metricKey is required if influxVersion is 3");
      const queryType = values.queryType.toLowerCase();
      if (queryType !== "influxql" && queryType !== "flightsql") {
        error("queryType", "query type must be 'influxql' or 'flightsql'");
      }
    } else if (!values.organizationName) {
      error("organizationName", "organizationName is required if influxVersion is 2");
    }
    if (!isHttpUrl(values.serverURL)) {
      error("serverURL", `serverURL "${values.serverURL}" is not a URL such as http://influxdb:8086`);
    }
    return problems;
  },
  metric: (values) => ({
    name: `influxdb-${values.influxVersion === "3" ? (values.database ?? "") : (values.organizationName ?? "")}`,
    target: values.thresholdValue,
    activationTarget: values.activationThresholdValue,
  }),
  connect(values, context) {
    if (values.influxVersion === "3") {
      return {
        async measure() {
          throw new Error(
            "influxVersion 3 (Flight SQL and InfluxQL over Arrow Flight) is not supported by Tidal yet; use InfluxDB 2's Flux API",
          );
        },
        close: async () => {},
      };
    }
    const lease = context.pool.acquire<InfluxClient>(
      poolKey("influxdb", values.serverURL, values.authToken, values.unsafeSsl),
      async () => {
        const { InfluxDB } = await import("@influxdata/influxdb-client");
        return new InfluxDB({
          url: values.serverURL,
          ...(values.authToken ? { token: values.authToken } : {}),
          timeout: context.timeoutMs,
          transportOptions: { rejectUnauthorized: !values.unsafeSsl },
        });
      },
      async () => {},
    );
    const organization = values.organizationName ?? "";
    return {
      async measure(signal) {
        const client = await lease.client;
        const value = await queryFirstValue(client.getQueryApi(organization), values.query, signal);
        return { value, active: value > values.activationThresholdValue };
      },
      close: () => lease.release(),
    };
  },
};
