import { messageOf } from "../../util/errors.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { createHttpGetClient, type HttpGetClient } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { consumerBacklog, leaderProblem, monitoringUrls, needsLeaderCheck } from "./jsz.ts";

const params = {
  natsServerMonitoringEndpoint: param.string({
    sources: ["auth", "metadata"],
    description: "host:port of the NATS monitoring endpoint (usually port 8222)",
  }),
  account: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: 'account name ("$G" without accounts)',
  }),
  accountID: param.string({
    sources: ["auth", "metadata"],
    optional: true,
    description: "account id (instead of account)",
  }),
  stream: param.string({ description: "JetStream stream" }),
  consumer: param.string({ description: "consumer (durable name) whose backlog is measured" }),
  lagThreshold: param.int({ default: 10, description: "target backlog per replica" }),
  activationLagThreshold: param.int({
    default: 0,
    description: "active when the backlog is greater than this",
  }),
  useHttps: param.bool({ default: false, description: "query the monitoring endpoint over https" }),
};

async function getJson(client: HttpGetClient, url: URL, signal: AbortSignal): Promise<unknown> {
  const response = await client.get(url, {}, signal);
  if (response.status !== 200)
    throw new Error(`the NATS monitoring endpoint answered HTTP ${response.status}`);
  try {
    return JSON.parse(response.body);
  } catch (error) {
    throw new Error(`the NATS monitoring endpoint did not answer with JSON: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * The `nats-jetstream` scaler: a consumer's backlog, num_pending + num_ack_pending, from the
 * monitoring endpoint's `/jsz` report. Tidal does not discover the consumer's leader in a
 * cluster as KEDA does: when the report comes from a cluster and this server does not lead the
 * consumer (its counts would be stale), the measurement fails and says which server leads it.
 */
export const natsJetStreamScaler: ScalerDefinition<typeof params> = {
  type: "nats-jetstream",
  testedAgainst: "NATS server with JetStream (Debian), monitoring over HTTP and HTTPS",
  example: {
    metadata: {
      natsServerMonitoringEndpoint: "nats:8222",
      account: "$G",
      stream: "orders",
      consumer: "worker",
    },
    metricName: "s0-nats-jetstream-orders",
  },
  kedaScalerName: "natsJetStreamScaler",
  description:
    "Backlog of a NATS JetStream consumer (pending + unacknowledged) from the monitoring endpoint; point it at the consumer's leader in a cluster.",
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (!values.account && !values.accountID) {
      problems.push({
        key: "account",
        message: "set account (or accountID); without accounts it is $G",
        severity: "error",
      });
    }
    if (
      /^[a-z][a-z0-9+.-]*:\/\//i.test(values.natsServerMonitoringEndpoint) ||
      values.natsServerMonitoringEndpoint.includes("/")
    ) {
      problems.push({
        key: "natsServerMonitoringEndpoint",
        message:
          "natsServerMonitoringEndpoint must be host:port, without a scheme or path (set useHttps for https)",
        severity: "error",
      });
    }
    if (values.lagThreshold <= 0)
      problems.push({
        key: "lagThreshold",
        message: "lagThreshold must be greater than 0",
        severity: "error",
      });
    return problems;
  },
  metric: (values) => ({
    name: `nats-jetstream-${values.stream}`,
    target: values.lagThreshold,
    activationTarget: values.activationLagThreshold,
  }),
  connect(values) {
    const accountId = values.accountID || values.account || "";
    const lookup = { account: values.account, accountId, stream: values.stream, consumer: values.consumer };
    const urls = monitoringUrls(values.natsServerMonitoringEndpoint, values.useHttps, accountId);
    const client = createHttpGetClient({ tls: {} });
    return {
      async measure(signal) {
        const backlog = consumerBacklog(await getJson(client, urls.jsz, signal), lookup);
        if (needsLeaderCheck(backlog)) {
          const problem = leaderProblem(backlog, await getJson(client, urls.varz, signal), values.consumer);
          if (problem !== undefined) throw new Error(problem);
        }
        return { value: backlog.lag, active: backlog.lag > values.activationLagThreshold };
      },
      close: async () => client.close(),
    };
  },
};
