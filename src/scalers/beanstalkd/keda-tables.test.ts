import { describe, expect, it } from "vitest";
import { runKedaTable, type KedaRow } from "../../../test/support/keda-table.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { parseYamlMap, takeReply } from "./client.ts";
import { tubeJobs } from "./beanstalkd.ts";

// KEDA's tables for beanstalkd (pkg/scalers/beanstalkd_scaler_test.go), row for row.

const server = "localhost:3000";

// testBeanstalkdMetadata
const metadataRows: KedaRow[] = [
  { name: "nothing passed", metadata: {}, error: true },
  {
    name: "properly formed",
    metadata: { server, tube: "delayed", value: "1", includeDelayed: "true" },
    error: false,
    want: { includeDelayed: true },
  },
  {
    name: "no includeDelayed",
    metadata: { server, tube: "no-delayed", value: "1" },
    error: false,
    want: { includeDelayed: false },
  },
  {
    name: "missing server",
    metadata: { tube: "stats-tube", value: "1", includeDelayed: "true" },
    error: true,
  },
  { name: "missing tube", metadata: { server, value: "1", includeDelayed: "true" }, error: true },
  { name: "missing value", metadata: { server, tube: "stats-tube", includeDelayed: "true" }, error: true },
  {
    name: "invalid value",
    metadata: { server, tube: "stats-tube", value: "lots", includeDelayed: "true" },
    error: true,
  },
  {
    name: "valid timeout",
    metadata: { server, tube: "stats-tube", value: "1", includeDelayed: "true", timeout: "1000" },
    error: false,
    want: { timeout: 1000 },
  },
  {
    name: "invalid timeout",
    metadata: { server, tube: "stats-tube", value: "1", includeDelayed: "true", timeout: "-1" },
    error: true,
  },
  {
    name: "activationValue passed",
    metadata: { server, tube: "stats-tube", value: "1", activationValue: "10" },
    error: false,
    want: { activationValue: 10, timeout: 30 },
  },
  {
    name: "invalid activationValue passed",
    metadata: { server, tube: "stats-tube", value: "1", activationValue: "AA" },
    error: true,
  },
];

runKedaTable({
  table: "testBeanstalkdMetadata",
  type: "beanstalkd",
  rows: metadataRows,
  check: (prepared, row) => expect(prepared.params).toMatchObject(row.want ?? {}),
});

// beanstalkdMetricIdentifiers
runKedaTable({
  table: "beanstalkdMetricIdentifiers",
  type: "beanstalkd",
  rows: [
    {
      name: "no-delayed at 0",
      metadata: metadataRows[2]?.metadata,
      index: 0,
      error: false,
      metricName: "s0-beanstalkd-no-delayed",
    },
    {
      name: "delayed at 1",
      metadata: metadataRows[1]?.metadata,
      index: 1,
      error: false,
      metricName: "s1-beanstalkd-delayed",
    },
  ],
});

// testTubeStatsTestData: the stats-tube answer of KEDA's test server and the activity KEDA reports.
const statsCommon = {
  "cmd-delete": 18,
  "cmd-pause-tube": 0,
  "current-jobs-urgent": 0,
  "current-using": 3,
  "current-waiting": 3,
  "current-watching": 3,
  name: "form-crawler-notifications",
  pause: 0,
  "pause-time-left": 0,
  "total-jobs": 24,
};
const tubeStatsRows: {
  response: Record<string, string | number>;
  metadata: Record<string, string>;
  isActive: boolean;
}[] = [
  {
    response: {
      ...statsCommon,
      "current-jobs-buried": 6,
      "current-jobs-delayed": 0,
      "current-jobs-ready": 10,
      "current-jobs-reserved": 0,
    },
    metadata: { server, tube: "no-delayed", value: "2" },
    isActive: true,
  },
  {
    response: {
      ...statsCommon,
      "current-jobs-buried": 0,
      "current-jobs-delayed": 0,
      "current-jobs-ready": 1,
      "current-jobs-reserved": 0,
    },
    metadata: { server, tube: "no-delayed", value: "3", activationValue: "2" },
    isActive: false,
  },
  {
    response: {
      ...statsCommon,
      "current-jobs-buried": 0,
      "current-jobs-delayed": 10,
      "current-jobs-ready": 0,
      "current-jobs-reserved": 0,
    },
    metadata: { server, tube: "no-delayed", value: "2" },
    isActive: false,
  },
  {
    response: {
      ...statsCommon,
      "current-jobs-buried": 0,
      "current-jobs-delayed": 10,
      "current-jobs-ready": 0,
      "current-jobs-reserved": 0,
    },
    metadata: { server, tube: "no-delayed", value: "2", includeDelayed: "true" },
    isActive: true,
  },
];

/** The bytes KEDA's test server sends: OK <length>, the statistics as YAML, CRLF. */
function statsReply(response: Record<string, string | number>): Buffer {
  const yaml = `---\n${Object.entries(response)
    .map(([key, value]) => `${key}: ${value}`)
    .join("\n")}\n`;
  return Buffer.from(`OK ${Buffer.byteLength(yaml)}\r\n${yaml}\r\n`);
}

describe("KEDA testTubeStatsTestData (beanstalkd)", () => {
  it.each(tubeStatsRows.map((row, index) => [index, row] as const))("row %i", (_index, row) => {
    const prepared = prepareScalerTrigger("beanstalkd", row.metadata);
    const params = prepared.params as { includeDelayed: boolean; activationValue: number };
    const taken = takeReply(statsReply(row.response));
    expect(taken?.reply.status).toBe("OK");
    const jobs = tubeJobs(parseYamlMap(taken?.reply.body ?? ""), params.includeDelayed);
    expect(jobs > params.activationValue).toBe(row.isActive);
  });

  it("TestGetTubeStatsNotFound: a tube beanstalkd does not know has no jobs, inactive", () => {
    expect(takeReply(Buffer.from("NOT_FOUND\r\n"))?.reply).toEqual({ status: "NOT_FOUND" });
    expect(tubeJobs(undefined, false)).toBe(0);
  });
});
