import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { targetValueProblems } from "../shared/target-value.ts";
import { certAndKeyProblems, tlsAuthParams } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";
import { openBroker } from "./broker.ts";
import { BacklogGauge, topicFilterProblem } from "./gauge.ts";

// TLS follows the broker URL's scheme (mqtts://, wss://); the rest of KEDA's TLS parameters apply.
const { ca, cert, key, keyPassword, unsafeSsl } = tlsAuthParams;

const params = {
  brokerUrl: param.string({
    sources: ["metadata", "auth", "env"],
    description: "broker URL: mqtt://host:1883, mqtts://host:8883, ws:// or wss://",
  }),
  username: param.string({ sources: ["auth", "env"], optional: true, description: "user name" }),
  password: param.string({ sources: ["auth", "env"], optional: true, secret: true, description: "password" }),
  topic: param.string({
    description: "topic (or filter with + and #) where the backlog size is published as a retained number",
  }),
  value: param.float({
    optional: true,
    description: "target backlog per replica (not needed as a scalingModifiers source)",
  }),
  activationValue: param.float({ default: 0, description: "active when the backlog is greater than this" }),
  ca,
  cert,
  key,
  keyPassword,
  unsafeSsl,
};

/**
 * The `mqtt` scaler (Tidal's own; KEDA has none). An MQTT broker has no queue depth to query, and
 * counting the messages Tidal itself receives says nothing about what workers have finished. So the
 * scaler reads a backlog gauge: whoever knows the backlog (the producer, a dispatcher, the workers)
 * publishes it as a number in a retained message on `topic`. Tidal subscribes and uses the latest
 * value, summed over the matching topics when `topic` holds wildcards (one gauge per shard). The
 * retained value is there at once after every (re)connect, and each update wakes the scheduler
 * (push), so scaling reacts within a second. An empty retained message removes a topic's value.
 */
export const mqttScaler: ScalerDefinition<typeof params> = {
  type: "mqtt",
  testedAgainst: "Mosquitto (Debian)",
  example: {
    metadata: { brokerUrl: "mqtt://broker:1883", topic: "tidal/backlog", value: "5" },
    metricName: "s0-mqtt-tidal-backlog",
  },
  kedaScalerName: "mqttScaler",
  tidalOnly: true,
  description:
    "Backlog gauge over MQTT: the latest number published (retained) on a topic, summed over a wildcard filter; updates wake the scaler at once.",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [...certAndKeyProblems(values)];
    if (!/^(mqtts?|wss?):\/\/[^/]/i.test(values.brokerUrl)) {
      problems.push({
        key: "brokerUrl",
        message: "brokerUrl must start with mqtt://, mqtts://, ws:// or wss:// and name a host",
        severity: "error",
      });
    }
    const topicProblem = topicFilterProblem(values.topic);
    if (topicProblem) problems.push({ key: "topic", message: topicProblem, severity: "error" });
    problems.push(...targetValueProblems("value", values.value, context.asMetricSource));
    return problems;
  },
  metric: (values) => ({
    name: `mqtt-${values.topic}`,
    target: values.value ?? 0,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const lease = context.pool.acquire(
      poolKey(
        "mqtt",
        values.brokerUrl,
        values.username,
        values.password,
        values.ca,
        values.cert,
        values.key,
        values.keyPassword,
        values.unsafeSsl,
      ),
      async () => openBroker({ ...values, timeoutMs: context.timeoutMs }),
      (broker) => broker.end(),
    );
    const gauge = new BacklogGauge(values.topic);
    const wakers = new Set<() => void>();
    let stopListening: (() => Promise<void>) | undefined;
    // Listen at once, so the first measurement and the push path find the value there.
    const listening = lease.client.then((broker) => {
      stopListening = broker.listen(values.topic, {
        message(topic, payload) {
          gauge.update(topic, payload);
          for (const wake of wakers) wake();
        },
        reset: () => gauge.clear(),
      });
      return broker;
    });
    return {
      async measure() {
        await (await listening).synced(values.topic);
        const backlog = gauge.total();
        return { value: backlog, active: backlog > values.activationValue };
      },
      watch(wake) {
        wakers.add(wake);
        return () => wakers.delete(wake);
      },
      async close() {
        await stopListening?.();
        await lease.release();
      },
    };
  },
};
