import { Command, Option } from "commander";
import { renderTrace } from "../engine/decide.ts";
import type { DecisionTrace } from "../engine/types.ts";
import { TidalError, UsageError } from "../util/errors.ts";
import {
  addServerOptions,
  apiUrl,
  causeOf,
  serverUrl,
  statusApiOf,
  unreachableMessage,
} from "./find-server.ts";
import { outputOption } from "./options.ts";
import { DEFAULT_STATUS_PORT, SERVER_RECORD } from "./server-record.ts";

/** Where `explain --host` asks without --server: `tidal interceptor`'s admin port (port-forwarded). */
export const DEFAULT_INTERCEPTOR_ADMIN = "http://127.0.0.1:9090";

export function explainCommand(): Command {
  return addServerOptions(
    new Command("explain")
      .description(
        "show why a ScaledObject has the replica count it has (its last decision trace), or where an interceptor routes a host",
      )
      .argument("[name]", "ScaledObject name"),
  )
    .option("-n, --namespace <namespace>", "namespace, when several ScaledObjects share the name")
    .option(
      "--host <host>",
      `instead of a ScaledObject: where \`tidal interceptor\` (its admin port at --server, default ${DEFAULT_INTERCEPTOR_ADMIN}) sends a request for this host, and why it would be held`,
    )
    .addOption(new Option("--path <path>", "with --host: the request's path").default("/"))
    .option(
      "--header <name:value>",
      "with --host: a request header (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText(
      "after",
      `
Without --server, explain asks the \`tidal run\` that uses the same --state-dir (it records its
address in STATE-DIR/${SERVER_RECORD} while it runs); TIDAL_SERVER sets the address for a shell.
With --host it asks an interceptor's admin port: --server, else ${DEFAULT_INTERCEPTOR_ADMIN}.

Example:
  tidal explain orders
  tidal explain orders --server http://127.0.0.1:${DEFAULT_STATUS_PORT} --output json
  kubectl -n tidal-system port-forward deploy/tidal-interceptor 9090 &
  tidal explain --host shop.example.com --path /cart --server http://127.0.0.1:9090`,
    )
    .action(async (name: string | undefined, options: ExplainOptions, command: Command) => {
      if (options.host !== undefined) return explainRoute(options, command);
      if (name === undefined) command.error("error: missing required argument 'name'", { exitCode: 2 });
      if (name.trim() === "") throw new UsageError("<name> must not be empty: name a ScaledObject");
      const { base, found } = await statusApiOf(command, options);
      const url = apiUrl(base, `api/v1/scaledobjects/${encodeURIComponent(name)}/explain`);
      if (options.namespace) url.searchParams.set("namespace", options.namespace);
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      } catch (error) {
        throw new TidalError("TIDAL_E_UNREACHABLE", unreachableMessage(base, found, causeOf(error)));
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

interface ExplainOptions {
  server?: string;
  stateDir: string;
  namespace?: string;
  host?: string;
  path: string;
  header?: string[];
  output: string;
}

/** `--host`: asks an interceptor's admin port where a request would go, and prints its verdict. */
async function explainRoute(options: ExplainOptions, command: Command): Promise<void> {
  // TIDAL_SERVER names a `tidal run`'s status API, not an interceptor: only --server counts here.
  const given = command.getOptionValueSource("server") === "cli" ? options.server : undefined;
  const base = serverUrl(given ?? DEFAULT_INTERCEPTOR_ADMIN, "--server");
  const url = apiUrl(base, "api/v1/explain");
  url.searchParams.set("host", options.host ?? "");
  url.searchParams.set("path", options.path);
  for (const header of options.header ?? []) {
    if (header.indexOf(":") <= 0) throw new UsageError(`--header must be name:value, got "${header}"`);
    url.searchParams.append("header", header);
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new TidalError(
      "TIDAL_E_UNREACHABLE",
      `cannot reach the interceptor's admin port at ${base.origin} (${causeOf(error)}); pass --server, e.g. after kubectl port-forward deploy/tidal-interceptor 9090`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as { summary?: unknown } | undefined;
  if (!response.ok || !Array.isArray(body?.summary)) {
    throw new TidalError(
      "TIDAL_E_EXPLAIN",
      `${base.origin} answered${response.ok ? "" : ` ${response.status}`}, but not as an interceptor's admin port; pass --server with the address \`tidal interceptor\` prints as admin`,
    );
  }
  process.stdout.write(
    options.output === "json"
      ? `${JSON.stringify(body, null, 2)}\n`
      : `${(body.summary as unknown[]).map(String).join("\n")}\n`,
  );
}

function isTrace(body: unknown): body is DecisionTrace {
  const trace = body as Partial<DecisionTrace> | undefined;
  return (
    typeof trace?.desiredReplicas === "number" && Array.isArray(trace.steps) && Array.isArray(trace.triggers)
  );
}
