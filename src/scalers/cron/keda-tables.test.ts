import { describe, expect, it } from "vitest";
import { kedaVar, runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { cronWindowValue, type CronWindow } from "./window.ts";

const FILE = "cron_scaler_test.json";

runParseVectors({ file: FILE, table: "testCronMetadata", type: "cron" });

runParseVectors({
  file: FILE,
  table: "cronMetricIdentifiers",
  type: "cron",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

/**
 * KEDA's TestIsActive, TestGetMetrics and their Range variants read the clock: the first window is
 * open on Thursdays (UTC), the second during even hours. Here the same windows at fixed instants.
 */
describe("KEDA's cron windows at fixed instants", () => {
  const windowOf = (name: string) => {
    const metadata = stringMap(kedaVar(FILE, name));
    return { ...metadata, desiredReplicas: Number(metadata.desiredReplicas) } as CronWindow;
  };
  it.each([
    ["validCronMetadata", "2024-05-16T12:00:00Z", 10], // a Thursday
    ["validCronMetadata", "2024-05-16T23:30:00Z", 10],
    ["validCronMetadata", "2024-05-15T12:00:00Z", 0], // a Wednesday
    ["validCronMetadata", "2024-05-17T00:30:00Z", 0],
    ["validCronMetadata2", "2024-05-15T10:30:00Z", 10], // an even hour
    ["validCronMetadata2", "2024-05-15T11:30:00Z", 0],
    ["validCronMetadata3", "2024-05-15T11:10:00Z", 10], // minutes 0-14 and 30-44
    ["validCronMetadata3", "2024-05-15T11:20:00Z", 0],
  ])("%s at %s reads %d", (name, instant, value) => {
    expect(cronWindowValue(windowOf(name), Date.parse(instant))).toEqual({ value, active: value > 0 });
  });
});
