import { poolKey } from "../connection-pool.ts";
import { goQueryEscape } from "../metric-name.ts";
import { azurePodIdentityCredential, scopeOf, type TokenCredential } from "../../auth/identity/azure.ts";
import { createHttpGetClient, type HttpClient } from "../shared/http-get.ts";
import { clientCredentialsTokenSource } from "../shared/oauth2.ts";
import { tlsOptions } from "../shared/tls.ts";
import type { Scaler, ScalerContext, ScalerDefinition } from "../types.ts";
import { AmqpQueueInspector, amqpTarget } from "./amqp.ts";
import { managementRequest, readQueue } from "./management-api.ts";
import { rabbitMqParams, type RabbitMqParams } from "./params.ts";
import { pushProblems } from "./push.ts";
import { measurementFor } from "./queue-reading.ts";
import { endpointParamsOf, resolveTrigger, scopesOf, type RabbitMqTrigger } from "./trigger.ts";

function triggerOf(values: RabbitMqParams): RabbitMqTrigger {
  const resolved = resolveTrigger(values);
  if ("problems" in resolved) throw new Error(resolved.problems.map((problem) => problem.message).join("; "));
  return resolved.trigger;
}

/** Like KEDA: unsafeSsl always applies; the CA and client certificate only with tls=enable. */
function tlsFor(values: RabbitMqParams) {
  return values.tls === "enable" ? tlsOptions(values) : { rejectUnauthorized: !values.unsafeSsl };
}

/**
 * The management API's Authorization for the trigger: OAuth2 client credentials (the token
 * endpoint reached with the same TLS settings, as KEDA's transport), an Azure workload identity's
 * token, or the basic credentials of the request (username and password, or the host URL's).
 */
function authorizer(
  values: RabbitMqParams,
  client: HttpClient,
  context: ScalerContext,
): (basic: string | undefined, signal: AbortSignal) => Promise<string | undefined> {
  if (values.oauthTokenURI && values.clientID && values.clientSecret) {
    const endpointParams = endpointParamsOf(values);
    const source = clientCredentialsTokenSource(
      {
        tokenUrl: values.oauthTokenURI,
        endpointLabel: "oauthTokenURI",
        clientId: values.clientID,
        clientSecret: values.clientSecret,
        scopes: scopesOf(values),
        endpointParams: typeof endpointParams === "object" ? endpointParams : undefined,
      },
      client,
    );
    return async (_basic, signal) => {
      const token = await source.token(signal);
      return `${token.type} ${token.accessToken}`;
    };
  }
  const resource = values.workloadIdentityResource;
  if (resource) {
    const identity = context.podIdentity;
    let credential: Promise<TokenCredential> | undefined;
    return async (_basic, signal) => {
      if (identity?.provider !== "azure-workload") {
        throw new Error(
          "workloadIdentityResource needs the TriggerAuthentication's podIdentity provider azure-workload",
        );
      }
      credential ??= azurePodIdentityCredential(identity);
      const token = await (await credential).getToken(scopeOf(resource), { abortSignal: signal });
      if (!token) throw new Error(`the azure-workload identity gave no token for ${scopeOf(resource)}`);
      return `Bearer ${token.token}`;
    };
  }
  return async (basic) => basic;
}

function connectHttp(values: RabbitMqParams, trigger: RabbitMqTrigger, context: ScalerContext): Scaler {
  const request = managementRequest(values.host, values);
  const client = createHttpGetClient({ tls: tlsFor(values) });
  const authorize = authorizer(values, client, context);
  return {
    // KEDA's `timeout` replaces the global HTTP timeout for this trigger.
    timeoutMs: values.timeout,
    async measure(signal) {
      const authorization = await authorize(request.authorization, signal);
      const reading = await readQueue(client, { ...request, authorization }, values, signal);
      return measurementFor(trigger.mode, reading, values.activationValue);
    },
    close: async () => client.close(),
  };
}

function connectAmqp(values: RabbitMqParams, trigger: RabbitMqTrigger, context: ScalerContext): Scaler {
  const tls = tlsFor(values);
  const target = amqpTarget(values.host, values, tls, context.timeoutMs);
  const { ca, cert, key: privateKey, keyPassword, unsafeSsl } = values;
  const key = poolKey("rabbitmq", target.url, values.tls, ca, cert, privateKey, keyPassword, unsafeSsl);
  const lease = context.pool.acquire(
    key,
    async () => new AmqpQueueInspector(target),
    (inspector) => inspector.close(),
  );
  return {
    async measure() {
      const inspector = await lease.client;
      const messages = await inspector.messageCount(values.queueName);
      return measurementFor(
        trigger.mode,
        { messages, publishRate: 0, deliverGetRate: 0 },
        values.activationValue,
      );
    },
    close: () => lease.release(),
  };
}

export const rabbitMqScaler: ScalerDefinition<typeof rabbitMqParams> = {
  type: "rabbitmq",
  testedAgainst:
    "RabbitMQ 3.10 (Debian): AMQP and AMQPS with client certificates, the management API over HTTP and HTTPS with basic authentication and OAuth 2.0 tokens (rabbitmq_auth_backend_oauth2)",
  example: {
    metadata: { host: "amqp://rabbitmq:5672/", queueName: "orders/eu 1", mode: "QueueLength", value: "5" },
    metricName: "s0-rabbitmq-orders-2Feu+1",
  },
  kedaScalerName: "rabbitMQScaler",
  legacy: { envNameKeys: ["host", "apiHost"] },
  description:
    "Messages, publish or delivery rates of a RabbitMQ queue, over AMQP or the management API; polled only (RabbitMQ has no way to push arrivals, see tidalPush).",
  params: rabbitMqParams,
  validate: (values) => {
    const resolved = resolveTrigger(values);
    return [...("problems" in resolved ? resolved.problems : []), ...pushProblems(values)];
  },
  metric: (values) => ({
    name: `rabbitmq-${goQueryEscape(values.queueName)}`,
    target: triggerOf(values).value,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const trigger = triggerOf(values);
    return trigger.protocol === "http"
      ? connectHttp(values, trigger, context)
      : connectAmqp(values, trigger, context);
  },
};
