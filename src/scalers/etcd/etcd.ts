import type { Etcd3, Watcher } from "etcd3";
import { parseGoFloat } from "../../util/go/parse.ts";
import { poolKey } from "../connection-pool.ts";
import { param, type ParamProblem } from "../params.ts";
import { throttle } from "../shared/throttle.ts";
import { tlsAuthParams } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";
import { createEtcdClient, etcdErrorMessage } from "./client.ts";

const { ca, cert, key, keyPassword } = tlsAuthParams;

// KEDA reads the credentials from authentication, then from the target's environment.
const CREDENTIAL_SOURCES = ["auth", "env"] as const;
const MIN_WAKE_INTERVAL_MS = 100;

const params = {
  endpoints: param.list({ description: "etcd endpoints, host:port (or URLs), comma-separated" }),
  watchKey: param.string({ description: "the key whose value (a number) is measured and watched" }),
  value: param.float({ description: "target value per replica" }),
  activationValue: param.float({ default: 0, description: "active when the value is greater than this" }),
  watchProgressNotifyInterval: param.int({
    default: 600,
    description:
      "seconds between the watch's progress notifications (KEDA re-watches after twice this without one); must be positive",
  }),
  username: param.string({ sources: CREDENTIAL_SOURCES, optional: true, description: "etcd user name" }),
  password: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    secret: true,
    description: "password of the etcd user",
  }),
  tls: param.enum(["enable", "disable"], {
    sources: ["auth"],
    default: "disable",
    description: "enable to connect with TLS",
  }),
  ca,
  cert,
  key,
  keyPassword,
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** KEDA's value of the key: a Go float; a missing key or another text is an error. */
export function keyValue(watchKey: string, text: string | null): number {
  if (text === null) throw new Error(`watchKey ${watchKey} doesn't exist`);
  const value = parseGoFloat(text);
  if (value === undefined) throw new Error(`the value of watchKey ${watchKey} is not a number`);
  return value;
}

export const etcdScaler: ScalerDefinition<typeof params> = {
  type: "etcd",
  kedaScalerName: "etcdScaler",
  description:
    "A number stored at an etcd key; a watch on the key wakes the trigger when it changes (KEDA's push scaler).",
  testedAgainst: "etcd 3.6 (the control plane's build), with authentication",
  example: {
    metadata: { endpoints: "etcd-0:2379", watchKey: "length", value: "5" },
    metricName: "s0-etcd-length",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (values.watchProgressNotifyInterval <= 0) {
      problems.push(
        problem("watchProgressNotifyInterval", "watchProgressNotifyInterval must be greater than 0"),
      );
    }
    if (values.tls === "enable" && Boolean(values.cert) !== Boolean(values.key)) {
      problems.push(
        values.key
          ? problem("cert", "cert must be provided with key")
          : problem("key", "key must be provided with cert"),
      );
    }
    if (values.password && !values.username)
      problems.push(problem("username", "username must be provided with password"));
    if (values.username && !values.password)
      problems.push(problem("password", "password must be provided with username"));
    return problems;
  },
  metric: (values) => ({
    name: `etcd-${values.watchKey}`,
    target: values.value,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const settings = {
      endpoints: values.endpoints,
      username: values.username,
      password: values.password,
      tls: values.tls,
      ca: values.ca,
      cert: values.cert,
      key: values.key,
      keyPassword: values.keyPassword,
      dialTimeoutMs: context.timeoutMs,
    };
    const lease = context.pool.acquire(
      poolKey("etcd", JSON.stringify(settings)),
      () => createEtcdClient(settings),
      async (client: Etcd3) => client.close(),
    );
    const where = `etcd at ${values.endpoints.join(",")}`;
    return {
      async measure() {
        const client = await lease.client;
        let text: string | null;
        try {
          text = await client
            .get(values.watchKey)
            .options({ deadline: Date.now() + context.timeoutMs })
            .string();
        } catch (error) {
          throw new Error(`${where}: ${etcdErrorMessage(error)}`, { cause: error });
        }
        const value = keyValue(values.watchKey, text);
        return { value, active: value > values.activationValue };
      },
      watch(wake, onError) {
        const wakes = throttle(wake, MIN_WAKE_INTERVAL_MS);
        let stopped = false;
        let watcher: Watcher | undefined;
        lease.client
          .then((client) => client.watch().key(values.watchKey).create())
          .then((created) => {
            watcher = created;
            if (stopped) void created.cancel();
            created.on("put", () => wakes.call());
            created.on("delete", () => wakes.call());
            created.on("error", (error) => onError(new Error(`${where}: watch: ${etcdErrorMessage(error)}`)));
          })
          .catch((error: unknown) => onError(new Error(`${where}: watch: ${etcdErrorMessage(error)}`)));
        return () => {
          stopped = true;
          wakes.cancel();
          void watcher?.cancel().catch(() => undefined);
        };
      },
      close: () => lease.release(),
    };
  },
};
