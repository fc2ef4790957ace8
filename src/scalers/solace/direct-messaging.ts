import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import type { HttpClient } from "../shared/http-get.ts";
import { createHttpGetClient } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { child, childrenNamed, intOf, parseXml, textOf } from "./xml.ts";

const TARGETS = [
  "aggregatedClientTxByteRateTarget",
  "aggregatedClientAverageTxByteRateTarget",
  "aggregatedClientTxMsgRateTarget",
  "aggregatedClientAverageTxMsgRateTarget",
] as const;
type Target = (typeof TARGETS)[number];

const params = {
  solaceSempBaseURL: param.string({
    description:
      "SEMP base URL of the broker, e.g. https://solace:943; several separated by commas (tried in turn)",
  }),
  username: param.string({ sources: ["auth", "env"], description: "SEMP user" }),
  password: param.string({ sources: ["auth", "env"], secret: true, description: "its password" }),
  messageVpn: param.string({ description: "Message VPN of the clients" }),
  clientNamePattern: param.string({ description: "text the client names contain (no *)" }),
  unsafeSSL: param.bool({ default: false, description: "skip verification of the server certificate" }),
  queuedMessagesFactor: param.int({
    default: 3,
    description: "weight (1 to 100) of the messages queued for the clients (D-1 queue) in the rates",
  }),
  aggregatedClientTxByteRateTarget: param.int({
    default: 0,
    description: "target egress bytes per second per replica",
  }),
  aggregatedClientAverageTxByteRateTarget: param.int({
    default: 0,
    description: "target average egress bytes per minute per replica",
  }),
  aggregatedClientTxMsgRateTarget: param.int({
    default: 0,
    description: "target egress messages per second per replica",
  }),
  aggregatedClientAverageTxMsgRateTarget: param.int({
    default: 0,
    description: "target average egress messages per minute per replica",
  }),
  activationAggregatedClientTxByteRateTarget: param.int({
    default: 0,
    description: "read but unused: KEDA keeps these triggers active",
  }),
  activationAggregatedClientAverageTxByteRateTarget: param.int({
    default: 0,
    description: "read but unused: KEDA keeps these triggers active",
  }),
  activationAggregatedClientTxMsgRateTarget: param.int({
    default: 0,
    description: "read but unused: KEDA keeps these triggers active",
  }),
  activationAggregatedClientAverageTxMsgRateTarget: param.int({
    default: 0,
    description: "read but unused: KEDA keeps these triggers active",
  }),
};

const URL_PATTERN = /https?:\/\/[-_.A-Za-z0-9]{2,255}(:[0-9]{2,6})?/;
const UNIT_OF_WORK_BYTES = 2048;

/** KEDA's SEMP v1 endpoints: `<base>/SEMP` for each comma-separated base URL. */
export function sempV1Urls(baseUrls: string): string[] {
  return baseUrls.split(",").map((url) => `${url.trim()}/SEMP`);
}

export interface ClientRates {
  txByteRate: number;
  averageTxByteRate: number;
  txMsgRate: number;
  averageTxMsgRate: number;
}

/** The egress rates of the VPN's clients in a `show client … stats` answer, summed. */
export function clientStats(xml: string, vpn: string): ClientRates {
  const clients = childrenNamed(
    child(parseXml(xml), "rpc-reply", "rpc", "show", "client", "primary-virtual-router"),
    "client",
  );
  const rates = { txByteRate: 0, averageTxByteRate: 0, txMsgRate: 0, averageTxMsgRate: 0 };
  for (const client of clients) {
    if (textOf(client, "message-vpn") !== vpn) continue;
    const stats = child(client, "stats");
    rates.txByteRate += intOf(stats, "current-egress-byte-rate-per-second");
    rates.averageTxByteRate += intOf(stats, "average-egress-byte-rate-per-minute");
    rates.txMsgRate += intOf(stats, "current-egress-rate-per-second");
    rates.averageTxMsgRate += intOf(stats, "average-egress-rate-per-minute");
  }
  return rates;
}

/** Messages and units of work in the VPN's clients' D-1 queues in a `show client … queues` answer. */
export function clientQueues(xml: string, vpn: string): { messages: number; unitsOfWork: number } {
  const clients = childrenNamed(
    child(parseXml(xml), "rpc-reply", "rpc", "show", "client", "primary-virtual-router"),
    "client",
  );
  let messages = 0;
  let unitsOfWork = 0;
  for (const client of clients) {
    if (textOf(client, "message-vpn") !== vpn) continue;
    for (const queue of childrenNamed(client, "client-queue")) {
      if (textOf(queue, "queue-priority") !== "D-1") continue;
      messages += intOf(queue, "length-msgs");
      unitsOfWork += intOf(queue, "length-work");
    }
  }
  return { messages, unitsOfWork };
}

/** KEDA's value of one target: the rate plus the queued messages (or their bytes) weighted by the factor. */
export function directMessagingValue(
  target: Target,
  rates: ClientRates,
  queued: { messages: number; unitsOfWork: number },
  factor: number,
): number {
  switch (target) {
    case "aggregatedClientTxByteRateTarget":
      return rates.txByteRate + queued.unitsOfWork * factor * UNIT_OF_WORK_BYTES;
    case "aggregatedClientAverageTxByteRateTarget":
      return rates.averageTxByteRate + queued.unitsOfWork * factor * UNIT_OF_WORK_BYTES;
    case "aggregatedClientTxMsgRateTarget":
      return rates.txMsgRate + queued.messages * factor;
    case "aggregatedClientAverageTxMsgRateTarget":
      return rates.averageTxMsgRate + queued.messages * factor;
  }
}

function positiveTargets(values: Readonly<Record<Target, number>>): Target[] {
  return TARGETS.filter((target) => values[target] > 0);
}

/** POSTs an RPC to each SEMP endpoint in turn; the first that answers 2xx gives the body. */
async function semp(
  client: HttpClient,
  urls: string[],
  authorization: string,
  rpc: string,
  signal: AbortSignal,
): Promise<string> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const response = await client.post(
        new URL(url),
        { Authorization: authorization, "Content-Type": "application/xml" },
        rpc,
        signal,
      );
      if (response.status >= 200 && response.status <= 299) return response.body;
      failures.push(
        `${url}: semp request http status code: ${response.status} - ${bodyExcerpt(response.body, 120)}`,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      failures.push(`${url}: call to solace semp api failed: ${(error as Error).message}`);
    }
  }
  throw new Error(`no URL returned any data (${failures.join("; ")})`);
}

export const solaceDirectMessagingScaler: ScalerDefinition<typeof params> = {
  type: "solace-direct-messaging",
  kedaScalerName: "SolaceDMScaler",
  description:
    "Egress rates of Solace PubSub+ direct-messaging clients (plus their queued messages, weighted), read through SEMP v1; always active, as in KEDA (one target per trigger).",
  testedAgainst: "fake-solace (a loopback fake of Solace PubSub+'s documented SEMP v1 show client RPC)",
  example: {
    metadata: {
      solaceSempBaseURL: "https://solace:943",
      messageVpn: "default",
      clientNamePattern: "consumer",
      aggregatedClientTxMsgRateTarget: "600",
    },
    authParams: { username: "monitor", password: "monitor-password" },
    metricName: "s0-solace-dm-consumer-aggregatedClientTxMsgRateTarget",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    values.solaceSempBaseURL.split(",").forEach((raw, index) => {
      const url = raw.trim();
      if (url === "")
        error(
          "solaceSempBaseURL",
          `empty host url value found in the scaler configuration. Url[${index}]: '${url}'`,
        );
      else if (!URL_PATTERN.test(url)) {
        error(
          "solaceSempBaseURL",
          `invalid host url value found in the scaler configuration. Url[${index}]: '${url}'`,
        );
      }
    });
    if (values.clientNamePattern.includes("*")) {
      error(
        "clientNamePattern",
        `client-name-pattern should not contain '*'. ClientNamePattern: '${values.clientNamePattern}'`,
      );
    }
    if (values.queuedMessagesFactor < 1 || values.queuedMessagesFactor > 100) {
      error(
        "queuedMessagesFactor",
        `queued messages factor should be >0 and <=100. QueuedMessagesFactor: '${values.queuedMessagesFactor}'`,
      );
    }
    const targets = positiveTargets(values);
    if (targets.length === 0)
      error("aggregatedClientTxMsgRateTarget", "no target value found in the scaler configuration");
    else if (targets.length > 1) {
      error(
        targets[1]!,
        `Tidal reads one metric per trigger: set only one of ${TARGETS.join(", ")} above 0, and give each further target a trigger of its own`,
      );
    }
    return problems;
  },
  metric: (values) => {
    const target = positiveTargets(values)[0] ?? "aggregatedClientTxMsgRateTarget";
    return {
      name: `solace-dm-${values.clientNamePattern}-${target}`,
      target: values[target],
      activationTarget: 0,
    };
  },
  connect(values) {
    const client = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSSL } });
    const urls = sempV1Urls(values.solaceSempBaseURL);
    const authorization = basicAuthorization(values.username, values.password);
    const target = positiveTargets(values)[0] ?? "aggregatedClientTxMsgRateTarget";
    const pattern = values.clientNamePattern;
    return {
      async measure(signal) {
        let rates: ClientRates;
        try {
          const xml = await semp(
            client,
            urls,
            authorization,
            `<rpc><show><client><name>*${pattern}*</name><stats/></client></show></rpc>`,
            signal,
          );
          rates = clientStats(xml, values.messageVpn);
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(`reading client stats failed: ${(error as Error).message}`, { cause: error });
        }
        let queued: { messages: number; unitsOfWork: number };
        try {
          const xml = await semp(
            client,
            urls,
            authorization,
            `<rpc><show><client><name>*${pattern}*</name><stats></stats><queues></queues></client></show></rpc>`,
            signal,
          );
          queued = clientQueues(xml, values.messageVpn);
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(`reading client stats queue failed: ${(error as Error).message}`, { cause: error });
        }
        // KEDA keeps these triggers active whatever the value.
        return {
          value: directMessagingValue(target, rates, queued, values.queuedMessagesFactor),
          active: true,
        };
      },
      close: async () => client.close(),
    };
  },
};
