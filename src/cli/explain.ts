import { Command, Option } from "commander";
import { renderTrace } from "../engine/decide.ts";
import type { DecisionTrace } from "../engine/types.ts";
import { TidalError, messageOf } from "../util/errors.ts";
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
      let base: URL;
      try {
        base = new URL(options.server);
      } catch {
        throw new TidalError(
          "TIDAL_E_USAGE",
          `--server must be a URL such as ${DEFAULT_SERVER}, got "${options.server}"`,
          { exitCode: 2 },
        );
      }
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
          `cannot reach the status API at ${base.origin} (${messageOf(error)}); is \`tidal run\` running? Pass --server to point elsewhere`,
        );
      }
      const body = (await response.json().catch(() => ({}))) as DecisionTrace & { error?: string };
      if (!response.ok)
        throw new TidalError("TIDAL_E_EXPLAIN", body.error ?? `status API answered ${response.status}`);
      process.stdout.write(
        options.output === "json" ? `${JSON.stringify(body, null, 2)}\n` : `${renderTrace(body)}\n`,
      );
    });
}
