import { Command, Option } from "commander";
import { TidalError, UsageError } from "../util/errors.ts";
import { addServerOptions, apiUrl, causeOf, statusApiOf, unreachableMessage } from "./find-server.ts";
import { nonNegativeInteger } from "./options.ts";

interface LogsOptions {
  server?: string;
  stateDir: string;
  namespace?: string;
  follow?: boolean;
  tail: number | "all";
  timestamps?: boolean;
}

export function logsCommand(): Command {
  return addServerOptions(
    new Command("logs")
      .description("print (or follow) the output of a ProcessPool's workers in a running `tidal run`")
      .argument("<pool>", "ProcessPool name"),
  )
    .option("-n, --namespace <namespace>", "namespace, when several ProcessPools share the name")
    .option("-f, --follow", "keep printing new lines until interrupted")
    .addOption(
      new Option("--tail <lines>", 'how many recent lines to print first, or "all"')
        .default(100)
        .argParser((value) => (value === "all" ? "all" : nonNegativeInteger("--tail")(value))),
    )
    .option("-t, --timestamps", "start each line with the time it was written")
    .addHelpText(
      "after",
      `
Each line is prefixed by its worker ("worker-0 | ..."; "worker-0 stderr | ..." for stderr), as
\`docker compose logs\` prints services. \`tidal run\` keeps the last 1000 lines of each pool in memory
and writes all of them to STATE-DIR/logs/NAMESPACE_POOL.log, rotated at 10 MB (3 old files kept).
The \`tidal run\` is found as for \`tidal explain\` (--state-dir, TIDAL_SERVER or --server).

Examples:
  tidal logs worker
  tidal logs worker -f --tail 0`,
    )
    .action(async (pool: string, options: LogsOptions, command: Command) => {
      if (pool.trim() === "") throw new UsageError("<pool> must not be empty: name a ProcessPool");
      const { base, found } = await statusApiOf(command, options);
      const url = apiUrl(base, `api/v1/processpools/${encodeURIComponent(pool)}/logs`);
      url.searchParams.set("tail", String(options.tail));
      if (options.namespace) url.searchParams.set("namespace", options.namespace);
      if (options.follow) url.searchParams.set("follow", "true");
      if (options.timestamps) url.searchParams.set("timestamps", "true");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        let response: Response;
        try {
          response = await fetch(url, {
            signal: options.follow ? stop.signal : AbortSignal.any([stop.signal, AbortSignal.timeout(5000)]),
          });
        } catch (error) {
          if (stop.signal.aborted) return;
          throw new TidalError("TIDAL_E_UNREACHABLE", unreachableMessage(base, found, causeOf(error)));
        }
        if (!response.ok) {
          const body = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
          throw new TidalError(
            "TIDAL_E_LOGS",
            typeof body?.error === "string"
              ? body.error
              : `${base.origin} answered ${response.status}, but not as Tidal's status API; pass --server with the address \`tidal run\` prints as statusApi`,
          );
        }
        try {
          for await (const chunk of response.body ?? []) process.stdout.write(chunk);
        } catch (error) {
          if (!stop.signal.aborted)
            throw new TidalError(
              "TIDAL_E_UNREACHABLE",
              `the log stream from ${base.origin} broke off (${causeOf(error)})`,
            );
        }
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
