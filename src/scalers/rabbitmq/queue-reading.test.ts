import { describe, expect, it } from "vitest";
import { combineReadings, measurementFor, readingOf, type QueueReading } from "./queue-reading.ts";

const reading = (messages: number, publishRate = 0, deliverGetRate = 0): QueueReading => ({
  messages,
  publishRate,
  deliverGetRate,
});

describe("readingOf", () => {
  const queue = {
    messages: 10,
    messages_ready: 7,
    message_stats: { publish_details: { rate: 1.5 }, deliver_get_details: { rate: 0.5 } },
  };

  it("counts ready and unacknowledged messages, or ready only", () => {
    expect(readingOf(queue, false)).toEqual(reading(10, 1.5, 0.5));
    expect(readingOf(queue, true)).toEqual(reading(7, 1.5, 0.5));
  });

  it("reads rates as 0 before the queue saw traffic", () => {
    expect(readingOf({ messages: 0, messages_ready: 0 }, false)).toEqual(reading(0));
  });
});

describe("combineReadings", () => {
  const readings = [reading(3, 1, 0.5), reading(4, 2, 0), reading(8, 0.5, 1)];

  it("sums, averages (integer messages, like KEDA) or takes the maximum of each field", () => {
    expect(combineReadings(readings, "sum")).toEqual(reading(15, 3.5, 1.5));
    expect(combineReadings(readings, "avg")).toEqual(reading(5, 3.5 / 3, 0.5));
    expect(combineReadings([reading(3), reading(4)], "avg").messages).toBe(3);
    expect(combineReadings(readings, "max")).toEqual(reading(8, 2, 1));
  });

  it("reads no matching queue as an empty queue", () => {
    expect(combineReadings([], "max")).toEqual(reading(0));
  });
});

describe("measurementFor", () => {
  it("QueueLength: messages, active above the activation value", () => {
    expect(measurementFor("QueueLength", reading(5), 5)).toEqual({ value: 5, active: false });
    expect(measurementFor("QueueLength", reading(6), 5)).toEqual({ value: 6, active: true });
  });

  it("MessageRate: publish rate, active on the rate or on waiting messages", () => {
    expect(measurementFor("MessageRate", reading(0, 2), 2)).toEqual({ value: 2, active: false });
    expect(measurementFor("MessageRate", reading(0, 2.5), 2)).toEqual({ value: 2.5, active: true });
    expect(measurementFor("MessageRate", reading(3, 0), 2)).toEqual({ value: 0, active: true });
  });

  it("DeliverGetRate: delivery rate", () => {
    expect(measurementFor("DeliverGetRate", reading(100, 5, 1), 1)).toEqual({ value: 1, active: false });
    expect(measurementFor("DeliverGetRate", reading(0, 0, 1.5), 1)).toEqual({ value: 1.5, active: true });
  });

  it("PublishedToDeliveredRatio: publish/deliver, the activation value while nothing is consumed", () => {
    expect(measurementFor("PublishedToDeliveredRatio", reading(0, 4, 2), 1)).toEqual({
      value: 2,
      active: true,
    });
    expect(measurementFor("PublishedToDeliveredRatio", reading(0, 1, 2), 1)).toEqual({
      value: 0.5,
      active: false,
    });
    expect(measurementFor("PublishedToDeliveredRatio", reading(0, 3, 0), 1)).toEqual({
      value: 1,
      active: true,
    });
    expect(measurementFor("PublishedToDeliveredRatio", reading(9, 0, 2), 1)).toEqual({
      value: 0,
      active: false,
    });
  });

  it("ExpectedQueueConsumptionTime: seconds to drain, the activation value while stalled", () => {
    // (publish − deliver)/deliver + messages/deliver = (3−2)/2 + 10/2 = 5.5
    expect(measurementFor("ExpectedQueueConsumptionTime", reading(10, 3, 2), 1)).toEqual({
      value: 5.5,
      active: true,
    });
    expect(measurementFor("ExpectedQueueConsumptionTime", reading(0, 3, 2), 1)).toEqual({
      value: 0,
      active: false,
    });
    expect(measurementFor("ExpectedQueueConsumptionTime", reading(4, 1, 0), 30)).toEqual({
      value: 30,
      active: true,
    });
    expect(measurementFor("ExpectedQueueConsumptionTime", reading(2, 0, 4), 1)).toEqual({
      value: -0.5,
      active: false,
    });
  });
});
