import type { ConnectionOptions } from "node:tls";
import { param, type ParamSource } from "../params.ts";

/** KEDA's `tls` switch: enable or disable (the default), read from the given sources. */
export function tlsSwitchParam(sources: readonly ParamSource[], description = "enable to connect with TLS") {
  return param.enum(["enable", "disable"], { sources, default: "disable", description });
}

/** KEDA's TLS material, always from a TriggerAuthentication: `ca`, `cert`, `key`, `keyPassword`. */
export const tlsMaterialParams = {
  ca: param.string({ sources: ["auth"], optional: true, secret: true, description: "CA certificate (PEM)" }),
  cert: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client certificate (PEM)",
  }),
  key: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client private key (PEM)",
  }),
  keyPassword: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "password of the client private key",
  }),
};

/** KEDA's TLS parameters from a TriggerAuthentication: `tls`, `ca`, `cert`, `key`, `keyPassword`. */
export const tlsAuthParams = {
  tls: tlsSwitchParam(["auth", "metadata"]),
  ...tlsMaterialParams,
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
};

interface TlsParams {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  keyPassword?: string | undefined;
  unsafeSsl: boolean;
}

/** Node TLS options for the parsed TLS parameters. */
export function tlsOptions(params: TlsParams): ConnectionOptions {
  return {
    ...(params.ca ? { ca: params.ca } : {}),
    ...(params.cert ? { cert: params.cert } : {}),
    ...(params.key ? { key: params.key } : {}),
    ...(params.keyPassword ? { passphrase: params.keyPassword } : {}),
    rejectUnauthorized: !params.unsafeSsl,
  };
}

/** Checks that a client certificate and key come together. */
export function certAndKeyProblems(params: { cert?: string | undefined; key?: string | undefined }) {
  if (Boolean(params.cert) === Boolean(params.key)) return [];
  return [
    {
      key: params.cert ? "key" : "cert",
      message: "cert and key must be given together",
      severity: "error" as const,
    },
  ];
}
