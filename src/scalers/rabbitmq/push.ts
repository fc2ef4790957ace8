/**
 * Why the rabbitmq scaler has no push path. Tidal's `tidalPush` option (its own, not KEDA's) makes
 * the redis and postgresql scalers wake on a change of the source; for RabbitMQ it is accepted,
 * warned about, and the trigger polls as before. Every way to learn of arrivals was weighed:
 *
 * - Consuming to peek (basic.consume or basic.get, then reject with requeue) takes delivery: the
 *   message comes back marked redelivered, possibly out of order, and on quorum queues each requeue
 *   counts against the delivery limit, so a watcher could dead-letter a healthy message.
 * - A second, exclusive queue bound like the watched one sees copies, but only for bindings Tidal
 *   knows: the default exchange (publishing to the queue by name) cannot be bound, AMQP cannot list
 *   a queue's bindings, and the broker would route and store every message twice.
 * - The event exchange plugin (rabbitmq_event_exchange) publishes lifecycle events (queue created,
 *   consumer added), not message arrivals; the firehose tracer (`rabbitmqctl trace_on`) copies every
 *   message of the vhost, a debugging tool with a large cost that needs an administrator.
 * - Asking the management API more often is still polling.
 *
 * What remains fast is a short pollingInterval: each AMQP poll is one passive queue.declare on a
 * shared connection, cheap enough for pollingInterval 1.
 */
import type { ParamProblem } from "../params.ts";

export const NO_PUSH =
  "RabbitMQ offers no way to learn that messages arrived without consuming them, so the rabbitmq trigger has no push path; " +
  "it polls every pollingInterval (a short pollingInterval, e.g. 1, is cheap over AMQP)";

export function pushProblems(values: { tidalPush: boolean }): ParamProblem[] {
  return values.tidalPush ? [{ key: "tidalPush", message: NO_PUSH, severity: "warning" }] : [];
}
