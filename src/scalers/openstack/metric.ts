import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { KeystoneSession, openstackErrorMessage } from "./keystone.ts";

const AUTH = ["auth"] as const;

const params = {
  metricsURL: param.string({
    description: "Gnocchi's metric API, e.g. http://gnocchi:8041/v1/metric",
  }),
  metricID: param.string({ description: "the id of the Gnocchi metric" }),
  aggregationMethod: param.string({ description: "aggregation of the measures, e.g. mean, sum, max" }),
  granularity: param.int({ description: "granularity of the measures, in seconds" }),
  threshold: param.float({
    optional: true,
    description: "target value per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
  timeout: param.int({ default: 30, description: "HTTP timeout in seconds" }),
  authURL: param.string({ sources: AUTH, description: "Keystone's URL, e.g. http://keystone:5000/v3" }),
  userID: param.string({ sources: AUTH, optional: true, description: "user id for the password method" }),
  password: param.string({ sources: AUTH, optional: true, secret: true, description: "password of userID" }),
  appCredentialID: param.string({
    sources: AUTH,
    optional: true,
    description: "application credential id (the application credential method)",
  }),
  appCredentialSecret: param.string({
    sources: AUTH,
    optional: true,
    secret: true,
    description: "application credential secret",
  }),
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/**
 * KEDA's measures request: `<metricsURL>/<metricID>/measures` with the aggregation, the
 * granularity and a start `granularity/60 - 1` minutes back (whole minutes, UTC, without zone).
 */
export function gnocchiMeasuresUrl(
  values: { metricsURL: string; metricID: string; aggregationMethod: string; granularity: number },
  now: number,
): URL {
  const url = new URL(values.metricsURL);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${values.metricID}/measures`.replace(/\/{2,}/g, "/");
  const minutesBack = Math.trunc(values.granularity / 60) > 0 ? Math.trunc(values.granularity / 60) - 1 : 0;
  const start = new Date(now - minutesBack * 60_000).toISOString().slice(0, 17);
  const query = new URLSearchParams(url.search);
  query.set("aggregation", values.aggregationMethod);
  query.set("granularity", String(values.granularity));
  query.set("start", `${start}00`);
  query.sort();
  url.search = query.toString();
  return url;
}

/**
 * KEDA's reading of Gnocchi's answer, a list of `[timestamp, granularity, value]`: the last
 * measure's value; no measure reads 0.
 */
export function gnocchiValue(response: { status: number; body: string }): number {
  if (response.status !== 200) {
    const hint = response.status === 404 ? " (no such metric, or no measures at that granularity)" : "";
    throw new Error(
      `Gnocchi answered HTTP ${response.status}${hint}: ${openstackErrorMessage(response.body)}`,
    );
  }
  if (response.body === "") return 0;
  let measures: unknown;
  try {
    measures = JSON.parse(response.body);
  } catch {
    throw new Error("Gnocchi answered with something that is not JSON");
  }
  if (measures === null) return 0;
  if (!Array.isArray(measures)) throw new Error("unexpected json response: not a list of measures");
  if (measures.length === 0) return 0;
  const last: unknown = measures.at(-1);
  if (!Array.isArray(last) || last.length !== 3) {
    throw new Error("unexpected json response: a measure is not [timestamp, granularity, value]");
  }
  if (typeof last[2] !== "number") throw new Error("failed to convert interface type to float64");
  return last[2];
}

export const openstackMetricScaler: ScalerDefinition<typeof params> = {
  type: "openstack-metric",
  kedaScalerName: "openstackMetricScaler",
  description: "The last measure of an OpenStack Gnocchi metric, with a Keystone token.",
  testedAgainst:
    "fake-openstack (a loopback fake of OpenStack Keystone's, Gnocchi's and Swift's documented APIs)",
  example: {
    metadata: {
      metricsURL: "http://gnocchi:8041/v1/metric",
      metricID: "003bb589-166d-439d-8c31-cbf098d863de",
      aggregationMethod: "mean",
      granularity: "300",
      threshold: "1250",
    },
    authParams: { authURL: "http://keystone:5000/v3", userID: "my-id", password: "my-password" },
    metricName: "s0-openstack-metric-003bb589-166d-439d-8c31-cbf098d863de",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (values.threshold === undefined && !context.asMetricSource)
      problems.push(problem("threshold", 'missing required parameter "threshold"'));
    if (!isHttpUrl(values.metricsURL))
      problems.push(
        problem(
          "metricsURL",
          `metricsURL "${values.metricsURL}" is not a URL such as http://gnocchi:8041/v1/metric`,
        ),
      );
    if (!isHttpUrl(values.authURL))
      problems.push(
        problem("authURL", `authURL "${values.authURL}" is not a URL such as http://keystone:5000/v3`),
      );
    if (values.userID) {
      if (!values.password) problems.push(problem("password", "password doesn't exist in the authParams"));
    } else if (!values.appCredentialSecret) {
      problems.push(
        problem(
          "userID",
          "neither userID or appCredentialSecret exist in the authParams: give userID and password, or appCredentialID and appCredentialSecret",
        ),
      );
    } else if (!values.appCredentialID) {
      problems.push(problem("appCredentialID", "appCredentialID must be given with appCredentialSecret"));
    }
    if (values.granularity <= 0)
      problems.push(
        problem("granularity", "granularity value is less than 1: give the measures' granularity in seconds"),
      );
    return problems;
  },
  metric: (values) => ({
    name: `openstack-metric-${values.metricID}`,
    target: values.threshold ?? 0,
    activationTarget: values.activationThreshold,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const keystone = new KeystoneSession(
      values.userID
        ? { authUrl: values.authURL, userId: values.userID, password: values.password }
        : {
            authUrl: values.authURL,
            appCredentialId: values.appCredentialID,
            appCredentialSecret: values.appCredentialSecret,
          },
      client,
    );
    return {
      timeoutMs: values.timeout * 1000,
      async measure(signal) {
        const { token } = await keystone.validToken(signal);
        const response = await client.get(
          gnocchiMeasuresUrl(values, Date.now()),
          { "X-Auth-Token": token, Accept: "application/json" },
          signal,
        );
        if (response.status === 401) keystone.invalidate();
        const value = gnocchiValue(response);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};
