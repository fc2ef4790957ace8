import { spawn } from "node:child_process";
import { Command } from "commander";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { addServerOptions, statusApiOf, causeOf, unreachableMessage } from "./find-server.ts";

interface DashboardOptions {
  server?: string;
  stateDir: string;
  namespace?: string;
  open?: boolean;
}

/** The program that opens a URL in the user's browser: $BROWSER, else the platform's opener. */
export function browserCommand(
  platform: NodeJS.Platform,
  environment: Readonly<Record<string, string | undefined>>,
): [string, string[]] {
  const chosen = environment.BROWSER?.split(":")[0]?.trim();
  if (chosen) return [chosen, []];
  if (platform === "darwin") return ["open", []];
  if (platform === "win32") return ["cmd", ["/c", "start", ""]];
  return ["xdg-open", []];
}

export function dashboardCommand(): Command {
  return addServerOptions(
    new Command("dashboard")
      .description(
        "print the address of the dashboard of a running `tidal run` or `tidal operator`, and open it",
      )
      .argument("[name]", "a ScaledObject to show at once (its view instead of the overview)"),
  )
    .option("-n, --namespace <namespace>", "namespace of NAME (default: default)")
    .option("--open", "open it in a browser ($BROWSER, else xdg-open / open / start)")
    .addHelpText(
      "after",
      `
The dashboard shows every ScaledObject, ScaledJob and HTTPScaledObject with its target, replicas
and state, and for one object its metrics against their targets, replicas and events over the
last hours and its last decision in words, updated live. \`tidal run\` serves it on its --port
(127.0.0.1 only); the operator on --dashboard-bind-address (127.0.0.1:8435 in its pod: reach it
with kubectl port-forward).

Examples:
  tidal dashboard --open
  tidal dashboard hello --open
  kubectl -n tidal-system port-forward deploy/tidal-operator 8435 & tidal dashboard --open`,
    )
    .action(async (name: string | undefined, options: DashboardOptions, command: Command) => {
      if (name !== undefined && name.trim() === "")
        throw new UsageError("[name] must not be empty: name a ScaledObject, or leave it out");
      const { base, found } = await statusApiOf(command, options);
      const root = base.href.endsWith("/") ? base.href : `${base.href}/`;
      let response: Response;
      try {
        response = await fetch(new URL("api/v1/dashboard/overview", root), {
          signal: AbortSignal.timeout(5000),
        });
      } catch (error) {
        throw new TidalError("TIDAL_E_UNREACHABLE", unreachableMessage(base, found, causeOf(error)));
      }
      const overview = (await response.json().catch(() => undefined)) as
        | { title?: unknown; objects?: { key: string; kind: string; namespace: string; name: string }[] }
        | undefined;
      if (!response.ok || typeof overview?.title !== "string" || !Array.isArray(overview.objects)) {
        throw new TidalError(
          "TIDAL_E_DASHBOARD",
          `${base.origin} answered${response.ok ? "" : ` ${response.status}`}, but serves no Tidal dashboard; pass --server with the address \`tidal run\` prints as statusApi`,
        );
      }
      let url = new URL("dashboard/", root).href;
      if (name !== undefined) {
        const namespace = options.namespace ?? "default";
        const found = overview.objects.find(
          (object) => object.name === name && object.namespace === namespace,
        );
        if (found === undefined)
          throw new TidalError(
            "TIDAL_E_DASHBOARD",
            `${overview.title} at ${base.origin} has no object ${namespace}/${name}; run \`tidal dashboard\` for the list`,
          );
        url += `#/object/${found.key.split("/").map(encodeURIComponent).join("/")}`;
      }
      process.stdout.write(`${url}\n`);
      if (options.open) await openBrowser(url);
    });
}

async function openBrowser(url: string): Promise<void> {
  const [command, args] = browserCommand(process.platform, process.env);
  await new Promise<void>((resolve) => {
    const child = spawn(command, [...args, url], { stdio: "ignore", detached: true });
    child.once("error", (error) => {
      process.stderr.write(
        `tidal: could not open a browser with ${command} (${messageOf(error)}); open the address above\n`,
      );
      resolve();
    });
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}
