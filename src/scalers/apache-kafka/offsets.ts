import type { Admin, SASLOptions } from "@platformatic/kafka";
import { poolKey } from "../connection-pool.ts";
import { tlsOptions } from "../shared/tls.ts";
import type { ScalerContext } from "../types.ts";
import { groupOffsets } from "../kafka/client.ts";
import type { PartitionOffsets } from "../kafka/lag.ts";

/** What reading the offsets needs from an apache-kafka trigger. */
export interface ApacheKafkaConnection {
  bootstrapServers: string[];
  consumerGroup: string;
  topic?: string[] | undefined;
  partitionLimitation?: number[] | undefined;
  sasl: "none" | "plaintext" | "scram_sha256" | "scram_sha512" | "gssapi" | "aws_msk_iam";
  username?: string | undefined;
  password?: string | undefined;
  tls: "enable" | "disable";
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  keyPassword?: string | undefined;
}

const MECHANISMS = {
  plaintext: "PLAIN",
  scram_sha256: "SCRAM-SHA-256",
  scram_sha512: "SCRAM-SHA-512",
} as const;

function saslOptions(values: ApacheKafkaConnection): SASLOptions | undefined {
  if (values.sasl === "none") return undefined;
  if (values.sasl === "gssapi")
    throw new Error(`err sasl type "gssapi" given (KEDA's apache-kafka has no GSSAPI)`);
  if (values.sasl === "aws_msk_iam") {
    throw new Error(
      "sasl aws_msk_iam is not supported by Tidal yet; use plaintext, scram_sha256 or scram_sha512",
    );
  }
  return {
    mechanism: MECHANISMS[values.sasl],
    username: values.username ?? "",
    password: values.password ?? "",
  };
}

/**
 * A shared admin client (the @platformatic/kafka client of the kafka scaler, loaded on first use).
 * TLS verifies the brokers (KEDA's apache-kafka has no unsafeSsl).
 */
export function acquireApacheKafkaAdmin(values: ApacheKafkaConnection, context: ScalerContext) {
  const tls = values.tls === "enable" ? tlsOptions({ ...values, unsafeSsl: false }) : undefined;
  const key = poolKey(
    "apache-kafka",
    values.bootstrapServers.join(","),
    values.sasl,
    values.username,
    values.password,
    JSON.stringify(tls),
  );
  return context.pool.acquire(
    key,
    async () => {
      const sasl = saslOptions(values);
      const { Admin } = await import("@platformatic/kafka");
      return new Admin({
        clientId: "tidal",
        bootstrapBrokers: values.bootstrapServers,
        connectTimeout: context.timeoutMs,
        timeout: context.timeoutMs,
        retries: 1,
        retryDelay: 100,
        ...(tls ? { tls } : {}),
        ...(sasl ? { sasl } : {}),
      });
    },
    (admin) => admin.close(),
  );
}

/**
 * The partitions KEDA's apache-kafka measures: those of the listed topics, or, without topics,
 * those of every topic in the cluster once the group has members (KEDA lists the cluster's
 * topics, not the group's), each kept to partitionLimitation when it is set.
 */
async function topicPartitions(admin: Admin, values: ApacheKafkaConnection): Promise<Map<string, number[]>> {
  const names = await admin.listTopics({ includeInternals: true });
  let selected = names;
  if (values.topic && values.topic.length > 0) {
    const missing = values.topic.filter((topic) => !names.includes(topic));
    if (missing.length > 0)
      throw new Error(`topic ${missing.map((topic) => `"${topic}"`).join(", ")} does not exist`);
    selected = values.topic;
  } else {
    const group = (await admin.describeGroups({ groups: [values.consumerGroup] })).get(values.consumerGroup);
    if (!group || group.members.size === 0) {
      throw new Error(
        `no active members in group ${values.consumerGroup}, group-state is ${group?.state ?? "unknown"}`,
      );
    }
  }
  const metadata = await admin.metadata({ topics: selected });
  const result = new Map<string, number[]>();
  for (const name of selected) {
    const count = metadata.topics.get(name)?.partitionsCount ?? 0;
    const all = Array.from({ length: count }, (_, partition) => partition);
    const limitation = values.partitionLimitation;
    const partitions =
      limitation && limitation.length > 0 ? all.filter((id) => limitation.includes(id)) : all;
    if (partitions.length > 0) result.set(name, partitions);
  }
  return result;
}

/** Committed and latest offsets of every measured partition (a partition the group never committed: -1). */
export async function readApacheKafkaOffsets(
  admin: Admin,
  values: ApacheKafkaConnection,
): Promise<PartitionOffsets[]> {
  const partitions = await topicPartitions(admin, values);
  if (partitions.size === 0) return [];
  const requested = [...partitions].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  const { committed, latestTopics } = await groupOffsets(admin, values.consumerGroup, requested);
  return latestTopics.flatMap((topic) =>
    topic.partitions.map((partition) => ({
      topic: topic.name,
      partition: partition.partitionIndex,
      // KEDA reads a partition missing from the answer as offset 0 (Go's zero value).
      committed: Number(committed.get(`${topic.name}/${partition.partitionIndex}`) ?? 0n),
      latest: Number(partition.offset),
    })),
  );
}
