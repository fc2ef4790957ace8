/**
 * KEDA labels a scaler's metrics with the trigger's name, or else with the Go type of its scaler.
 * These are those type names, so dashboards built for KEDA keep working.
 */
const KEDA_SCALER_TYPE_NAMES: Record<string, string> = {
  cron: "cronScaler",
  external: "externalScaler",
  "external-push": "externalPushScaler",
  kafka: "kafkaScaler",
  "metrics-api": "metricsAPIScaler",
  mqtt: "mqttScaler",
  mysql: "mySQLScaler",
  "nats-jetstream": "natsJetStreamScaler",
  postgresql: "postgreSQLScaler",
  prometheus: "prometheusScaler",
  rabbitmq: "rabbitMQScaler",
  redis: "redisScaler",
  "redis-streams": "redisStreamsScaler",
};

/** The `scaler` label KEDA gives a trigger: its name, or the scaler's type name. */
export function scalerLabel(trigger: { name: string; type: string }): string {
  if (trigger.name) return trigger.name;
  return (
    KEDA_SCALER_TYPE_NAMES[trigger.type] ??
    `${trigger.type.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())}Scaler`
  );
}
