import { param, type ParsedParams } from "../params.ts";
import { tlsAuthParams } from "../shared/tls.ts";

export const RABBITMQ_MODES = [
  "QueueLength",
  "MessageRate",
  "DeliverGetRate",
  "PublishedToDeliveredRatio",
  "ExpectedQueueConsumptionTime",
] as const;

export type RabbitMqMode = (typeof RABBITMQ_MODES)[number];

/** KEDA's `rabbitmq` trigger parameters: names, sources and defaults as KEDA reads them. */
export const rabbitMqParams = {
  host: param.string({
    sources: ["metadata", "auth", "env"],
    description: "amqp[s]://user:pass@host:5672/vhost or http[s]://user:pass@host:15672/<path>/vhost",
  }),
  protocol: param.enum(["auto", "amqp", "http"], {
    sources: ["metadata", "auth"],
    default: "auto",
    description: "amqp or http; auto picks by the host's scheme",
  }),
  vhostName: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    description: "virtual host, overriding the one in the host URL",
  }),
  queueName: param.string({ description: "name of the queue (a regular expression with useRegex)" }),
  mode: param.enum(RABBITMQ_MODES, {
    optional: true,
    description: "what to measure; every mode except QueueLength needs the http protocol",
  }),
  value: param.float({ optional: true, description: "target value per replica for the mode" }),
  activationValue: param.float({ default: 0, description: "active when the value is greater than this" }),
  queueLength: param.float({
    optional: true,
    description: "deprecated: QueueLength mode with this value; use mode and value",
  }),
  useRegex: param.bool({ default: false, description: "queueName is a regular expression (http only)" }),
  operation: param.enum(["sum", "avg", "max"], {
    default: "sum",
    description: "how the queues matched by useRegex are combined",
  }),
  pageSize: param.int({ default: 100, description: "maximum number of queues useRegex may match" }),
  excludeUnacknowledged: param.bool({
    default: false,
    description: "count only ready messages, not unacknowledged ones (http only)",
  }),
  timeout: param.duration({ optional: true, description: "HTTP request timeout (http only)" }),
  username: param.string({
    sources: ["auth", "env"],
    optional: true,
    description: "user name, overriding the one in the host URL",
  }),
  password: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "password, overriding the one in the host URL",
  }),
  // KEDA's OAuth2 client credentials for the management API (http only).
  oauthTokenURI: param.string({
    sources: ["auth"],
    optional: true,
    description: "OAuth2 token endpoint for the management API (client credentials; http only)",
  }),
  clientID: param.string({ sources: ["auth"], optional: true, description: "OAuth2 client id" }),
  clientSecret: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "OAuth2 client secret",
  }),
  scopes: param.string({
    sources: ["auth"],
    aliases: ["scope"],
    optional: true,
    description: "OAuth2 scopes to ask for, comma-separated",
  }),
  endpointParams: param.string({
    sources: ["auth"],
    optional: true,
    description: "extra parameters of the token request, as a query string (audience=rabbitmq&resource=api)",
  }),
  workloadIdentityResource: param.string({
    sources: ["auth"],
    optional: true,
    description:
      "with podIdentity azure-workload: the Entra ID resource (application ID URI) whose token the management API accepts (http only)",
  }),
  tidalPush: param.bool({
    default: false,
    description:
      "Tidal's own option, not KEDA's, for push triggers: RabbitMQ has no push path (nothing tells of arrivals without consuming them), so it only warns and the trigger polls",
  }),
  ...tlsAuthParams,
  // KEDA reads `tls` for RabbitMQ from the TriggerAuthentication only.
  tls: param.enum(["enable", "disable"], {
    sources: ["auth"],
    default: "disable",
    description: "enable to use the ca, cert and key of the TriggerAuthentication",
  }),
};

export type RabbitMqParams = ParsedParams<typeof rabbitMqParams>;
