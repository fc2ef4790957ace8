import { join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { DEFAULT_STATUS_PORT, SERVER_RECORD, isProcessAlive, readServerRecord } from "./server-record.ts";

export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_STATUS_PORT}`;

/** Where the status API is, and how `tidal explain` learnt it (for its messages). */
export interface FoundServer {
  url: string;
  from: "--server" | "TIDAL_SERVER" | "record" | "default";
  /** The record file read, for `record` and `default` (when none was there). */
  recordPath?: string;
}

/**
 * The status API to ask: --server, else TIDAL_SERVER, else the address the `tidal run` using
 * `stateDir` recorded there, else the default port. A record whose process is gone is an error.
 */
export async function findServer(options: {
  server?: string;
  from?: "--server" | "TIDAL_SERVER";
  stateDir: string;
}): Promise<FoundServer> {
  if (options.server !== undefined) return { url: options.server, from: options.from ?? "--server" };
  const recordPath = join(resolve(options.stateDir), SERVER_RECORD);
  const record = await readServerRecord(resolve(options.stateDir));
  if (record === undefined) return { url: DEFAULT_SERVER, from: "default", recordPath };
  if (!isProcessAlive(record.pid)) {
    throw new TidalError(
      "TIDAL_E_UNREACHABLE",
      `no \`tidal run\` is running: the one recorded in ${recordPath} (pid ${record.pid}, ${record.statusApi}) has stopped; start \`tidal run -f PATH\`, or pass --server (or set TIDAL_SERVER) with the address of another`,
    );
  }
  return { url: record.statusApi, from: "record", recordPath };
}

/** Why nothing answered, in words that say where the address came from and what to do. */
export function unreachableMessage(base: URL, found: FoundServer, cause: string): string {
  switch (found.from) {
    case "default":
      return `no \`tidal run\` found: none is recorded in ${found.recordPath} and nothing answers at ${base.origin} (${cause}); start \`tidal run -f PATH\`, or pass --state-dir (the one \`tidal run\` uses) or --server (or set TIDAL_SERVER) with the statusApi address it prints`;
    case "record":
      return `cannot reach the status API at ${base.origin} (${cause}), recorded in ${found.recordPath} by the \`tidal run\` there; is it still starting or stuck? Pass --server to point elsewhere`;
    default:
      return `cannot reach the status API at ${base.origin} (${cause}) given by ${found.from}; is \`tidal run\` running there? Pass --server with the statusApi address it prints`;
  }
}

/** The status API's URL: http(s), without credentials (they would end up in messages). */
export function serverUrl(text: string, from: FoundServer["from"]): URL {
  const name = from === "TIDAL_SERVER" ? "TIDAL_SERVER" : "--server";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${name} must be a URL such as ${DEFAULT_SERVER}, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`${name} must be an http:// or https:// URL, got ${url.protocol}`);
  if (url.username !== "" || url.password !== "")
    throw new UsageError(`${name} must not contain a user name or password: the status API has no login`);
  return url;
}

/** What went wrong underneath fetch's "fetch failed": ECONNREFUSED, a DNS failure, a timeout. */
export function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return messageOf(error);
}

/** `--server` (also TIDAL_SERVER) and `--state-dir`: how a client command finds `tidal run`. */
export function addServerOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--server <url>",
        `status API of a running \`tidal run\` (default: the one recorded in --state-dir, else ${DEFAULT_SERVER})`,
      ).env("TIDAL_SERVER"),
    )
    .addOption(
      new Option("--state-dir <dir>", "the --state-dir of the `tidal run` to find").default(".tidal/state"),
    );
}

/** The status API a client command asks, from its --server/TIDAL_SERVER/--state-dir. */
export async function statusApiOf(
  command: Command,
  options: { server?: string; stateDir: string },
): Promise<{ base: URL; found: FoundServer }> {
  const found = await findServer({
    server: options.server,
    from: command.getOptionValueSource("server") === "env" ? "TIDAL_SERVER" : "--server",
    stateDir: options.stateDir,
  });
  return { base: serverUrl(found.url, found.from), found };
}

/** `path` under the status API's base URL. */
export function apiUrl(base: URL, path: string): URL {
  return new URL(path, base.href.endsWith("/") ? base : `${base.href}/`);
}
