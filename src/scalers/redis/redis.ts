import { param, type ParamProblem } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireRedis, redisConnectionParams, redisConnectionProblems } from "./connection.ts";
import { watchKeyspace } from "./push.ts";

// KEDA reads the length of whatever the key holds: list, set, sorted set or hash; a missing key is 0.
export const LENGTH_SCRIPT = `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'zset' then return redis.call('ZCARD', KEYS[1])
elseif kind == 'set' then return redis.call('SCARD', KEYS[1])
elseif kind == 'hash' then return redis.call('HLEN', KEYS[1])
elseif kind == 'list' or kind == 'none' then return redis.call('LLEN', KEYS[1])
else return redis.error_reply('key "' .. KEYS[1] .. '" holds a ' .. kind .. ', not a list, set, sorted set or hash') end
`;

/** The list parameters of redis, redis-cluster and redis-sentinel. */
export const listParams = {
  listName: param.string({ description: "key of the list (or set, sorted set, hash) to measure" }),
  listLength: param.int({ default: 5, description: "target number of items per replica" }),
  activationListLength: param.int({ default: 0, description: "active when the length is greater than this" }),
};

export function listLengthProblems(values: { listLength: number }): ParamProblem[] {
  return values.listLength <= 0
    ? [{ key: "listLength", message: "listLength must be greater than 0", severity: "error" }]
    : [];
}

const params = {
  ...redisConnectionParams,
  ...listParams,
  tidalPush: param.bool({
    default: false,
    description:
      "Tidal's own option, not KEDA's: also evaluate as soon as the key grows, through Redis keyspace notifications " +
      "(Tidal turns on notify-keyspace-events K plus the key's type class when it may; otherwise it reports why and keeps polling)",
  }),
};

export const redisScaler: ScalerDefinition<typeof params> = {
  type: "redis",
  testedAgainst: "Redis (Debian), plain and TLS",
  example: { metadata: { address: "redis:6379", listName: "jobs" }, metricName: "s0-redis-jobs" },
  kedaScalerName: "redisScaler",
  legacy: { envNameKeys: ["address", "host", "port", "password"] },
  description:
    "Length of a Redis list (or set, sorted set, hash); with Tidal's tidalPush, keyspace notifications wake it at once.",
  params,
  validate: (values) => [...redisConnectionProblems(values), ...listLengthProblems(values)],
  metric: (values) => ({
    name: `redis-${values.listName}`,
    target: values.listLength,
    activationTarget: values.activationListLength,
  }),
  connect(values, context) {
    const lease = acquireRedis(values, context);
    return {
      async measure() {
        const connection = await lease.client;
        const length = Number(
          await connection.run((client) => client.eval(LENGTH_SCRIPT, 1, values.listName)),
        );
        return { value: length, active: length > values.activationListLength };
      },
      watch: values.tidalPush
        ? (wake, onError) =>
            watchKeyspace({
              params: values,
              context,
              listName: values.listName,
              commands: lease.client,
              wake,
              onError,
            })
        : undefined,
      close: () => lease.release(),
    };
  },
};
