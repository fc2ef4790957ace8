/**
 * Reading a JetStream consumer's backlog from the NATS monitoring endpoint's `/jsz` report
 * (`/jsz?acc=<account>&config=true&consumers=true`), as KEDA does.
 */

export interface ConsumerLookup {
  /** Account name (`account`); matched against each account's name. */
  account: string | undefined;
  /** Account id (`accountID`, defaulting to `account`); matched against each account's id. */
  accountId: string;
  stream: string;
  consumer: string;
}

export interface ConsumerBacklog {
  /** num_pending + num_ack_pending: messages not yet delivered plus delivered but not acknowledged. */
  lag: number;
  /** The server that leads the consumer in a cluster, when the report says. */
  leader: string | undefined;
  /** meta_cluster.cluster_size, 0 for a server outside a cluster. */
  clusterSize: number;
  /** server_id of the server that wrote the report. */
  serverId: string | undefined;
}

interface Jsz {
  server_id?: string;
  meta_cluster?: { cluster_size?: number };
  account_details?: {
    id?: string;
    name?: string;
    stream_detail?: {
      name?: string;
      consumer_detail?: {
        name?: string;
        num_pending?: number;
        num_ack_pending?: number;
        cluster?: { leader?: string };
      }[];
    }[];
  }[];
}

/** Finds the consumer in a `/jsz` report; throws an error naming what is missing. */
export function consumerBacklog(report: unknown, lookup: ConsumerLookup): ConsumerBacklog {
  const jsz = (typeof report === "object" && report !== null ? report : {}) as Jsz;
  const account = (jsz.account_details ?? []).find(
    (candidate) =>
      candidate.id === lookup.accountId ||
      (lookup.account !== undefined && candidate.name === lookup.account),
  );
  const accountName = lookup.account ?? lookup.accountId;
  if (account === undefined) {
    throw new Error(
      `account "${accountName}" has no JetStream data on this server (is JetStream enabled for it?)`,
    );
  }
  const stream = (account.stream_detail ?? []).find((candidate) => candidate.name === lookup.stream);
  if (stream === undefined)
    throw new Error(`stream "${lookup.stream}" not found in account "${accountName}"`);
  const consumer = (stream.consumer_detail ?? []).find((candidate) => candidate.name === lookup.consumer);
  if (consumer === undefined)
    throw new Error(`consumer "${lookup.consumer}" not found on stream "${lookup.stream}"`);
  return {
    lag: (consumer.num_pending ?? 0) + (consumer.num_ack_pending ?? 0),
    leader: consumer.cluster?.leader || undefined,
    clusterSize: jsz.meta_cluster?.cluster_size ?? 0,
    serverId: jsz.server_id,
  };
}

/** Whether the consumer's counts must be checked against the server's identity (`/varz`). */
export function needsLeaderCheck(backlog: ConsumerBacklog): boolean {
  return backlog.clusterSize > 1 && backlog.leader !== undefined;
}

/**
 * In a cluster only the consumer's leader reports current counts. Given the answering server's
 * `/varz`, returns why the report cannot be used, or undefined when it came from the leader.
 */
export function leaderProblem(backlog: ConsumerBacklog, varz: unknown, consumer: string): string | undefined {
  const server = (typeof varz === "object" && varz !== null ? varz : {}) as {
    server_id?: unknown;
    server_name?: unknown;
  };
  if (server.server_id !== backlog.serverId) {
    return "the monitoring endpoint answered from different cluster servers; point natsServerMonitoringEndpoint at one server, the consumer's leader";
  }
  if (server.server_name === backlog.leader) return undefined;
  return `server "${String(server.server_name)}" does not lead consumer "${consumer}" (server "${backlog.leader}" does) and reports stale counts; point natsServerMonitoringEndpoint at the leader's monitoring port`;
}

/** The monitoring addresses for an endpoint `host:port`: the account's `/jsz` report, and `/varz`. */
export function monitoringUrls(
  endpoint: string,
  useHttps: boolean,
  accountId: string,
): { jsz: URL; varz: URL } {
  const base = `${useHttps ? "https" : "http"}://${endpoint}`;
  const query = new URLSearchParams({ acc: accountId, config: "true", consumers: "true" });
  return { jsz: new URL(`${base}/jsz?${query}`), varz: new URL(`${base}/varz`) };
}
