import type { Measurement } from "../types.ts";
import type { RabbitMqMode } from "./params.ts";

/** What one poll learns about a queue (or about the queues a regex matched, combined). */
export interface QueueReading {
  /** Ready + unacknowledged messages, or ready only with excludeUnacknowledged. AMQP: ready only. */
  messages: number;
  /** Messages published per second (management API only; 0 over AMQP). */
  publishRate: number;
  /** Messages delivered or fetched per second (management API only; 0 over AMQP). */
  deliverGetRate: number;
}

/** The management API's view of one queue; `message_stats` is absent until the queue saw traffic. */
export interface ManagementQueue {
  messages?: number;
  messages_ready?: number;
  message_stats?: {
    publish_details?: { rate?: number };
    deliver_get_details?: { rate?: number };
  };
}

export function readingOf(queue: ManagementQueue, excludeUnacknowledged: boolean): QueueReading {
  return {
    messages: (excludeUnacknowledged ? queue.messages_ready : queue.messages) ?? 0,
    publishRate: queue.message_stats?.publish_details?.rate ?? 0,
    deliverGetRate: queue.message_stats?.deliver_get_details?.rate ?? 0,
  };
}

/**
 * Combines the queues a regex matched, field by field. No match reads as an empty queue. As in
 * KEDA, the average of message counts is an integer division (rates stay fractional).
 */
export function combineReadings(
  readings: readonly QueueReading[],
  operation: "sum" | "avg" | "max",
): QueueReading {
  if (readings.length === 0) return { messages: 0, publishRate: 0, deliverGetRate: 0 };
  const field = (pick: (reading: QueueReading) => number) => {
    const values = readings.map(pick);
    if (operation === "max") return Math.max(0, ...values);
    const sum = values.reduce((total, value) => total + value, 0);
    return operation === "sum" ? sum : sum / readings.length;
  };
  const messages = field((reading) => reading.messages);
  return {
    messages: operation === "avg" ? Math.trunc(messages) : messages,
    publishRate: field((reading) => reading.publishRate),
    deliverGetRate: field((reading) => reading.deliverGetRate),
  };
}

/** KEDA's value and activation for each mode (KEDA: pkg/scalers/rabbitmq_scaler.go). */
export function measurementFor(
  mode: RabbitMqMode,
  reading: QueueReading,
  activationValue: number,
): Measurement {
  const { messages, publishRate, deliverGetRate } = reading;
  switch (mode) {
    case "QueueLength":
      return { value: messages, active: messages > activationValue };
    case "MessageRate":
      return { value: publishRate, active: publishRate > activationValue || messages > activationValue };
    case "DeliverGetRate":
      return { value: deliverGetRate, active: deliverGetRate > activationValue };
    case "PublishedToDeliveredRatio": {
      // Publishing into a queue nobody consumes from: report the activation value and stay active.
      const unconsumed = publishRate > 0 && deliverGetRate === 0;
      const ratio = unconsumed ? activationValue : publishRate > 0 ? publishRate / deliverGetRate : 0;
      return { value: ratio, active: ratio > activationValue || unconsumed };
    }
    case "ExpectedQueueConsumptionTime": {
      const stalled = deliverGetRate === 0 && messages > 0;
      let seconds = 0;
      if (messages > 0) {
        seconds = stalled
          ? activationValue
          : (publishRate - deliverGetRate) / deliverGetRate + messages / deliverGetRate;
      }
      return { value: seconds, active: seconds > activationValue || stalled };
    }
  }
}
