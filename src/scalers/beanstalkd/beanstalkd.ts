import { poolKey } from "../connection-pool.ts";
import { goQueryEscape } from "../metric-name.ts";
import { param, type ParamProblem } from "../params.ts";
import { targetValueProblems } from "../shared/target-value.ts";
import type { ScalerDefinition } from "../types.ts";
import { BeanstalkdClient } from "./client.ts";

const params = {
  server: param.string({ description: "host:port of the beanstalkd server" }),
  tube: param.string({ description: "name of the tube to measure" }),
  value: param.float({ description: "target number of jobs (ready and reserved) per replica" }),
  activationValue: param.float({
    default: 0,
    description: "active when the number of jobs is greater than this",
  }),
  includeDelayed: param.bool({ default: false, description: "count the tube's delayed jobs too" }),
  timeout: param.duration({
    default: 30,
    description:
      "how long to wait for the connection: a Go duration or milliseconds (KEDA's default 30 is read as 30 ms)",
  }),
};

/** host:port, as Go dials it; undefined when it is not one. */
export function serverEndpoint(server: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(server);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2] ?? "") || "localhost", port };
}

/** KEDA's count: ready plus reserved jobs, plus delayed ones with includeDelayed. */
export function tubeJobs(
  stats: Readonly<Record<string, string>> | undefined,
  includeDelayed: boolean,
): number {
  if (stats === undefined) return 0; // KEDA: a tube that does not exist (yet) has no jobs.
  const count = (key: string) => Number(stats[key] ?? 0) || 0;
  return (
    count("current-jobs-ready") +
    count("current-jobs-reserved") +
    (includeDelayed ? count("current-jobs-delayed") : 0)
  );
}

export const beanstalkdScaler: ScalerDefinition<typeof params> = {
  type: "beanstalkd",
  kedaScalerName: "BeanstalkdScaler",
  description: "Jobs in a beanstalkd tube (stats-tube): ready and reserved, and delayed with includeDelayed.",
  testedAgainst: "beanstalkd (Debian)",
  example: {
    metadata: { server: "beanstalkd:11300", tube: "emails", value: "10" },
    metricName: "s0-beanstalkd-emails",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = targetValueProblems("value", values.value, context.asMetricSource);
    if (serverEndpoint(values.server) === undefined) {
      problems.push({
        key: "server",
        message: `server "${values.server}" must be host:port`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `beanstalkd-${goQueryEscape(values.tube)}`,
    target: values.value,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const endpoint = serverEndpoint(values.server);
    if (endpoint === undefined) throw new Error(`server "${values.server}" must be host:port`);
    const lease = context.pool.acquire(
      poolKey("beanstalkd", endpoint.host, endpoint.port, values.timeout),
      async () => new BeanstalkdClient(endpoint.host, endpoint.port, values.timeout),
      async (client) => client.close(),
    );
    return {
      async measure(signal) {
        const client = await lease.client;
        const jobs = tubeJobs(await client.statsTube(values.tube, signal), values.includeDelayed);
        return { value: jobs, active: jobs > values.activationValue };
      },
      close: () => lease.release(),
    };
  },
};
