import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { poolKey } from "../connection-pool.ts";
import { joinHostPort } from "../shared/go-url.ts";
import type { ScalerDefinition } from "../types.ts";
import { ClickHouseHttp, type ClickHouseTarget } from "./client.ts";

const params = {
  connectionString: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description:
      "DSN, e.g. http://user:password@clickhouse:8123/default (clickhouse://…:9000 is read through the HTTP interface, see below)",
  }),
  host: param.string({ sources: ["metadata", "auth"], optional: true, description: "server host name" }),
  port: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    description: "port of the HTTP interface (default 8123; KEDA's native port 9000 is read as 8123)",
  }),
  username: param.string({
    sources: ["metadata", "auth", "env"],
    optional: true,
    description: "user (default: default)",
  }),
  password: param.string({ sources: ["auth", "env"], optional: true, secret: true, description: "password" }),
  database: param.string({
    sources: ["metadata", "auth"],
    optional: true,
    description: "database (default: default)",
  }),
  query: param.string({ description: "SQL query whose first column of the first row is the metric" }),
  targetQueryValue: param.float({
    description: "target value per replica (0 only when the trigger feeds a scalingModifiers formula)",
  }),
  activationTargetQueryValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  maxIdleConns: param.int({
    sources: ["metadata", "auth"],
    optional: true,
    description: "idle connections kept",
  }),
  maxOpenConns: param.int({
    sources: ["metadata", "auth"],
    optional: true,
    description: "most open connections",
  }),
  connMaxLifetime: param.duration({
    sources: ["metadata", "auth"],
    optional: true,
    description: "how long a connection is reused",
  }),
  tls: param.bool({ sources: ["auth"], default: false, description: "connect with TLS (https)" }),
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
  ca: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "CA certificate (PEM) to trust",
  }),
  unsafeSsl: param.bool({
    sources: ["auth"],
    default: false,
    description: "skip verification of the server certificate",
  }),
};

type Values = {
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
  tls: boolean;
  unsafeSsl: boolean;
};

/** ClickHouse's documented default ports: native 9000 (9440 with TLS), HTTP 8123 (8443 with TLS). */
const NATIVE_TO_HTTP: Readonly<Record<string, string>> = { "9000": "8123", "9440": "8443" };

/**
 * KEDA's DSN (its buildClickHouseDSN): the connection string, or clickhouse://user:password@host:port/database
 * from the separate parameters (port 9000, database and user "default"), with secure=true (and
 * skip_verify=true) added when tls is set.
 */
export function clickHouseDsn(values: Values): string {
  let url: URL;
  if (values.connectionString) {
    const parsed = URL.parse(values.connectionString);
    if (parsed === null)
      throw new Error("connectionString is not a URL such as http://user:password@clickhouse:8123/default");
    url = parsed;
  } else {
    // Go's url.UserPassword keeps the separator for an empty password: default:@host.
    const user = `${goUserinfoEscape(values.username || "default", false)}:${goUserinfoEscape(values.password ?? "", true)}`;
    url = new URL(`clickhouse://${user}@${joinHostPort(values.host ?? "", values.port || "9000")}`);
    url.pathname = `/${values.database || "default"}`;
  }
  if (values.tls) {
    url.searchParams.set("secure", "true");
    if (values.unsafeSsl) url.searchParams.set("skip_verify", "true");
    // Go's Values.Encode sorts the keys.
    url.searchParams.sort();
  }
  const text = url.toString();
  return values.connectionString || values.password
    ? text
    : text.replace(/^(clickhouse:\/\/[^:@/]*)@/, "$1:@");
}

/** Go's userinfo escaping: unreserved characters and sub-delimiters stay, `:` too in a password. */
function goUserinfoEscape(text: string, password: boolean): string {
  return encodeURIComponent(text).replace(/%(21|24|26|27|28|29|2A|2B|2C|3B|3D|3A)/g, (escape, hex: string) =>
    hex === "3A" && !password ? escape : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/**
 * Where Tidal sends the query: ClickHouse's HTTP interface. A DSN for clickhouse-go's native
 * protocol (clickhouse:// or tcp://) is read on the same host, with the documented default native
 * ports 9000 and 9440 replaced by the HTTP ports 8123 and 8443.
 */
export function clickHouseTarget(dsn: string): ClickHouseTarget & { mappedFrom?: string } {
  const url = new URL(dsn);
  const scheme = url.protocol.slice(0, -1);
  const secure = url.searchParams.get("secure") === "true" || scheme === "https";
  const skipVerify = url.searchParams.get("skip_verify") === "true";
  const database =
    decodeURIComponent(url.pathname.replace(/^\//, "")) || url.searchParams.get("database") || "default";
  const username = decodeURIComponent(url.username) || url.searchParams.get("username") || "default";
  const password = decodeURIComponent(url.password) || url.searchParams.get("password") || "";
  const native = scheme === "clickhouse" || scheme === "tcp";
  if (!native && scheme !== "http" && scheme !== "https") {
    throw new Error(`connectionString scheme "${scheme}" is not one of clickhouse, tcp, http, https`);
  }
  let port = url.port || (native ? (secure ? "9440" : "9000") : secure ? "8443" : "8123");
  let mappedFrom: string | undefined;
  if (native) {
    mappedFrom = `${scheme}://${joinHostPort(url.hostname.replace(/^\[(.*)\]$/, "$1"), port)}`;
    port = NATIVE_TO_HTTP[port] ?? port;
  }
  const origin = `${secure ? "https" : "http"}://${joinHostPort(url.hostname.replace(/^\[(.*)\]$/, "$1"), port)}`;
  return { origin, database, username, password, skipVerify, ...(mappedFrom ? { mappedFrom } : {}) };
}

export const clickHouseScaler: ScalerDefinition<typeof params> = {
  type: "clickhouse",
  kedaScalerName: "clickhouseScaler",
  description:
    "Value of a ClickHouse SQL query (first column of the first row; no rows reads as 0), read through ClickHouse's HTTP interface.",
  testedAgainst: "ClickHouse 18.16 (Debian's clickhouse-server)",
  example: {
    metadata: {
      host: "clickhouse",
      query: "SELECT count() FROM jobs WHERE state = 'queued'",
      targetQueryValue: "10",
    },
    authParams: { username: "reader", password: "reader-password" },
    metricName: "s0-clickhouse",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (!context.asMetricSource && values.targetQueryValue === 0) {
      error(
        "targetQueryValue",
        "targetQueryValue is required when not using scaler as metric source (a number other than 0)",
      );
    }
    if (!values.connectionString && !values.host) {
      error("host", "either connectionString or host must be set");
    }
    if (values.tls && Boolean(values.cert) !== Boolean(values.key)) {
      error(values.cert ? "key" : "cert", "both cert and key must be provided when TLS is enabled");
    }
    if (problems.length > 0) return problems;
    try {
      const target = clickHouseTarget(clickHouseDsn(values));
      // The separate parameters without a port read the HTTP interface's default port, silently.
      if (target.mappedFrom && (values.connectionString || values.port)) {
        problems.push({
          key: values.connectionString ? "connectionString" : "port",
          message: `Tidal reads ClickHouse through its HTTP interface: ${target.mappedFrom} (native protocol, as KEDA connects) is read at ${target.origin}`,
          severity: "warning",
        });
      }
    } catch (problem) {
      error(values.connectionString ? "connectionString" : "host", (problem as Error).message);
    }
    return problems;
  },
  metric: (values) => ({
    name: "clickhouse",
    target: values.targetQueryValue,
    activationTarget: values.activationTargetQueryValue,
  }),
  connect(values, context) {
    const target = clickHouseTarget(clickHouseDsn(values));
    const tls = {
      ...(values.ca ? { ca: values.ca } : {}),
      ...(values.cert ? { cert: values.cert } : {}),
      ...(values.key ? { key: values.key } : {}),
      ...(values.keyPassword ? { passphrase: values.keyPassword } : {}),
      rejectUnauthorized: !target.skipVerify,
    };
    const options = {
      ...target,
      tls,
      maxOpenConnections: values.maxOpenConns,
      idleMs: values.connMaxLifetime,
      timeoutMs: context.timeoutMs,
    };
    const lease = context.pool.acquire(
      poolKey(
        "clickhouse",
        target.origin,
        target.username,
        target.password,
        target.database,
        JSON.stringify(tls),
      ),
      async () => new ClickHouseHttp(options),
      async (client) => client.close(),
    );
    return {
      async measure(signal) {
        const client = await lease.client;
        const value = await client.firstValue(values.query, signal);
        return { value, active: value > values.activationTargetQueryValue };
      },
      close: () => lease.release(),
    };
  },
};
