import { join } from "node:path";
import { Command, Option } from "commander";
import { STDIN } from "../api/load.ts";
import { validateManifests, type LoadOptions } from "../validation/validate.ts";
import { loadManifestsOffThread } from "../api/load-off-thread.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { TidalMetrics } from "../observability/metrics.ts";
import { EventLog, type RuntimeEvent } from "../runtime/events.ts";
import { renderLiveView } from "../runtime/standalone/live-view.ts";
import { StandaloneRunner } from "../runtime/standalone/runner.ts";
import { standaloneProblems } from "../runtime/standalone/standalone-problems.ts";
import { ScalingHistory } from "../runtime/history.ts";
import { createStatusServer } from "../runtime/status/server.ts";
import { listen } from "../util/listen.ts";
import { StateStore } from "../runtime/state-store.ts";
import { killAllNow } from "../targets/shared/last-resort-kill.ts";
import { Scheduler } from "../scheduler/scheduler.ts";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { packageVersion } from "../util/version.ts";
import {
  durationMilliseconds,
  fileEnvironment,
  filenameOption,
  hpaSyncPeriod,
  hpaSyncPeriodOption,
  logLevel,
  logLevelOption,
  measurementTimeout,
  measurementTimeoutOption,
  portNumber,
  positiveCount,
} from "./options.ts";
import { lockStateDir, usableStateDir } from "./state-dir.ts";
import { DEFAULT_STATUS_PORT, removeServerRecord, writeServerRecord } from "./server-record.ts";
import { useColor } from "./color.ts";
import { watchManifestPaths } from "./watch-files.ts";
import { stopWithNpmParent } from "./parent-watch.ts";
import { formatProblem, problemCount } from "./validate.ts";
import { workloadNotes } from "../api/workload-pools.ts";

interface RunOptions {
  filename: string[];
  port: string;
  httpPort: string;
  stateDir: string;
  timeout: string;
  hpaSyncPeriod: string;
  logFormat?: "json" | "text";
  logLevel: string;
  watch: boolean;
  httpHeadersTimeout: string;
  httpKeepAliveTimeout: string;
  httpMaxConnections: string;
}

async function loadValid(paths: readonly string[], options: LoadOptions = {}) {
  const { set, problems, position } = await validateManifests(paths, options);
  const all = [...problems, ...standaloneProblems(set).map(position)];
  const errors = all.filter((problem) => problem.severity === "error");
  return { set, errors, warnings: all.filter((problem) => problem.severity === "warning") };
}

export function runCommand(): Command {
  return new Command("run")
    .description("scale local ProcessPools and Deployments with ScaledObject YAML, without Kubernetes")
    .addOption(filenameOption())
    .addOption(
      new Option("--port <port>", "status API and /metrics port on 127.0.0.1 (0 picks a free one)").default(
        String(DEFAULT_STATUS_PORT),
      ),
    )
    .addOption(
      new Option(
        "--http-port <port>",
        "HTTP proxy port for HTTPScaledObjects on 127.0.0.1 (0 picks a free one)",
      ).default("8080"),
    )
    .addOption(
      new Option(
        "--http-headers-timeout <duration>",
        "how long an HTTP proxy client may take to send request headers (then 408)",
      ).default("60s"),
    )
    .addOption(
      new Option(
        "--http-keep-alive-timeout <duration>",
        "how long an idle keep-alive connection to the HTTP proxy stays open",
      ).default("5s"),
    )
    .addOption(
      new Option(
        "--http-max-connections <n>",
        "connections the HTTP proxy keeps open at once (further ones are closed)",
      ).default("10000"),
    )
    .addOption(
      new Option("--state-dir <dir>", "where scaling state survives restarts").default(".tidal/state"),
    )
    .addOption(measurementTimeoutOption())
    .addOption(hpaSyncPeriodOption())
    .addOption(
      new Option(
        "--log-format <format>",
        "log format (default: a live table on a terminal, JSON lines otherwise)",
      ).choices(["json", "text"]),
    )
    .addOption(logLevelOption())
    .option("--no-watch", "do not reload when the files change")
    .addHelpText(
      "after",
      `
Each ScaledObject runs KEDA's scale loop every pollingInterval (0 <-> 1) and does the HPA's work
(1 <-> N) every --hpa-sync-period, reading its triggers afresh as KEDA's metrics server would:
the same timeline as KEDA and the HPA on Kubernetes.
Everything in the files is validated first (same messages as tidal validate). Workers are stopped
gracefully on SIGINT/SIGTERM (SIGTERM, then SIGKILL after terminationGracePeriodSeconds).

Status API (its address is recorded in STATE-DIR/tidal-run.json while it runs, for tidal explain
and tidal logs): GET /healthz, /api/v1/scaledobjects, /api/v1/scaledjobs, /api/v1/processpools,
/api/v1/scaledobjects/NAME/explain, /metrics (Prometheus, KEDA's metric names).
Dashboard: http://127.0.0.1:PORT/dashboard/ (or \`tidal dashboard --open\`): every object's
metric, target and replicas over the last hours, its events and its last decision, live.
HTTPScaledObjects are served by an HTTP proxy on --http-port that holds requests while their
ProcessPool scales from zero.
A ScaledObject (or HTTPScaledObject) may scale an apps/v1 Deployment or StatefulSet of the files:
its first container's command + args run as a local pool, with its env, envFrom, workingDir and
terminationGracePeriodSeconds; the image and everything else only a kubelet uses are not (a
note at startup, and in tidal validate, names the fields of the workload that are not used).

Example:
  tidal run -f examples/redis-worker/`,
    )
    .action(async (options: RunOptions, command: Command) => {
      const port = portNumber(options.port, "--port");
      const httpPort = portNumber(options.httpPort, "--http-port");
      if (port !== 0 && port === httpPort)
        throw new UsageError(`--port and --http-port must differ (both are ${port})`);
      const timeoutMs = measurementTimeout(command);
      const httpLimits = {
        headersTimeoutMs: durationMilliseconds(
          options.httpHeadersTimeout,
          "--http-headers-timeout",
          100,
          3_600_000,
        ),
        keepAliveTimeoutMs: durationMilliseconds(
          options.httpKeepAliveTimeout,
          "--http-keep-alive-timeout",
          100,
          3_600_000,
        ),
        maxConnections: positiveCount(options.httpMaxConnections, "--http-max-connections"),
      };
      const hpaSyncPeriodMs = hpaSyncPeriod(options.hpaSyncPeriod);
      if (options.watch && options.filename.includes(STDIN))
        throw new UsageError("-f - (standard input) cannot be watched for changes; add --no-watch");
      const stateDir = await usableStateDir(options.stateDir);
      const initial = await loadValid(options.filename);
      if (initial.errors.length > 0) {
        throw new TidalError(
          "TIDAL_E_INVALID",
          `${initial.errors.map(formatProblem).join("\n")}\n${problemCount(initial.errors.length)}; nothing was started`,
        );
      }
      const unlock = await lockStateDir(stateDir);
      const interactive = options.logFormat === undefined && process.stdout.isTTY === true;
      const logger = createLogger({
        format: options.logFormat ?? "json",
        level: logLevel(command),
        write: interactive ? () => {} : (line) => process.stdout.write(line),
      });
      for (const warning of initial.warnings) logger.warn(formatProblem(warning));
      const notes = workloadNotes(initial.set).map((note) => `${note.kind}/${note.name} ${note.message}`);
      for (const note of notes) logger.info(note);
      const metrics = new TidalMetrics(packageVersion());
      if (process.env.TIDAL_COUNT_TIMERS === "1") metrics.countAllTimers();
      const events = new EventLog();
      const recentEvents: RuntimeEvent[] = [];
      events.onEvent((event) => {
        recentEvents.push(event);
        if (recentEvents.length > 50) recentEvents.shift();
        const fields = {
          kind: event.kind,
          namespace: event.namespace,
          name: event.name,
          reason: event.reason,
        };
        if (event.type === "Warning") logger.warn(event.message, fields);
        else logger.info(event.message, fields);
      });
      const scheduler = new Scheduler({
        onRun: (_key, lagMs) => metrics.schedulingLag.observe(lagMs / 1000),
        onError: (key, error) => logger.error("evaluation failed", { object: key, error: messageOf(error) }),
      });
      const runner = new StandaloneRunner({
        scheduler,
        store: new StateStore(stateDir, { onSetAside: (message) => logger.warn(message) }),
        metrics,
        events,
        history: new ScalingHistory(),
        logger,
        timeoutMs,
        hpaSyncPeriodMs,
        httpPort,
        httpLimits,
        logDir: join(stateDir, "logs"),
        environment: fileEnvironment(),
      });
      // The first SIGINT/SIGTERM stops gracefully; a second one hastens the stop (every worker
      // and job process is SIGKILLed now) but still waits for them to be gone; a third exits at
      // once, and the exit handler SIGKILLs whatever is left. No signal leaves a worker behind, not
      // even one during the start.
      let signals = 0;
      let stopRequested: () => void = () => {};
      const requested = new Promise<void>((resolve) => (stopRequested = resolve));
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals === 1) {
          logger.info("stopping: workers get SIGTERM, then SIGKILL after their grace period", { signal });
          stopRequested();
        } else if (signals === 2) {
          logger.warn("stopping now: every worker and job process gets SIGKILL", { signal });
          killAllNow();
        } else {
          logger.warn("exiting now: remaining processes get SIGKILL", { signal });
          process.exit(130);
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const status = createStatusServer({ status: runner, dashboard: runner, metrics, loopbackOnly: true });
      const server = status.server;
      let boundPort: number;
      try {
        boundPort = await listen(server, port);
      } catch (error) {
        await unlock();
        throw new TidalError(
          "TIDAL_E_PORT",
          `cannot listen on 127.0.0.1:${port} (${messageOf(error)}); pass --port with a free port, or 0`,
        );
      }
      try {
        await runner.apply(initial.set);
      } catch (error) {
        await runner.stop();
        await status.close();
        await unlock();
        if ((error as { code?: unknown }).code === "EADDRINUSE" && httpPort !== 0) {
          throw new TidalError(
            "TIDAL_E_PORT",
            `cannot listen on 127.0.0.1:${httpPort} for the HTTP proxy (EADDRINUSE: another server holds it); pass --http-port with a free port, or 0`,
          );
        }
        throw new TidalError("TIDAL_E_START", `could not start: ${messageOf(error)}`);
      }
      logger.info("tidal run started", {
        version: packageVersion(),
        statusApi: `http://127.0.0.1:${boundPort}`,
        dashboard: `http://127.0.0.1:${boundPort}/dashboard/`,
        ...(runner.httpProxyPort === undefined
          ? {}
          : { httpProxy: `http://127.0.0.1:${runner.httpProxyPort}` }),
        scaledObjects: initial.set.scaledObjects.length,
        scaledJobs: initial.set.scaledJobs.length,
        httpScaledObjects: initial.set.httpScaledObjects.length,
      });
      await writeServerRecord(stateDir, {
        pid: process.pid,
        statusApi: `http://127.0.0.1:${boundPort}`,
        ...(runner.httpProxyPort === undefined
          ? {}
          : { httpProxy: `http://127.0.0.1:${runner.httpProxyPort}` }),
        startedAt: new Date().toISOString(),
      });
      const stopWatching = options.watch
        ? watchManifestPaths(options.filename, () => void reload(logger))
        : () => {};
      async function reload(log: Logger): Promise<void> {
        try {
          // Files are read and parsed on a worker thread: a large one must not stall the status
          // API, the HTTP proxy and the scale loops meanwhile.
          const next = await loadValid(options.filename, { load: loadManifestsOffThread });
          if (next.errors.length > 0) {
            for (const problem of next.errors) log.error(`reload rejected: ${formatProblem(problem)}`);
            return;
          }
          await runner.apply(next.set);
          log.info("reloaded", { scaledObjects: next.set.scaledObjects.length });
        } catch (error) {
          log.error("reload failed", { error: messageOf(error) });
        }
      }
      const view = interactive ? startLiveView(runner, recentEvents, boundPort, notes) : () => {};
      const stopFollowingNpm = stopWithNpmParent(process.env);
      await requested;
      stopFollowingNpm();
      view();
      stopWatching();
      await removeServerRecord(stateDir);
      scheduler.stop();
      await runner.stop();
      await status.close();
      await unlock();
      logger.info("stopped");
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.exitCode = 0;
    });
}

function startLiveView(
  runner: StandaloneRunner,
  events: RuntimeEvent[],
  port: number,
  notes: readonly string[],
): () => void {
  const color = useColor(process.stdout);
  const proxy =
    runner.httpProxyPort === undefined ? "" : ` · http proxy http://127.0.0.1:${runner.httpProxyPort}`;
  const header = [
    `tidal run · dashboard http://127.0.0.1:${port}/dashboard/${proxy} · Ctrl-C to stop`,
    ...notes,
  ].join("\n");
  const draw = () => {
    process.stdout.write(
      `\u001b[H\u001b[2J${renderLiveView(runner.scaledObjects(), runner.scaledJobs(), events, header, color, runner.processPools())}`,
    );
  };
  draw();
  const timer = setInterval(draw, 1000);
  return () => clearInterval(timer);
}
