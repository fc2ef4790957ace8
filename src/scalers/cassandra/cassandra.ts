import type { Client } from "cassandra-driver";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { joinHostPort } from "../shared/go-url.ts";
import { tlsMaterialParams, tlsSwitchParam } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";

/** gocql's consistency names (case-insensitive), as KEDA parses `consistency`. */
const CONSISTENCIES = {
  any: "any",
  one: "one",
  two: "two",
  three: "three",
  quorum: "quorum",
  all: "all",
  local_quorum: "localQuorum",
  each_quorum: "eachQuorum",
  local_one: "localOne",
} as const;

const params = {
  username: param.string({ description: "user name" }),
  password: param.string({ sources: ["auth"], secret: true, description: "password" }),
  // KEDA's cassandra scaler has no keyPassword.
  tls: tlsSwitchParam(["auth"], "enable for TLS"),
  cert: tlsMaterialParams.cert,
  key: tlsMaterialParams.key,
  ca: tlsMaterialParams.ca,
  clusterIPAddress: param.string({ description: "contact point: host, or host:port" }),
  port: param.int({ optional: true, description: "CQL port, when clusterIPAddress has none" }),
  consistency: param.string({
    default: "one",
    description: "consistency level: any, one, two, three, quorum, all, local_quorum, each_quorum, local_one",
  }),
  protocolVersion: param.int({ default: 4, description: "CQL native protocol version" }),
  keyspace: param.string({ description: "keyspace (names the metric; qualify the table in the query)" }),
  query: param.string({ description: "CQL query whose first column of the first row is the metric value" }),
  targetQueryValue: param.int({ description: "target value per replica" }),
  activationTargetQueryValue: param.int({
    default: 0,
    description: "active when the value is greater than this",
  }),
};

type CassandraParams = ParsedParams<typeof params>;

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/**
 * The contact point by KEDA's rule: `host:port` when clusterIPAddress has exactly one colon and a
 * number after it, else clusterIPAddress joined with `port` (required then).
 */
export function cassandraContactPoint(
  values: Pick<CassandraParams, "clusterIPAddress" | "port">,
): string | undefined {
  const parts = values.clusterIPAddress.split(":");
  if (parts.length === 2 && /^[+-]?\d+$/.test(parts[1] as string)) return values.clusterIPAddress;
  if (!values.port) return undefined;
  return joinHostPort(values.clusterIPAddress, String(values.port));
}

function consistencyOf(text: string): (typeof CONSISTENCIES)[keyof typeof CONSISTENCIES] | undefined {
  return CONSISTENCIES[text.toLowerCase() as keyof typeof CONSISTENCIES];
}

/** A CQL value as KEDA's scan into an int64 takes it: integer types only. */
export function cassandraInteger(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && "toNumber" in value && typeof value.toNumber === "function") {
    // Long (bigint, counter) and Integer (varint)
    const number = Number(value.toNumber());
    if (Number.isInteger(number)) return number;
  }
  throw new Error(`the query's first column is ${JSON.stringify(String(value))}, which is not an integer`);
}

export const cassandraScaler: ScalerDefinition<typeof params> = {
  type: "cassandra",
  kedaScalerName: "cassandraScaler",
  description: "Value of a CQL query against Apache Cassandra (first column of the first row).",
  testedAgainst: "Apache Cassandra 5.0 (Maven Central jars)",
  example: {
    metadata: {
      username: "cassandra",
      clusterIPAddress: "cassandra:9042",
      keyspace: "jobs",
      query: "SELECT COUNT(*) FROM jobs.pending",
      targetQueryValue: "10",
    },
    authParams: { password: "example-password" },
    metricName: "s0-cassandra-jobs",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (values.tls === "enable" && (!values.cert || !values.key)) {
      problems.push(
        problem(values.cert ? "key" : "cert", "both cert and key are required when TLS is enabled"),
      );
    }
    if (cassandraContactPoint(values) === undefined) {
      problems.push(problem("port", "no port given (set port, or clusterIPAddress as host:port)"));
    }
    if (consistencyOf(values.consistency) === undefined) {
      problems.push(
        problem(
          "consistency",
          `consistency "${values.consistency}" must be one of ${Object.keys(CONSISTENCIES).join(", ")}`,
        ),
      );
    }
    return problems;
  },
  metric: (values) => ({
    name: `cassandra-${values.keyspace}`,
    target: values.targetQueryValue,
    activationTarget: values.activationTargetQueryValue,
  }),
  connect(values, context) {
    const contactPoint = cassandraContactPoint(values) ?? values.clusterIPAddress;
    const tls =
      values.tls === "enable"
        ? {
            cert: values.cert,
            key: values.key,
            ...(values.ca ? { ca: values.ca } : {}),
          }
        : undefined;
    const lease = context.pool.acquire(
      poolKey(
        "cassandra",
        contactPoint,
        values.username,
        values.password,
        values.protocolVersion,
        JSON.stringify(tls),
      ),
      async () => {
        // The driver is loaded only when a cassandra trigger connects.
        const { Client, auth, policies } = (await import("cassandra-driver")).default;
        const client = new Client({
          contactPoints: [contactPoint],
          // No data center to name: every node is a candidate, as gocql's default policy.
          policies: { loadBalancing: new policies.loadBalancing.RoundRobinPolicy() },
          authProvider: new auth.PlainTextAuthProvider(values.username, values.password),
          protocolOptions: { maxVersion: values.protocolVersion },
          socketOptions: { connectTimeout: context.timeoutMs, readTimeout: context.timeoutMs },
          ...(tls ? { sslOptions: tls } : {}),
        });
        try {
          await client.connect();
          return client;
        } catch (error) {
          await client.shutdown().catch(() => undefined);
          throw new Error(`cannot connect to Cassandra at ${contactPoint}: ${messageOf(error)}`, {
            cause: error,
          });
        }
      },
      (client: Client) => client.shutdown(),
    );
    const consistencyName = consistencyOf(values.consistency) ?? "one";
    return {
      async measure(signal) {
        const client = await lease.client;
        const { types } = (await import("cassandra-driver")).default;
        const execution = client.execute(values.query, [], {
          prepare: false,
          consistency: types.consistencies[consistencyName],
        });
        const aborted = new Promise<never>((_, reject) => {
          signal.addEventListener("abort", () => reject(new Error("query aborted")), { once: true });
        });
        const result = await Promise.race([execution, aborted]).catch((error: unknown) => {
          throw signal.aborted ? error : new Error(`query failed: ${messageOf(error)}`, { cause: error });
        });
        const row = result.rows[0];
        const value = row === undefined ? 0 : cassandraInteger(row.values()[0]);
        return { value, active: value > values.activationTargetQueryValue };
      },
      close: () => lease.release(),
    };
  },
};
