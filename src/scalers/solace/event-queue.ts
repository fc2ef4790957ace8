import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import type { HttpGetClient } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

// KEDA reads the credentials from the authentication, then the metadata, then the environment.
const CREDENTIAL_SOURCES = ["auth", "metadata", "env"] as const;

const params = {
  solaceSempBaseURL: param.string({
    description:
      "SEMP base URL of the broker, e.g. http://solace:8080; several separated by commas (tried in turn)",
  }),
  messageVpn: param.string({ description: "Message VPN of the queue" }),
  queueName: param.string({ description: "queue to measure" }),
  username: param.string({
    sources: CREDENTIAL_SOURCES,
    description: "SEMP user (read-only monitoring is enough)",
  }),
  password: param.string({ sources: CREDENTIAL_SOURCES, secret: true, description: "its password" }),
  messageCountTarget: param.int({
    optional: true,
    description: "target number of messages in the queue per replica",
  }),
  messageSpoolUsageTarget: param.int({
    optional: true,
    description: "target spool usage per replica, in megabytes",
  }),
  messageReceiveRateTarget: param.int({
    optional: true,
    description: "target average receive rate per replica, in messages per second",
  }),
  activationMessageCountTarget: param.int({
    default: 0,
    description: "active when more messages than this are queued",
  }),
  activationMessageSpoolUsageTarget: param.int({
    default: 0,
    description: "active when the spool usage is greater than this many megabytes",
  }),
  activationMessageReceiveRateTarget: param.int({
    default: 0,
    description: "active when the receive rate is greater than this",
  }),
};

const MEGABYTE = 1024 * 1024;

/** Go's url.PathEscape: everything but unreserved characters and `$&+,:;=@` (and `/` is escaped). */
export function goPathEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** KEDA's SEMP v2 monitor URLs for each broker: the queue's counters and the VPN's state. */
export function solaceUrls(
  baseUrls: string,
  vpn: string,
  queue: string,
): { queue: string; vpnState: string }[] {
  return baseUrls.split(",").map((raw) => {
    const base = raw.trim();
    const vpnPath = `${base}/SEMP/v2/monitor/msgVpns/${goPathEscape(vpn)}`;
    return {
      queue: `${vpnPath}/queues/${goPathEscape(queue)}?select=msgs,msgSpoolUsage,averageRxMsgRate`,
      vpnState: `${vpnPath}?select=state`,
    };
  });
}

type Kind = "msgcount" | "msgspoolusage" | "msgrcvrate";

interface Values {
  queueName: string;
  messageCountTarget?: number | undefined;
  messageSpoolUsageTarget?: number | undefined;
  messageReceiveRateTarget?: number | undefined;
  activationMessageCountTarget: number;
  activationMessageSpoolUsageTarget: number;
  activationMessageReceiveRateTarget: number;
}

/** The metrics KEDA makes, in its order: one per positive target. */
function metricsOf(values: Values): { kind: Kind; target: number; activation: number }[] {
  const metrics: { kind: Kind; target: number; activation: number }[] = [];
  if ((values.messageCountTarget ?? 0) > 0) {
    metrics.push({
      kind: "msgcount",
      target: values.messageCountTarget!,
      activation: values.activationMessageCountTarget,
    });
  }
  if ((values.messageSpoolUsageTarget ?? 0) > 0) {
    metrics.push({
      kind: "msgspoolusage",
      target: values.messageSpoolUsageTarget! * MEGABYTE,
      activation: values.activationMessageSpoolUsageTarget * MEGABYTE,
    });
  }
  if ((values.messageReceiveRateTarget ?? 0) > 0) {
    metrics.push({
      kind: "msgrcvrate",
      target: values.messageReceiveRateTarget!,
      activation: values.activationMessageReceiveRateTarget,
    });
  }
  return metrics;
}

interface SempAnswer {
  data?: { state?: string; msgSpoolUsage?: number; averageRxMsgRate?: number };
  collections?: { msgs?: { count?: number } };
  meta?: { responseCode?: number; error?: { description?: string; status?: string } };
}

async function sempGet(
  client: HttpGetClient,
  url: string,
  authorization: string,
  signal: AbortSignal,
): Promise<SempAnswer> {
  const response = await client
    .get(new URL(url), { Authorization: authorization, "Content-Type": "application/json" }, signal)
    .catch((error: unknown) => {
      throw signal.aborted
        ? error
        : new Error(`call to solace semp api failed: ${(error as Error).message}, url: ${url}`);
    });
  let answer: SempAnswer | undefined;
  try {
    answer = JSON.parse(response.body) as SempAnswer;
  } catch {
    answer = undefined;
  }
  if (response.status < 200 || response.status > 299) {
    const detail = answer?.meta?.error?.description ?? bodyExcerpt(response.body, 120);
    throw new Error(
      `semp request http status code: ${response.status}${detail ? ` - ${detail}` : ""}, url: ${url}`,
    );
  }
  if (answer === undefined) throw new Error(`failed to read semp response body: not JSON, url: ${url}`);
  const code = answer.meta?.responseCode ?? 0;
  if (code < 200 || code > 299)
    throw new Error(`solace semp api returned error status: ${code}, url: ${url}`);
  return answer;
}

export const solaceEventQueueScaler: ScalerDefinition<typeof params> = {
  type: "solace-event-queue",
  kedaScalerName: "SolaceScaler",
  description:
    "A Solace PubSub+ queue's message count, spool usage or receive rate, read through SEMP v2 (one target per trigger).",
  testedAgainst: "fake-solace (a loopback fake of Solace PubSub+'s documented SEMP v2 monitor API)",
  example: {
    metadata: {
      solaceSempBaseURL: "http://solace:8080",
      messageVpn: "default",
      queueName: "orders",
      messageCountTarget: "10",
    },
    authParams: { username: "monitor", password: "monitor-password" },
    metricName: "s0-solace-orders-msgcount",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    const metrics = metricsOf(values);
    if (metrics.length === 0) {
      problems.push({
        key: "messageCountTarget",
        message: "no target value found in the scaler configuration",
        severity: "error",
      });
    } else if (metrics.length > 1) {
      problems.push({
        key: "messageCountTarget",
        message:
          "Tidal reads one metric per trigger: set only one of messageCountTarget, messageSpoolUsageTarget and messageReceiveRateTarget, and give each further target a trigger of its own",
        severity: "error",
      });
    }
    for (const url of solaceUrls(values.solaceSempBaseURL, values.messageVpn, values.queueName)) {
      if (!isHttpUrl(url.queue)) {
        problems.push({
          key: "solaceSempBaseURL",
          message: `solaceSempBaseURL "${values.solaceSempBaseURL}" is not a list of URLs such as http://solace:8080`,
          severity: "error",
        });
        break;
      }
    }
    return problems;
  },
  metric: (values) => {
    const [metric] = metricsOf(values);
    return {
      name: `solace-${values.queueName}-${metric?.kind ?? "msgcount"}`,
      target: metric?.target ?? 0,
      activationTarget: metric?.activation ?? 0,
    };
  },
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const urls = solaceUrls(values.solaceSempBaseURL, values.messageVpn, values.queueName);
    const authorization = basicAuthorization(values.username, values.password);
    const kind = metricsOf(values)[0]?.kind ?? "msgcount";
    let current = 0;
    return {
      async measure(signal) {
        const errors: string[] = [];
        for (let step = 0; step < urls.length; step += 1) {
          const index = (current + step) % urls.length;
          const url = urls[index]!;
          try {
            const state = (await sempGet(client, url.vpnState, authorization, signal)).data?.state ?? "";
            if (state !== "up") throw new Error(`Message vpn is not up (${state}) url: ${url.vpnState}`);
            const answer = await sempGet(client, url.queue, authorization, signal);
            current = index;
            const count = answer.collections?.msgs?.count ?? 0;
            const spool = answer.data?.msgSpoolUsage ?? 0;
            const rate = answer.data?.averageRxMsgRate ?? 0;
            const value = kind === "msgcount" ? count : kind === "msgspoolusage" ? spool : rate;
            const active =
              count > values.activationMessageCountTarget ||
              spool > values.activationMessageSpoolUsageTarget * MEGABYTE ||
              rate > values.activationMessageReceiveRateTarget;
            return { value, active };
          } catch (error) {
            if (signal.aborted) throw error;
            errors.push(`Host ${index + 1} Error: ${(error as Error).message}`);
          }
        }
        throw new Error(`unable to collect metrics, error(s): ${errors.join("\n  ")}`);
      },
      close: async () => client.close(),
    };
  },
};
