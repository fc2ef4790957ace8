import { describe, expect, it } from "vitest";
import { dataMessage } from "../../../test/support/fakes/fake-signalflow.ts";
import { dataMessageValues } from "./signalflow.ts";
import { aggregateValues, signalFlowUrl } from "./splunk-observability.ts";

describe("SignalFlow binary data messages", () => {
  it("reads the doubles of a data message and its channel", () => {
    const message = dataMessage("R7", 1_700_000_000_000, [{ value: 1.5 }, { value: -2 }]);
    expect(dataMessageValues(message)).toEqual({ channel: "R7", values: [1.5, -2] });
  });

  it("refuses values that are not doubles, compressed or JSON messages, as KEDA's client does", () => {
    expect(() => dataMessageValues(dataMessage("R1", 0, [{ value: 3, type: 1 }]))).toThrow(
      "could not convert Splunk Observability metric value to float64",
    );
    const compressed = dataMessage("R1", 0, [{ value: 1 }]);
    compressed[2] = 1;
    expect(() => dataMessageValues(compressed)).toThrow(
      "compressed SignalFlow data messages are not supported",
    );
    expect(() => dataMessageValues(Buffer.alloc(12))).toThrow("at least 21 bytes");
  });

  it("ignores binary messages of other types", () => {
    const other = dataMessage("R1", 0, [{ value: 1 }]);
    other[1] = 4;
    expect(dataMessageValues(other)).toBeUndefined();
  });
});

describe("splunk-observability values", () => {
  it("reduces by max, min and avg; no value is an error", () => {
    expect(aggregateValues([1, 4, 7], "max")).toBe(7);
    expect(aggregateValues([1, 4, 7], "min")).toBe(1);
    expect(aggregateValues([1, 4, 7], "avg")).toBe(4);
    expect(() => aggregateValues([], "max")).toThrow("query returned no data points");
    expect(() => aggregateValues([1], "sum")).toThrow('invalid queryAggregator: "sum"');
  });

  it("streams from the realm's endpoint unless Tidal's environment names another", () => {
    expect(signalFlowUrl("us1")).toBe("wss://stream.us1.signalfx.com/v2/signalflow");
    expect(signalFlowUrl("us1", { TIDAL_SIGNALFLOW_URL: "ws://127.0.0.1:9/v2/signalflow" })).toBe(
      "ws://127.0.0.1:9/v2/signalflow",
    );
  });
});
