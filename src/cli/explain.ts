import { Command, Option } from "commander";
import { renderTrace } from "../engine/decide.ts";
import type { DecisionTrace } from "../engine/types.ts";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { outputOption } from "./options.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:9090";

export function explainCommand(): Command {
  return new Command("explain")
    .description("show why a ScaledObject has the replica count it has (its last decision trace)")
    .argument("<name>", "ScaledObject name")
    .addOption(new Option("--server <url>", "status API of a running `tidal run`").default(DEFAULT_SERVER))
    .option("-n, --namespace <namespace>", "namespace, when several ScaledObjects share the name")
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText(
      "after",
      `
Example:
  tidal explain orders
  tidal explain orders --server http://127.0.0.1:9090 --output json`,
    )
    .action(async (name: string, options: { server: string; namespace?: string; output: string }) => {
      if (name.trim() === "") throw new UsageError("<name> must not be empty: name a ScaledObject");
      const base = serverUrl(options.server);
      const url = new URL(
        `api/v1/scaledobjects/${encodeURIComponent(name)}/explain`,
        base.href.endsWith("/") ? base : `${base.href}/`,
      );
      if (options.namespace) url.searchParams.set("namespace", options.namespace);
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      } catch (error) {
        throw new TidalError(
          "TIDAL_E_UNREACHABLE",
          `cannot reach the status API at ${base.origin} (${unreachableCause(error)}); is \`tidal run\` running? Pass --server to point elsewhere`,
        );
      }
      const body = (await response.json().catch(() => undefined)) as
        (DecisionTrace & { error?: unknown }) | undefined;
      if (!response.ok && typeof body?.error === "string")
        throw new TidalError("TIDAL_E_EXPLAIN", body.error);
      if (!response.ok || !isTrace(body)) {
        throw new TidalError(
          "TIDAL_E_EXPLAIN",
          `${base.origin} answered${response.ok ? "" : ` ${response.status}`}, but not as Tidal's status API; pass --server with the address \`tidal run\` prints as statusApi`,
        );
      }
      process.stdout.write(
        options.output === "json" ? `${JSON.stringify(body, null, 2)}\n` : `${renderTrace(body)}\n`,
      );
    });
}

/** The --server URL: http(s), without credentials (they would end up in messages). */
export function serverUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--server must be an http:// or https:// URL, got ${url.protocol}`);
  if (url.username !== "" || url.password !== "")
    throw new UsageError("--server must not contain a user name or password: the status API has no login");
  return url;
}

/** What went wrong underneath fetch's "fetch failed": ECONNREFUSED, a DNS failure, a timeout. */
export function unreachableCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return messageOf(error);
}

function isTrace(body: unknown): body is DecisionTrace {
  const trace = body as Partial<DecisionTrace> | undefined;
  return (
    typeof trace?.desiredReplicas === "number" && Array.isArray(trace.steps) && Array.isArray(trace.triggers)
  );
}
