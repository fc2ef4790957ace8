import { Command } from "commander";
import { renderTrace } from "../engine/decide.ts";
import type { DecisionTrace } from "../engine/types.ts";
import { TidalError, UsageError } from "../util/errors.ts";
import { addServerOptions, apiUrl, causeOf, statusApiOf, unreachableMessage } from "./find-server.ts";
import { outputOption } from "./options.ts";
import { DEFAULT_STATUS_PORT, SERVER_RECORD } from "./server-record.ts";

export function explainCommand(): Command {
  return addServerOptions(
    new Command("explain")
      .description("show why a ScaledObject has the replica count it has (its last decision trace)")
      .argument("<name>", "ScaledObject name"),
  )
    .option("-n, --namespace <namespace>", "namespace, when several ScaledObjects share the name")
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText(
      "after",
      `
Without --server, explain asks the \`tidal run\` that uses the same --state-dir (it records its
address in STATE-DIR/${SERVER_RECORD} while it runs); TIDAL_SERVER sets the address for a shell.

Example:
  tidal explain orders
  tidal explain orders --server http://127.0.0.1:${DEFAULT_STATUS_PORT} --output json`,
    )
    .action(async (name: string, options: ExplainOptions, command: Command) => {
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
  output: string;
}

function isTrace(body: unknown): body is DecisionTrace {
  const trace = body as Partial<DecisionTrace> | undefined;
  return (
    typeof trace?.desiredReplicas === "number" && Array.isArray(trace.steps) && Array.isArray(trace.triggers)
  );
}
