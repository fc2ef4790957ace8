import { describe, expect, it } from "vitest";
import {
  kedaVar,
  runParseVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import { firstRecordValue, type FluxColumn } from "./query.ts";

const FILE = "influxdb_scaler_test.json";

// KEDA's TestInfluxDBParseMetadata gives every row the same resolved environment.
const ENV = stringMap(kedaVar(FILE, "testInfluxDBResolvedEnv"));

const inputs = (row: KedaRow, index = 0): VectorInputs => ({
  metadata: stringMap(row.metadata),
  authParams: stringMap(row.authParams),
  resolvedEnv: ENV,
  index,
});

runParseVectors({
  file: FILE,
  table: "testInfluxDBMetadata",
  type: "influxdb",
  inputs: (row) => inputs(row),
});

for (const table of ["influxDBMetricIdentifiers", "influxDBV3MetricIdentifiers"]) {
  runParseVectors({
    file: FILE,
    table,
    type: "influxdb",
    inputs: (row) => inputs(row.metadataTestData as KedaRow, Number(row.triggerIndex)),
    kedaError: () => false,
    expect: (row) => ({ metricName: String(row.name), target: 10 }),
  });
}

describe("the first record's _value, as KEDA's Flux client reads it", () => {
  const columns = (dataType: string): FluxColumn[] => [
    { label: "_time", dataType: "dateTime:RFC3339", defaultValue: "", index: 0 },
    { label: "_value", dataType, defaultValue: "", index: 1 },
  ];
  it.each([
    ["double", "2.5", 2.5],
    ["long", "42", 42],
    ["double", "+Inf", Infinity],
  ])("a %s %s is %s", (dataType, text, value) => {
    expect(firstRecordValue(["2026-01-01T00:00:00Z", text], columns(dataType))).toBe(value);
  });
  it.each([
    ["unsignedLong", "7", "uint64"],
    ["string", "x", "string"],
    ["boolean", "true", "bool"],
  ])("a %s is an error naming Go's type", (dataType, text, goType) => {
    expect(() => firstRecordValue(["t", text], columns(dataType))).toThrow(
      `value of type ${goType} could not be converted into a float`,
    );
  });
  it("an empty or missing _value is nil", () => {
    expect(() => firstRecordValue(["t", ""], columns("double"))).toThrow("value of type <nil>");
    expect(() => firstRecordValue(["t"], [columns("double")[0] as FluxColumn])).toThrow(
      "value of type <nil>",
    );
  });
});
