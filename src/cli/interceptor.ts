import { Command, Option } from "commander";
import { durationMilliseconds, logLevel, logLevelOption, portNumber } from "./options.ts";
import { createLogger } from "../observability/logger.ts";
import { TidalError, messageOf } from "../util/errors.ts";

interface InterceptorCommandOptions {
  kubeconfig?: string;
  namespace?: string;
  proxyPort: string;
  adminPort: string;
  bindAddress: string;
  conditionWaitTimeout: string;
  responseHeaderTimeout: string;
  tls?: boolean;
  tlsPort: string;
  tlsCertPath: string;
  tlsKeyPath: string;
  coldStartHeader: boolean;
  logFormat: "json" | "text";
}

/** `tidal interceptor`: the HTTP add-on's interceptor, with the add-on's environment variables. */
export function interceptorCommand(): Command {
  return new Command("interceptor")
    .description(
      "run the HTTP interceptor of HTTPScaledObjects in a cluster, a drop-in for the HTTP add-on's",
    )
    .option(
      "--kubeconfig <file>",
      "kubeconfig to use (default: in-cluster, then $KUBECONFIG or ~/.kube/config)",
    )
    .addOption(
      new Option(
        "--namespace <namespace>",
        "serve only this namespace's HTTPScaledObjects (default: all)",
      ).env("KEDA_HTTP_WATCH_NAMESPACE"),
    )
    .addOption(
      new Option("--proxy-port <port>", "port of the proxy").env("KEDA_HTTP_PROXY_PORT").default("8080"),
    )
    .addOption(
      new Option("--admin-port <port>", "port the operator reads counts from; also status and explain")
        .env("KEDA_HTTP_ADMIN_PORT")
        .default("9090"),
    )
    .addOption(new Option("--bind-address <address>", "address both ports listen on").default("0.0.0.0"))
    .addOption(
      new Option(
        "--condition-wait-timeout <duration>",
        "how long a request waits for a ready endpoint while the workload scales from zero",
      )
        .env("KEDA_CONDITION_WAIT_TIMEOUT")
        .default("20s"),
    )
    .addOption(
      new Option("--response-header-timeout <duration>", "how long a backend may take to send its headers")
        .env("KEDA_RESPONSE_HEADER_TIMEOUT")
        .default("500ms"),
    )
    .addOption(new Option("--tls", "serve HTTPS as well").env("KEDA_HTTP_PROXY_TLS_ENABLED"))
    .addOption(
      new Option("--tls-port <port>", "port of HTTPS").env("KEDA_HTTP_PROXY_TLS_PORT").default("8443"),
    )
    .addOption(
      new Option("--tls-cert-path <file>", "certificate (PEM), reloaded when it changes")
        .env("KEDA_HTTP_PROXY_TLS_CERT_PATH")
        .default("/certs/tls.crt"),
    )
    .addOption(
      new Option("--tls-key-path <file>", "private key (PEM)")
        .env("KEDA_HTTP_PROXY_TLS_KEY_PATH")
        .default("/certs/tls.key"),
    )
    .option("--no-cold-start-header", "leave out X-KEDA-HTTP-Cold-Start from responses")
    .addOption(new Option("--log-format <format>", "log format").choices(["json", "text"]).default("json"))
    .addOption(logLevelOption())
    .addHelpText(
      "after",
      `
Watches HTTPScaledObjects (http.keda.sh/v1alpha1), Services and EndpointSlices. A request is
routed by host, path prefix and headers to the Service of its HTTPScaledObject and forwarded to a
ready endpoint; while there is none (the workload is at zero) it is held for the condition wait
timeout. Unknown hosts get 404 at once. The operator reads each replica's pending requests and
request rates from the admin port (GET /queue); GET /api/v1/explain?host=H&path=P says where a
request would go and why it would be held.

Clients get the proxy's limits (the add-on has no settings for them): request headers within 60s
(else 408), idle keep-alive connections closed after 5s, at most 10,000 connections at once.

Examples:
  tidal interceptor --kubeconfig ~/.kube/config --bind-address 127.0.0.1
  tidal interceptor                      (in cluster; see deploy/)`,
    )
    .action(async (options: InterceptorCommandOptions, command: Command) => {
      const logger = createLogger({
        format: options.logFormat,
        level: logLevel(command),
        write: (line) => process.stdout.write(line),
      });
      const proxyPort = portNumber(options.proxyPort, "--proxy-port");
      const adminPort = portNumber(options.adminPort, "--admin-port");
      const conditionWaitMs = durationMilliseconds(options.conditionWaitTimeout, "--condition-wait-timeout");
      const responseHeaderTimeoutMs = durationMilliseconds(
        options.responseHeaderTimeout,
        "--response-header-timeout",
      );
      const tls = options.tls === true || String(options.tls) === "true";
      const tlsPort = portNumber(options.tlsPort, "--tls-port");
      // The Kubernetes client is large: load it only for this command.
      const { startInterceptor } = await import("../runtime/kubernetes/interceptor.ts");
      let interceptor;
      try {
        interceptor = await startInterceptor({
          ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
          clusterEnvironment: process.env,
          instance: process.env.HOSTNAME ?? "tidal-interceptor",
          ...(options.namespace ? { namespace: options.namespace } : {}),
          proxyHost: options.bindAddress,
          proxyPort,
          adminHost: options.bindAddress,
          adminPort,
          ...(tls
            ? { tls: { port: tlsPort, certFile: options.tlsCertPath, keyFile: options.tlsKeyPath } }
            : {}),
          conditionWaitMs,
          responseHeaderTimeoutMs,
          coldStartHeader: options.coldStartHeader,
          logger,
        });
      } catch (error) {
        throw new TidalError("TIDAL_E_INTERCEPTOR", `could not start the interceptor: ${messageOf(error)}`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      logger.info("stopping");
      await interceptor.stop();
      logger.info("stopped");
      process.exitCode = 0;
    });
}
