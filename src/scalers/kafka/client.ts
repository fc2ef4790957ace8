import type { Admin, SASLOptions } from "@platformatic/kafka";
import { poolKey } from "../connection-pool.ts";
import { tlsOptions } from "../shared/tls.ts";
import type { ScalerContext } from "../types.ts";
import type { PartitionOffsets } from "./lag.ts";
import { createHttpGetClient } from "../shared/http-get.ts";
import { clientCredentialsTokenSource, type TokenSource } from "../shared/oauth2.ts";
import { gssapiSaslOptions } from "./gssapi.ts";
import { kafkaSecurity, parseOAuthExtensions, type KafkaParams } from "./params.ts";

const SASL_MECHANISMS = {
  plaintext: "PLAIN",
  scram_sha256: "SCRAM-SHA-256",
  scram_sha512: "SCRAM-SHA-512",
} as const;

/** The OAuth client credentials token source of a bearer oauthbearer trigger (KEDA's OAuthBearerTokenProvider). */
function bearerTokenSource(values: KafkaParams, closers: (() => void)[]): TokenSource {
  // As KEDA's provider: scopes split on commas as given, and the token endpoint reached with the
  // default TLS settings (the brokers' ca and certificates are not used for it).
  const http = createHttpGetClient({ tls: {} });
  closers.push(() => http.close());
  return clientCredentialsTokenSource(
    {
      tokenUrl: values.oauthTokenEndpointUri ?? "",
      endpointLabel: "oauthTokenEndpointUri",
      clientId: values.username ?? "",
      clientSecret: values.password ?? "",
      scopes: (values.scopes ?? "").split(","),
    },
    http,
  );
}

/** The client's SASL settings; `closers` collects what to release with the client. */
function saslOptions(
  values: KafkaParams,
  timeoutMs: number,
  closers: (() => void)[],
): SASLOptions | undefined {
  const { sasl } = kafkaSecurity(values);
  if (sasl === "plaintext" || sasl === "scram_sha256" || sasl === "scram_sha512") {
    return {
      mechanism: SASL_MECHANISMS[sasl],
      username: values.username ?? "",
      password: values.password ?? "",
    };
  }
  if (sasl === "oauthbearer") {
    if (values.saslTokenProvider === "aws_msk_iam") {
      throw new Error(
        "saslTokenProvider aws_msk_iam is not supported by Tidal yet; use the bearer token provider or plaintext, scram_sha256 or scram_sha512",
      );
    }
    const source = bearerTokenSource(values, closers);
    const extensions = parseOAuthExtensions(values.oauthExtensions);
    return {
      mechanism: "OAUTHBEARER",
      token: async () => (await source.token(AbortSignal.timeout(timeoutMs))).accessToken,
      // sarama sends the extensions sorted by key.
      oauthBearerExtensions: typeof extensions === "string" ? {} : sortedByKey(extensions),
      authBytesValidator: refusedToken,
    };
  }
  if (sasl === "gssapi") return gssapiSaslOptions(values, timeoutMs);
  return undefined;
}

/**
 * A broker that refuses an OAUTHBEARER token answers with an error JSON instead of an empty
 * response (RFC 7628 section 3.2.2): its `status` (e.g. invalid_token) becomes the error.
 */
function refusedToken(authBytes: Buffer, callback: (error: Error | null, bytes?: Buffer) => void): void {
  let status: unknown;
  try {
    status =
      authBytes.length > 0
        ? (JSON.parse(authBytes.toString("utf8")) as { status?: unknown }).status
        : undefined;
  } catch {
    status = undefined;
  }
  if (typeof status === "string") {
    callback(new Error(`SASL authentication failed: the broker refused the OAuth token (${status})`));
  } else callback(null, authBytes);
}

function sortedByKey(entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const RELEASE = Symbol("release with the admin client");

/** A shared admin client for the brokers and credentials of these parameters. */
export function acquireAdmin(values: KafkaParams, context: ScalerContext) {
  const security = kafkaSecurity(values);
  const tls = security.tls === "enable" ? tlsOptions(values) : undefined;
  const key = poolKey(
    "kafka",
    values.bootstrapServers.join(","),
    security.sasl,
    values.username,
    values.password,
    security.tls,
    values.ca,
    values.cert,
    values.key,
    values.keyPassword,
    values.unsafeSsl,
    values.saslTokenProvider,
    values.oauthTokenEndpointUri,
    values.scopes,
    values.oauthExtensions,
    values.realm,
    values.kerberosConfig,
    values.keytab,
    values.kerberosServiceName,
    values.kerberosDisableFAST,
  );
  return context.pool.acquire(
    key,
    // The Kafka client is large: load it only when a kafka trigger connects.
    async () => {
      const closers: (() => void)[] = [];
      const sasl = saslOptions(values, context.timeoutMs, closers);
      const admin = new (await import("@platformatic/kafka")).Admin({
        clientId: "tidal",
        bootstrapBrokers: values.bootstrapServers,
        connectTimeout: context.timeoutMs,
        timeout: context.timeoutMs,
        // One quick retry for transient broker errors; the measurement deadline bounds the rest.
        retries: 1,
        retryDelay: 100,
        ...(tls ? { tls } : {}),
        ...(sasl ? { sasl } : {}),
      });
      return Object.assign(admin, { [RELEASE]: closers });
    },
    async (admin) => {
      await admin.close();
      for (const close of admin[RELEASE]) close();
    },
  );
}

/** The topics to measure: the configured one, or every topic the group has committed offsets for. */
async function topicsOf(admin: Admin, group: string, topic: string | undefined): Promise<string[]> {
  if (topic) return [topic];
  const [committed] = await admin.listConsumerGroupOffsets({ groups: [group] });
  return (committed?.topics ?? []).map((entry) => entry.name);
}

/**
 * Committed and latest offsets of every measured partition. `partitionLimitation` (only with a
 * topic, as in KEDA) keeps the listed partitions; a topic left without partitions is an error.
 * Partitions the broker returns no latest offset for are left out, as KEDA does.
 */
export async function readPartitionOffsets(
  admin: Admin,
  query: { group: string; topic: string | undefined; partitionLimitation: readonly number[] | undefined },
): Promise<PartitionOffsets[]> {
  const topics = await topicsOf(admin, query.group, query.topic);
  if (topics.length === 0) return [];
  const metadata = await admin.metadata({ topics });
  const requested = topics.map((name) => {
    const count = metadata.topics.get(name)?.partitionsCount ?? 0;
    const all = Array.from({ length: count }, (_, partition) => partition);
    const limitation = query.topic ? query.partitionLimitation : undefined;
    const partitionIndexes = limitation ? all.filter((partition) => limitation.includes(partition)) : all;
    if (partitionIndexes.length === 0) throw new Error(`topic "${name}" has no partition to measure`);
    return { name, partitionIndexes };
  });
  const [committedGroups, latestTopics] = await Promise.all([
    admin.listConsumerGroupOffsets({ groups: [{ groupId: query.group, topics: requested }] }),
    admin.listOffsets({
      topics: requested.map(({ name, partitionIndexes }) => ({
        name,
        partitions: partitionIndexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
      })),
    }),
  ]);
  const committed = new Map<string, bigint>();
  for (const topic of committedGroups[0]?.topics ?? []) {
    for (const partition of topic.partitions) {
      committed.set(`${topic.name}/${partition.partitionIndex}`, partition.committedOffset);
    }
  }
  return latestTopics.flatMap((topic) =>
    topic.partitions.map((partition) => {
      const committedOffset = committed.get(`${topic.name}/${partition.partitionIndex}`);
      if (committedOffset === undefined) {
        throw new Error(
          `no committed offset entry for topic "${topic.name}" partition ${partition.partitionIndex}`,
        );
      }
      return {
        topic: topic.name,
        partition: partition.partitionIndex,
        committed: Number(committedOffset),
        latest: Number(partition.offset),
      };
    }),
  );
}

/**
 * The client nests causes (MultipleErrors → NetworkError → AuthenticationError → ProtocolError);
 * this flattens them into one line that ends with the root cause and the broker's own message.
 */
export function describeKafkaError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const serverMessage = (error as { serverErrorMessage?: unknown }).serverErrorMessage;
  const own =
    error.message.replace(/\.$/, "") +
    (typeof serverMessage === "string" && serverMessage ? ` (${serverMessage})` : "");
  const nested = [
    ...(error.cause === undefined ? [] : [error.cause]),
    ...((error as { errors?: unknown[] }).errors ?? []),
  ];
  // A cause whose text the error already quotes adds nothing.
  const details = [...new Set(nested.map(describeKafkaError))].filter((detail) => !own.includes(detail));
  if (details.length === 0) return own;
  const joined = details.join("; ");
  return joined.startsWith(own) ? joined : `${own}: ${joined}`;
}
