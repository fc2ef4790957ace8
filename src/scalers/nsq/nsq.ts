import { param, type ParamProblem } from "../params.ts";
import { createHttpGetClient, type HttpGetClient } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

// KEDA reads every nsq parameter from metadata, then from the target's environment.
const SOURCES = ["metadata", "env"] as const;

const params = {
  nsqLookupdHTTPAddresses: param.list({
    sources: SOURCES,
    description:
      "nsqlookupd HTTP addresses (host:port, comma-separated); each is asked which nsqd hold the topic",
  }),
  topic: param.string({ sources: SOURCES, description: "the topic" }),
  channel: param.string({ sources: SOURCES, description: "the channel whose depth is measured" }),
  depthThreshold: param.int({ sources: SOURCES, default: 10, description: "target depth per replica" }),
  activationDepthThreshold: param.int({
    sources: SOURCES,
    default: 0,
    description: "active when the depth is greater than this",
  }),
  useHttps: param.bool({
    sources: SOURCES,
    default: false,
    description: "talk HTTPS to nsqlookupd and nsqd",
  }),
  unsafeSsl: param.bool({
    sources: SOURCES,
    default: false,
    description: "skip verification of the server certificates",
  }),
};

interface Producer {
  broadcast_address?: string;
  http_port?: number;
}

interface TopicStats {
  topic_name?: string;
  depth?: number;
  channels?: { channel_name?: string; depth?: number; paused?: boolean }[] | null;
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * KEDA's depth of one nsqd's answer: the channel's depth, nothing while the channel is paused, and
 * the topic's depth when the topic has no channels or not this one (consumers that never
 * subscribed still need to start).
 */
export function depthOf(
  topics: readonly TopicStats[] | null | undefined,
  topic: string,
  channel: string,
): number {
  let depth = 0;
  for (const stats of topics ?? []) {
    if (stats.topic_name !== topic) continue;
    const channels = stats.channels ?? [];
    const matching = channels.filter((candidate) => candidate.channel_name === channel);
    if (matching.length === 0) {
      depth += stats.depth ?? 0;
      continue;
    }
    for (const found of matching) if (!found.paused) depth += found.depth ?? 0;
  }
  return depth;
}

/** GETs JSON; with notFoundIsEmpty a 404 is undefined (KEDA: the topic is on another nsqlookupd). */
async function getJson(
  http: HttpGetClient,
  url: URL,
  signal: AbortSignal,
  notFoundIsEmpty = false,
): Promise<unknown> {
  const response = await http.get(url, { Accept: "application/json; charset=utf-8" }, signal);
  if (response.status === 404 && notFoundIsEmpty) return undefined;
  if (response.status !== 200) throw new Error(`unexpected status code ${response.status}`);
  try {
    return JSON.parse(response.body);
  } catch {
    throw new Error("the answer is not JSON");
  }
}

export const nsqScaler: ScalerDefinition<typeof params> = {
  type: "nsq",
  kedaScalerName: "nsqScaler",
  description:
    "Depth of an NSQ channel summed over the nsqd that nsqlookupd lists for the topic (nsqd's /stats); a paused channel counts 0.",
  testedAgainst: "nsqlookupd and nsqd 1.3.0 (built from the Go module)",
  example: {
    metadata: { nsqLookupdHTTPAddresses: "nsqlookupd:4161", topic: "orders", channel: "workers" },
    metricName: "s0-nsq-orders-workers",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (values.nsqLookupdHTTPAddresses.length === 0) {
      problems.push({
        key: "nsqLookupdHTTPAddresses",
        message: "no nsqLookupdHTTPAddresses given",
        severity: "error",
      });
    }
    if (values.depthThreshold <= 0) {
      problems.push({
        key: "depthThreshold",
        message: "depthThreshold must be a positive integer",
        severity: "error",
      });
    }
    if (values.activationDepthThreshold < 0) {
      problems.push({
        key: "activationDepthThreshold",
        message: "activationDepthThreshold must be greater than or equal to 0",
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `nsq-${values.topic}-${values.channel}`,
    target: values.depthThreshold,
    activationTarget: values.activationDepthThreshold,
  }),
  connect(values) {
    const http = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
    const scheme = values.useHttps ? "https" : "http";

    /** The nsqd HTTP addresses that hold the topic, from every nsqlookupd (KEDA asks them all). */
    async function producers(signal: AbortSignal): Promise<string[]> {
      const answers = await Promise.all(
        values.nsqLookupdHTTPAddresses.map(async (host) => {
          const url = new URL(`${scheme}://${host}/lookup`);
          url.searchParams.set("topic", values.topic);
          try {
            return (await getJson(http, url, signal, true)) as { producers?: Producer[] } | undefined;
          } catch (error) {
            throw new Error(`error getting lookup from host '${host}': ${(error as Error).message}`, {
              cause: error,
            });
          }
        }),
      );
      const hosts = new Set<string>();
      for (const answer of answers) {
        for (const producer of answer?.producers ?? []) {
          hosts.add(joinHostPort(producer.broadcast_address ?? "", producer.http_port ?? 0));
        }
      }
      return [...hosts];
    }

    return {
      async measure(signal) {
        const hosts = await producers(signal);
        const depths = await Promise.all(
          hosts.map(async (host) => {
            const url = new URL(`${scheme}://${host}/stats`);
            url.search = new URLSearchParams({
              format: "json",
              include_clients: "false",
              include_mem: "false",
              topic: values.topic,
            }).toString();
            try {
              const stats = (await getJson(http, url, signal)) as { topics?: TopicStats[] | null };
              return depthOf(stats.topics, values.topic, values.channel);
            } catch (error) {
              throw new Error(`error getting stats from host '${host}': ${(error as Error).message}`, {
                cause: error,
              });
            }
          }),
        );
        const depth = depths.reduce((sum, value) => sum + value, 0);
        return { value: depth, active: depth > values.activationDepthThreshold };
      },
      close: async () => http.close(),
    };
  },
};
