import { describe, expect, it } from "vitest";
import { runParseVectors, stringMap } from "../../../test/support/keda-vectors.ts";
import { goRfc3339Nano, solarWindsMeasurementsUrl, solarWindsValue } from "./solarwinds.ts";

const FILE = "solarwinds_scaler_test.json";

runParseVectors({
  file: FILE,
  table: "testSolarWindsMetadata",
  type: "solarwinds",
  expect: (row) => {
    const metadata = stringMap(row.metadata);
    return {
      metricName: "s0-solarwinds",
      target: Number(metadata.targetValue),
      activationTarget: Number(metadata.activationValue),
    };
  },
});

// KEDA's getFirstMeasurement, as the SDK decodes the answer (absent lists are nil there).
describe("KEDA's reading of a measurements answer", () => {
  const read = (body: unknown) => () => solarWindsValue({ status: 200, body: JSON.stringify(body) }, "m");
  it("takes the first measurement that has a value", () => {
    expect(
      read({
        groupings: [{ measurements: [{ value: null }, { value: 4.5 }] }, { measurements: [{ value: 9 }] }],
      })(),
    ).toBe(4.5);
    expect(read({ groupings: [{ measurements: [] }, { measurements: [{ value: 2 }] }] })()).toBe(2);
  });
  it("fails without groupings, without measurements, or with no value at all", () => {
    expect(read({})).toThrow("no groupings found in response");
    expect(read({ groupings: [{ attributes: [] }] })).toThrow("no measurements found in response");
    expect(read({ groupings: [] })).toThrow("no measurements found in response");
    expect(read({ groupings: [{ measurements: [{ value: null }] }] })).toThrow(
      "no measurements found in response",
    );
  });
  it("asks for one SCALAR measurement over the interval, with times as Go writes them", () => {
    const now = Date.parse("2026-03-01T10:00:00.120Z");
    const url = solarWindsMeasurementsUrl(
      {
        host: "https://api.na-01.cloud.solarwinds.com/",
        metricName: "a.b c",
        aggregation: "AVG",
        intervalS: 60,
        filter: "id:[x,y]",
      },
      now,
    );
    expect(url.toString()).toBe(
      "https://api.na-01.cloud.solarwinds.com/v1/metrics/a.b%20c/measurements?aggregateBy=AVG&endTime=2026-03-01T10%3A00%3A00.12Z&filter=id%3A%5Bx%2Cy%5D&seriesType=SCALAR&startTime=2026-03-01T09%3A59%3A00.12Z",
    );
    expect(goRfc3339Nano(new Date(Date.parse("2026-03-01T10:00:00.000Z")))).toBe("2026-03-01T10:00:00Z");
  });
});
