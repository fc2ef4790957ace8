import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization, parseRequestUri } from "../shared/go-url.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import { certAndKeyProblems, tlsOptions } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";

// KEDA reads the credentials from the authentication, then the environment, then the metadata.
const CREDENTIAL_SOURCES = ["auth", "env", "metadata"] as const;

const params = {
  host: param.string({
    description:
      "URL of the queue manager's MQSC endpoint of the MQ REST admin API, e.g. https://mq:9443/ibmmq/rest/v2/admin/action/qmgr/QM1/mqsc",
  }),
  queueName: param.list({
    aliases: ["queueNames"],
    description: "queue to measure, or several separated by commas (combined by operation)",
  }),
  queueDepth: param.int({ default: 20, description: "target number of messages per replica" }),
  activationQueueDepth: param.int({
    default: 0,
    description: "active when the combined depth is greater than this",
  }),
  operation: param.enum(["max", "avg", "sum"], {
    default: "max",
    description: "how the depths of several queues combine (avg rounds down)",
  }),
  username: param.string({ sources: CREDENTIAL_SOURCES, description: "user of the REST API" }),
  password: param.string({ sources: CREDENTIAL_SOURCES, secret: true, description: "its password" }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  ca: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "CA certificate (PEM), used with cert and key",
  }),
  cert: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client certificate (PEM); needs key",
  }),
  key: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client private key (PEM)",
  }),
  keyPassword: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "password of the client private key",
  }),
};

/** KEDA's request body: MQSC `DISPLAY QLOCAL(<name>) CURDEPTH` as runCommandJSON (the name is inserted as written). */
export function ibmMqCommand(queue: string): string {
  return `{"type": "runCommandJSON", "command": "display", "qualifier": "qlocal", "name": "${queue}", "responseParameters": ["CURDEPTH"]}`;
}

interface CommandReply {
  commandResponse?: { parameters?: { curdepth?: unknown } | null; message?: unknown }[];
  error?: { message?: unknown }[];
}

function parseReply(body: string): CommandReply | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null ? (parsed as CommandReply) : undefined;
  } catch {
    return undefined;
  }
}

/** The current depth of one queue from the REST API's answer, by KEDA's rules. */
export function ibmMqQueueDepth(response: HttpResponse, queue: string): number {
  const reply = parseReply(response.body);
  switch (response.status) {
    case 401:
      throw new Error("authentication failed: incorrect username or password");
    case 404: {
      if (reply === undefined) {
        throw new Error(
          `failed to parse error response JSON for queue ${queue}: ${bodyExcerpt(response.body, 120)}`,
        );
      }
      const message = reply.error?.[0]?.message;
      if (typeof message === "string" && message !== "") throw new Error(message);
      throw new Error(`failed to get the current queue depth parameter for queue ${queue}`);
    }
    case 200: {
      if (reply === undefined) {
        throw new Error(`failed to parse JSON for queue ${queue}: ${bodyExcerpt(response.body, 120)}`);
      }
      const first = reply.commandResponse?.[0];
      const messages = first?.message;
      if (Array.isArray(messages) && messages.length > 0) throw new Error(String(messages[0]));
      const depth = first?.parameters?.curdepth;
      if (first?.parameters === undefined || first.parameters === null) {
        throw new Error(`failed to get the current queue depth parameter for queue ${queue}`);
      }
      if (depth === undefined || depth === null) return 0;
      if (typeof depth !== "number" || !Number.isInteger(depth)) {
        throw new Error(
          `failed to parse JSON for queue ${queue}: curdepth ${JSON.stringify(depth)} is not an integer`,
        );
      }
      return depth;
    }
    default: {
      const excerpt = bodyExcerpt(response.body, 120);
      throw new Error(
        `unexpected status code ${response.status} for queue ${queue}${excerpt ? `: ${excerpt}` : ""}`,
      );
    }
  }
}

/** KEDA's combination of several queues' depths. */
export function combineDepths(depths: readonly number[], operation: "max" | "avg" | "sum"): number {
  if (depths.length === 0) return 0;
  const sum = depths.reduce((total, depth) => total + depth, 0);
  if (operation === "sum") return sum;
  if (operation === "avg") return Math.trunc(sum / depths.length);
  return Math.max(...depths);
}

export const ibmMqScaler: ScalerDefinition<typeof params> = {
  type: "ibmmq",
  kedaScalerName: "ibmmqScaler",
  description:
    "Current depth (CURDEPTH) of IBM MQ local queues, read through the MQ REST admin API (several queues combined by max, avg or sum).",
  testedAgainst:
    "fake-ibmmq (a loopback fake of the IBM MQ REST admin API's documented runCommandJSON endpoint)",
  example: {
    metadata: {
      host: "https://mq:9443/ibmmq/rest/v2/admin/action/qmgr/QM1/mqsc",
      queueName: "DEV.QUEUE.1",
      queueDepth: "10",
    },
    authParams: { username: "admin", password: "passw0rd" },
    metricName: "s0-ibmmq-DEV-QUEUE-1",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [...certAndKeyProblems(values)];
    try {
      parseRequestUri(values.host);
      if (!isHttpUrl(values.host)) throw new Error("not an http or https URL");
    } catch (error) {
      problems.push({
        key: "host",
        message: `invalid URL: host "${values.host}" ${(error as Error).message}; give the MQSC endpoint, e.g. https://mq:9443/ibmmq/rest/v2/admin/action/qmgr/QM1/mqsc`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `ibmmq-${values.queueName[0] ?? ""}`,
    target: values.queueDepth,
    activationTarget: values.activationQueueDepth,
  }),
  connect(values) {
    // As KEDA: the client certificate (with the CA) only when both cert and key are given.
    const withCertificate = Boolean(values.cert && values.key);
    const client = createHttpGetClient({
      tls: tlsOptions({
        ...(withCertificate
          ? { ca: values.ca, cert: values.cert, key: values.key, keyPassword: values.keyPassword }
          : {}),
        unsafeSsl: values.unsafeSsl,
      }),
    });
    const url = new URL(values.host);
    const headers = {
      "ibm-mq-rest-csrf-token": "value",
      "Content-Type": "application/json",
      Authorization: basicAuthorization(values.username, values.password),
    };
    return {
      async measure(signal) {
        const depths: number[] = [];
        for (const queue of values.queueName) {
          const response = await client
            .post(url, headers, ibmMqCommand(queue), signal)
            .catch((error: unknown) => {
              throw signal.aborted
                ? error
                : new Error(`failed to contact MQ via REST for queue ${queue}: ${(error as Error).message}`);
            });
          depths.push(ibmMqQueueDepth(response, queue));
        }
        const value = combineDepths(depths, values.operation);
        return { value, active: value > values.activationQueueDepth };
      },
      close: async () => client.close(),
    };
  },
};
