import { param, type ParamProblem, type ParsedParams } from "../params.ts";
import { certAndKeyProblems, tlsAuthParams } from "../shared/tls.ts";
import { parsePartitionLimitation } from "./lag.ts";

/** KEDA's `kafka` trigger parameters: names, sources and defaults as KEDA reads them. */
const LEGACY_AUTH_MODES = [
  "none",
  "sasl_plaintext",
  "sasl_scram_sha256",
  "sasl_scram_sha512",
  "sasl_ssl",
  "sasl_ssl_plain",
] as const;

export const kafkaParams = {
  bootstrapServers: param.list({
    sources: ["metadata", "env"],
    description: "comma-separated host:port brokers",
  }),
  consumerGroup: param.string({
    sources: ["metadata", "env"],
    description: "consumer group whose lag is measured",
  }),
  topic: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "topic; empty means every topic the group has committed offsets for",
  }),
  partitionLimitation: param.string({
    optional: true,
    description: "partitions to measure, e.g. 1,2,5-7 (only with a topic)",
  }),
  lagThreshold: param.int({ default: 10, description: "target lag per replica" }),
  activationLagThreshold: param.int({
    default: 0,
    description: "active when the total lag is greater than this",
  }),
  offsetResetPolicy: param.enum(["latest", "earliest"], {
    default: "latest",
    description: "where the consumers start when the group has no valid offset",
  }),
  allowIdleConsumers: param.bool({ default: false, description: "allow more replicas than partitions" }),
  excludePersistentLag: param.bool({
    default: false,
    description: "ignore the lag of partitions whose committed offset did not move since the last poll",
  }),
  scaleToZeroOnInvalidOffset: param.bool({
    default: false,
    description: "count partitions without a committed offset as lag 0 instead of 1 (or the whole log)",
  }),
  limitToPartitionsWithLag: param.bool({
    default: false,
    description: "cap replicas at the number of partitions that have lag",
  }),
  ensureEvenDistributionOfPartitions: param.bool({
    default: false,
    description: "round the replica count up to a factor of the partition count",
  }),
  fullMetadata: param.bool({
    default: true,
    description:
      "false: read the metadata of the trigger's topic only, which needs topic (Tidal's client always reads only the measured topics)",
  }),
  // Tidal's client negotiates API versions with the broker, so the version is checked but not needed.
  version: param.string({
    optional: true,
    description: "Kafka protocol version (accepted for compatibility)",
  }),
  sasl: param.enum(["none", "plaintext", "scram_sha256", "scram_sha512", "oauthbearer", "gssapi"], {
    sources: ["metadata", "auth"],
    optional: true,
    description: "SASL mechanism (default none)",
  }),
  authMode: param.enum(LEGACY_AUTH_MODES, {
    sources: ["auth", "metadata"],
    optional: true,
    description: "KEDA 1.x's combined SASL/TLS setting, still read when sasl and tls are not set",
  }),
  username: param.string({
    sources: ["auth"],
    optional: true,
    description: "SASL user name; with oauthbearer the OAuth client id, with gssapi the Kerberos principal",
  }),
  password: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description:
      "SASL password; with oauthbearer the OAuth client secret, with gssapi the principal's password",
  }),
  saslTokenProvider: param.enum(["bearer", "aws_msk_iam"], {
    sources: ["metadata", "auth"],
    optional: true,
    description: "oauthbearer's token source: bearer (OAuth client credentials, the default) or aws_msk_iam",
  }),
  oauthTokenEndpointUri: param.string({
    sources: ["auth"],
    optional: true,
    description: "oauthbearer: the OAuth token endpoint asked for client credentials tokens",
  }),
  scopes: param.string({
    sources: ["auth"],
    optional: true,
    description: "oauthbearer: comma-separated scopes to ask for",
  }),
  oauthExtensions: param.string({
    sources: ["auth"],
    optional: true,
    description: "oauthbearer: comma-separated key=value SASL extensions sent with the token",
  }),
  awsRegion: param.string({
    optional: true,
    description: "AWS region of the MSK cluster (saslTokenProvider aws_msk_iam)",
  }),
  kerberosConfig: param.string({
    sources: ["auth"],
    optional: true,
    description: "gssapi: the krb5.conf text naming the realm's KDCs",
  }),
  realm: param.string({ sources: ["auth"], optional: true, description: "gssapi: the Kerberos realm" }),
  keytab: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "gssapi: the principal's keytab (the file's bytes), instead of password",
  }),
  kerberosServiceName: param.string({
    sources: ["auth"],
    optional: true,
    description: "gssapi: the brokers' service name (default kafka)",
  }),
  kerberosDisableFAST: param.bool({
    sources: ["auth"],
    default: false,
    description: "gssapi: do not ask the KDC for the encrypted PA-REQ-ENC-PA-REP (for KDCs that refuse it)",
  }),
  ...tlsAuthParams,
  tls: param.enum(["enable", "disable"], {
    sources: ["metadata", "auth"],
    optional: true,
    description: "enable to connect with TLS (default disable)",
  }),
};

export type KafkaParams = ParsedParams<typeof kafkaParams>;

type Sasl = "none" | "plaintext" | "scram_sha256" | "scram_sha512" | "oauthbearer" | "gssapi";

/**
 * KEDA 1.x spelled SASL and TLS as one `authMode` (the seed articles' Event Hubs example keeps it
 * in a Secret): sasl_ssl_plain is SASL PLAIN over TLS, sasl_ssl is TLS with a client certificate.
 */
const LEGACY_SECURITY: Record<(typeof LEGACY_AUTH_MODES)[number], { sasl: Sasl; tls: "enable" | "disable" }> =
  {
    none: { sasl: "none", tls: "disable" },
    sasl_plaintext: { sasl: "plaintext", tls: "disable" },
    sasl_scram_sha256: { sasl: "scram_sha256", tls: "disable" },
    sasl_scram_sha512: { sasl: "scram_sha512", tls: "disable" },
    sasl_ssl: { sasl: "none", tls: "enable" },
    sasl_ssl_plain: { sasl: "plaintext", tls: "enable" },
  };

/** The SASL mechanism and TLS setting in effect: `sasl`/`tls`, else KEDA 1.x's `authMode`. */
export function kafkaSecurity(values: KafkaParams): { sasl: Sasl; tls: "enable" | "disable" } {
  const legacy =
    values.sasl === undefined && values.tls === undefined && values.authMode
      ? LEGACY_SECURITY[values.authMode]
      : undefined;
  return { sasl: values.sasl ?? legacy?.sasl ?? "none", tls: values.tls ?? legacy?.tls ?? "disable" };
}

/** sarama's ParseKafkaVersion, which KEDA uses: 0.x versions have four parts, later ones three. */
function isKafkaVersion(text: string): boolean {
  return text.startsWith("0") ? /^0\.\d+\.\d+\.\d+$/.test(text) : /^\d+\.\d+\.\d+$/.test(text);
}

/** KEDA's cross-parameter rules for the kafka trigger. */
export function kafkaParamProblems(values: KafkaParams, context?: KafkaValidationContext): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const add = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  if (values.lagThreshold <= 0) add("lagThreshold", "lagThreshold must be greater than 0");
  if (values.activationLagThreshold < 0)
    add("activationLagThreshold", "activationLagThreshold must be 0 or more");
  if (values.partitionLimitation !== undefined) {
    const parsed = parsePartitionLimitation(values.partitionLimitation);
    if (typeof parsed === "string") add("partitionLimitation", parsed);
  }
  if (values.allowIdleConsumers && values.limitToPartitionsWithLag) {
    add("limitToPartitionsWithLag", "allowIdleConsumers and limitToPartitionsWithLag cannot be set together");
  }
  if (values.limitToPartitionsWithLag && values.ensureEvenDistributionOfPartitions) {
    add(
      "ensureEvenDistributionOfPartitions",
      "limitToPartitionsWithLag and ensureEvenDistributionOfPartitions cannot be set together",
    );
  }
  if (!values.topic) {
    if (values.limitToPartitionsWithLag)
      add("topic", "topic must be set when using limitToPartitionsWithLag");
    if (values.ensureEvenDistributionOfPartitions) {
      add("topic", "topic must be set when using ensureEvenDistributionOfPartitions");
    }
    if (!values.fullMetadata) add("topic", "topic must be set when fullMetadata is false");
  }
  if (values.version !== undefined && !isKafkaVersion(values.version)) {
    add(
      "version",
      `version "${values.version}" is not a Kafka version: use three parts such as 2.8.1, or four for 0.x such as 0.10.2.0`,
    );
  }
  const { sasl, tls } = kafkaSecurity(values);
  if (tls === "enable") problems.push(...certAndKeyProblems(values));
  if (sasl === "plaintext" || sasl === "scram_sha256" || sasl === "scram_sha512") {
    if (!values.username) add("username", `sasl ${sasl} needs a username from the TriggerAuthentication`);
    if (!values.password) add("password", `sasl ${sasl} needs a password from the TriggerAuthentication`);
  }
  if (sasl === "oauthbearer") problems.push(...oauthProblems(values, tls, context));
  if (sasl === "gssapi") problems.push(...gssapiProblems(values));
  return problems;
}

/** The sources of a trigger's own inputs, for the AWS credential check of MSK IAM. */
export interface KafkaValidationContext {
  podIdentity?: { provider: string } | undefined;
  inputs: { metadata: Readonly<Record<string, string>>; authParams: Readonly<Record<string, string>> };
}

/** KEDA's GetAwsAuthorization checks for static credentials (MSK IAM without pod identity). */
export function awsCredentialProblems(
  metadata: Readonly<Record<string, string>>,
  auth: Readonly<Record<string, string>>,
): string | undefined {
  if (metadata.identityOwner === "operator" || auth.awsRoleArn) return undefined;
  if (auth.awsAccessKeyID || auth.awsAccessKeyId) {
    return auth.awsSecretAccessKey ? undefined : "awsSecretAccessKey not found";
  }
  if (!metadata.awsAccessKeyID && !metadata.awsAccessKeyIDFromEnv) return "awsAccessKeyID not found";
  if (!metadata.awsSecretAccessKeyFromEnv) return "awsSecretAccessKey not found";
  return undefined;
}

/** oauthExtensions as KEDA splits it: `key=value` pairs separated by commas; a string for an error. */
export function parseOAuthExtensions(text: string | undefined): Record<string, string> | string {
  const extensions: Record<string, string> = {};
  if (!text) return extensions;
  for (const entry of text.split(",")) {
    const parts = entry.split("=");
    if (parts.length !== 2) return `oauthExtensions entry "${entry}" must be key=value`;
    const [key, value] = parts as [string, string];
    if (key === "auth") return `oauthExtensions cannot set "auth": the token is sent as auth`;
    extensions[key] = value;
  }
  return extensions;
}

/** KEDA's parseOAuthParams: bearer needs client credentials and the token endpoint; MSK IAM needs TLS and a region. */
function oauthProblems(
  values: KafkaParams,
  tls: "enable" | "disable",
  context: KafkaValidationContext | undefined,
): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const add = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  if ((values.saslTokenProvider ?? "bearer") === "bearer") {
    if (!values.username) add("username", "sasl oauthbearer needs the OAuth client id as username");
    if (!values.password) add("password", "sasl oauthbearer needs the OAuth client secret as password");
    if (!values.oauthTokenEndpointUri) {
      add("oauthTokenEndpointUri", "sasl oauthbearer needs oauthTokenEndpointUri, the OAuth token endpoint");
    } else if (!URL.canParse(values.oauthTokenEndpointUri)) {
      add(
        "oauthTokenEndpointUri",
        "oauthTokenEndpointUri must be a URL such as https://idp.example.com/token",
      );
    }
    const extensions = parseOAuthExtensions(values.oauthExtensions);
    if (typeof extensions === "string") add("oauthExtensions", extensions);
    return problems;
  }
  if (tls !== "enable") add("tls", "AWS MSK IAM authentication needs tls: enable");
  else if (!values.awsRegion) add("awsRegion", "AWS MSK IAM authentication needs awsRegion");
  else if (context && context.podIdentity?.provider !== "aws") {
    const missing = awsCredentialProblems(context.inputs.metadata, context.inputs.authParams);
    if (missing) add("saslTokenProvider", `AWS credentials for MSK IAM: ${missing}`);
  }
  return problems;
}

/** KEDA's parseGSSAPIParams. */
function gssapiProblems(values: KafkaParams): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const add = (key: string, message: string) => problems.push({ key, message, severity: "error" });
  if (!values.username) add("username", "sasl gssapi needs username, the Kerberos principal");
  if (Boolean(values.password) === Boolean(values.keytab)) {
    add(
      values.password ? "keytab" : "password",
      "sasl gssapi needs exactly one of password or keytab in the TriggerAuthentication",
    );
  }
  if (!values.realm) add("realm", "sasl gssapi needs realm, the Kerberos realm");
  if (!values.kerberosConfig) {
    add("kerberosConfig", "sasl gssapi needs kerberosConfig, the krb5.conf text naming the realm's KDCs");
  }
  return problems;
}
