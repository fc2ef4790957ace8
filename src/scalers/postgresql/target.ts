import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type pg from "pg";
import { messageOf } from "../../util/errors.ts";
import type { ConnectionSettings } from "./connection-string.ts";

/** What a pool needs: node-postgres settings, the TLS plan, and host:port for messages. */
export interface PostgresTarget {
  config: Omit<pg.PoolConfig, "ssl">;
  tls: TlsPlan;
  endpoint: string;
}

/** TLS as sslmode asks for it; certificate files are named here and read when connecting. */
export interface TlsPlan {
  mode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
  files: { ca?: string; cert?: string; key?: string };
  passphrase?: string;
}

const SSL_MODES: readonly TlsPlan["mode"][] = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
];

function isSslMode(mode: string): mode is TlsPlan["mode"] {
  return (SSL_MODES as readonly string[]).includes(mode);
}

const KNOWN = new Set([
  "host",
  "hostaddr",
  "port",
  "user",
  "password",
  "dbname",
  "database",
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "sslpassword",
  "application_name",
  "options",
]);

// libpq keywords that only steer the client; pgx does not send them to the server either.
const CLIENT_ONLY = new Set([
  "connect_timeout",
  "target_session_attrs",
  "sslsni",
  "sslcompression",
  "gssencmode",
  "channel_binding",
  "krbsrvname",
  "krbspn",
  "passfile",
  "service",
  "servicefile",
  "keepalives",
  "keepalives_idle",
  "keepalives_interval",
  "keepalives_count",
  "tcp_user_timeout",
]);

/**
 * Turns libpq settings into node-postgres options. Settings libpq would send to the server as
 * run-time parameters (for example `search_path`) travel in `options` as `-c key=value`, as pgx does.
 */
export function postgresTarget(settings: ConnectionSettings): PostgresTarget {
  const host = settings.host || settings.hostaddr || "localhost";
  if (host.includes(",")) throw new Error("several hosts are not supported; give one host");
  const port = Number(settings.port || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error("port must be a number from 1 to 65535");
  const sslmode = settings.sslmode || "prefer";
  if (!isSslMode(sslmode)) throw new Error(`sslmode must be one of ${SSL_MODES.join(", ")}`);
  const runtime = Object.entries(settings)
    .filter(([key]) => !KNOWN.has(key) && !CLIENT_ONLY.has(key) && !key.startsWith("pool_"))
    .map(([key, value]) => `-c ${key}=${value.replace(/\\/g, "\\\\").replace(/ /g, "\\ ")}`);
  const options = [settings.options, ...runtime].filter(Boolean).join(" ");
  const config: PostgresTarget["config"] = {
    host,
    port,
    ...(settings.user ? { user: settings.user } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.dbname || settings.database ? { database: settings.dbname || settings.database } : {}),
    ...(settings.application_name ? { application_name: settings.application_name } : {}),
    ...(options ? { options } : {}),
  };
  return { config, tls: tlsPlan(sslmode, settings), endpoint: `${host}:${port}` };
}

function tlsPlan(mode: TlsPlan["mode"], settings: ConnectionSettings): TlsPlan {
  return {
    mode,
    files: {
      ...(settings.sslrootcert ? { ca: settings.sslrootcert } : {}),
      ...(settings.sslcert ? { cert: settings.sslcert } : {}),
      ...(settings.sslkey ? { key: settings.sslkey } : {}),
    },
    ...(settings.sslpassword ? { passphrase: settings.sslpassword } : {}),
  };
}

/** node-postgres `ssl` for a plan: prefer and require trust any certificate, verify-ca skips the host name check. */
export function sslOptions(
  plan: TlsPlan,
  readFile: (path: string) => string = readSslFile,
): false | ConnectionOptions {
  if (plan.mode === "disable") return false;
  const material: ConnectionOptions = {
    ...(plan.files.ca ? { ca: readFile(plan.files.ca) } : {}),
    ...(plan.files.cert ? { cert: readFile(plan.files.cert) } : {}),
    ...(plan.files.key ? { key: readFile(plan.files.key) } : {}),
    ...(plan.passphrase ? { passphrase: plan.passphrase } : {}),
  };
  if (plan.mode === "verify-full") return { ...material, rejectUnauthorized: true };
  // libpq: require with a root certificate verifies the chain, like verify-ca.
  if (plan.mode === "verify-ca" || (plan.mode === "require" && plan.files.ca))
    return { ...material, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...material, rejectUnauthorized: false };
}

function readSslFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read TLS file: ${messageOf(error)}`, { cause: error });
  }
}

/** Whether the first attempt uses TLS: libpq (and pgx) try plain text first only with sslmode allow. */
export function startsWithTls(plan: TlsPlan): boolean {
  return plan.mode !== "disable" && plan.mode !== "allow";
}

/**
 * The TLS setting to try after a failed attempt, as libpq does, or undefined: with prefer, plain
 * text when the server has no TLS; with allow, TLS when the server refused the plain-text login
 * (an authorization error, SQLSTATE class 28, such as a hostssl-only pg_hba.conf rule).
 */
export function fallbackTls(plan: TlsPlan, usedTls: boolean, error: unknown): boolean | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (plan.mode === "prefer" && usedTls && /does not support SSL/i.test(message)) return false;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (plan.mode === "allow" && !usedTls && typeof code === "string" && code.startsWith("28")) return true;
  return undefined;
}
